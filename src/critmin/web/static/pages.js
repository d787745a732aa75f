/* Dashboard pages: each is a thin view over its JSON twin (the URL in body[data-twin]).
 * The same renderers draw the self-contained brief, which carries its data inline. */
window.critmin = window.critmin || {};
(function (C) {
  // The standalone brief carries its data in type="application/json" script blocks: parsed
  // as JSON, never run. Every data string reaches the page as text (textContent, d3 .text).
  const block = (id) => {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : undefined;
  };
  C.inline = C.inline || block("critmin-data");
  C.atlas = C.atlas || block("critmin-atlas");
  const body = document.body;
  const lang = body.dataset.lang === "ko" ? "ko" : "en";
  const T = (k) => C.i18n[lang][k] ?? k;
  const params = JSON.parse(body.dataset.params || "{}");
  const main = () => document.getElementById("main");

  C.get = async function (path) {
    const url = path + (path.includes("?") ? "&" : "?") + "lang=" + lang;
    const r = await fetch(url);
    const j = await r.json();
    if (!r.ok) throw new Error(j.error ? `${j.error.type}: ${j.error.message}` : r.statusText);
    return j;
  };
  const link = (href, text) => {
    const a = document.createElement("a");
    a.href = href + (href.includes("?") ? "&" : "?") + "lang=" + lang;
    a.textContent = text;
    return a;
  };
  const section = (title, cls) => {
    const s = d3.select(main()).append("section").attr("class", cls || null);
    if (title) s.append("h2").text(title);
    return s;
  };
  const stageName = (s) => T(s);
  const V = (v) => (v == null ? "–" : C.i18n[lang]["v_" + v] ?? v); // controlled vocabulary

  function sources(list) {
    const s = section(T("sources"), "sources");
    const ul = s.append("ul");
    for (const src of list || []) {
      const li = ul.append("li").attr("data-source", src.id);
      li.append("strong").text(src.title || src.id);
      li.append("span").text(
        [src.edition, src.licence && `${T("licence")}: ${src.licence}`, src.attribution]
          .filter(Boolean).join(" · "));
      if (src.snapshots) {
        li.append("details").call((d) => {
          d.append("summary").text(`${src.snapshots.length} snapshot(s), sha256`);
          d.append("pre").text(src.snapshots.map((x) => `${x.snapshot}  ${x.sha256}`).join("\n"));
        });
      }
    }
  }

  // ---- home -------------------------------------------------------------------------------
  async function home() {
    const [mins, ctry] = await Promise.all([C.get("/api/minerals"), C.get("/api/countries")]);
    const name = (r) => (lang === "ko" && r.name_ko) || r.name_en;
    const s = section(T("tagline"), "home");
    const pick = (label, rows, value, text, href) => {
      const f = s.append("form").attr("class", "picker");
      f.append("label").text(label);
      const sel = f.append("select");
      sel.selectAll("option").data(rows).join("option").attr("value", value).text(text);
      f.append("button").attr("type", "submit").text(T("open"));
      f.on("submit", (e) => { e.preventDefault(); location.href = href(sel.node().value) + "?lang=" + lang; });
      return sel;
    };
    pick(T("choose_mineral"), mins.minerals.filter((m) => m.produced), (m) => m.id, name,
      (v) => "/mineral/" + v).property("value", "lithium");
    pick(T("choose_country"), ctry.countries.filter((c) => c.kind !== "aggregate"), (c) => c.iso3,
      (c) => `${name(c)} (${c.iso3})`, (v) => "/country/" + v).property("value", "KOR");
    const p = s.append("p");
    p.node().appendChild(link("/brief/KOR/KAZ", `${T("brief_title")}: KOR–KAZ`));
    p.append("span").text(" · ");
    p.node().appendChild(link("/agreements", T("nav_agreements")));
    sources(mins.sources);
  }

  // ---- mineral ----------------------------------------------------------------------------
  const PRIORITY = ["wmd", "usgs_mcs", "bgs_wms", "iea_cmde", "eu_crm"];
  async function mineral() {
    const m = params.mineral;
    const [prof, series, ctry, mins] = await Promise.all([
      C.get(`/api/profile/${m}`), C.get(`/api/profile/${m}/series`), C.countries(),
      C.get("/api/minerals")]);
    d3.select(main()).append("h1").text(`${prof.mineral_name}`);
    const other = d3.select(main()).append("label").attr("class", "picker").text(`${T("choose_other")} `)
      .append("select").attr("name", "mineral")
      .on("change", function () { location.href = `/mineral/${this.value}?lang=${lang}`; });
    other.selectAll("option").data(mins.minerals.filter((x) => x.produced)).join("option")
      .attr("value", (x) => x.id).text((x) => (lang === "ko" && x.name_ko) || x.name_en);
    other.property("value", prof.mineral);
    const views = prof.concentration.slice().sort((a, b) =>
      a.stage.localeCompare(b.stage) || (a.basis === "share") - (b.basis === "share")
      || PRIORITY.indexOf(a.source_id) - PRIORITY.indexOf(b.source_id));
    const bar = d3.select(main()).append("div").attr("class", "tabs");
    const mapS = section(T("world_map"), "map-section");
    const mapBox = mapS.append("div").attr("class", "map-box");
    const grid = d3.select(main()).append("div").attr("class", "grid");
    const topS = grid.append("section"); topS.append("h2").text(T("top_suppliers"));
    const topBox = topS.append("div");
    const hhiS = grid.append("section"); hhiS.append("h2").text(T("hhi_over_time"));
    const hhiBox = hhiS.append("div");
    const crS = grid.append("section"); crS.append("h2").text(T("cr3_over_time"));
    const crBox = crS.append("div");
    const show = (v) => {
      bar.selectAll("button").classed("active", (d) => d === v);
      mapBox.selectAll("*").remove(); topBox.selectAll("*").remove();
      hhiBox.selectAll("*").remove(); crBox.selectAll("*").remove();
      mapBox.append("p").attr("class", "caption").text(
        `${stageName(v.stage)} · ${v.source_id} (${v.basis}) · ${v.period || v.year} · ${T("hhi")} ${C.fmt.dec(v.hhi)} · ${T("cr3")} ${C.fmt.pct(v.cr3)}`);
      const vals = Object.fromEntries(v.suppliers.filter((s) => s.iso3 !== "XOT").map((s) => [s.iso3, s.share]));
      C.worldMap(mapBox.node(), vals, ctry, { label: T("world_map"), name: C.countryName });
      C.bars(topBox.node(), v.suppliers.filter((s) => s.iso3 !== "XOT").slice(0, 10)
        .map((s) => ({ label: s.name, value: s.share })), { label: T("top_suppliers") });
      const pts = series.series.filter((p) => p.stage === v.stage);
      const bySrc = d3.groups(pts, (p) => `${p.source_id} (${p.basis})`)
        .map(([name, ps]) => ({ name, points: ps.map((p) => ({ x: p.year, y: p.hhi })) }));
      C.lines(hhiBox.node(), bySrc, { label: T("hhi_over_time"), yMax: 1 });
      const byCr = d3.groups(pts, (p) => `${p.source_id} (${p.basis})`)
        .map(([name, ps]) => ({ name, points: ps.map((p) => ({ x: p.year, y: p.cr3 })) }));
      C.lines(crBox.node(), byCr, { label: T("cr3_over_time"), yMax: 1, format: d3.format(".0%") });
    };
    bar.selectAll("button").data(views).join("button")
      .text((v) => {
        const twins = views.filter((x) => x.stage === v.stage && x.source_id === v.source_id);
        return `${stageName(v.stage)} · ${v.source_id}${twins.length > 1 ? ` (${v.basis})` : ""} ${v.year}`;
      }).on("click", (e, v) => show(v));
    if (views.length) show(views[0]); else mapBox.append("p").text(T("no_data"));
    sources(prof.sources);
  }

  // ---- country ----------------------------------------------------------------------------
  async function country() {
    const iso = params.importer;
    const [exp, risk] = await Promise.all([
      C.get(`/api/exposure/${iso}?year=${params.year}`), C.get(`/api/risk/${iso}`)]);
    d3.select(main()).append("h1").text(`${exp.importer_name} (${exp.importer})`);
    const s = section(T("exposure"), "exposure");
    const rows = exp.exposure.map((e) => ({
      ...e, top: e.suppliers[0]?.name, top_share: e.suppliers[0]?.share_quantity,
    }));
    const detail = s.append("div").attr("class", "detail");
    const showSup = (r) => {
      detail.selectAll("*").remove();
      detail.append("h3").text(`${r.mineral_name} · ${stageName(r.stage)} · ${r.year}`);
      C.bars(detail.node(), r.suppliers.slice(0, 10).map((x) => ({ label: x.name, value: x.share_quantity ?? x.share_value })),
        { label: T("top_suppliers") });
    };
    C.table(s.node(), [
      { key: "mineral_name", label: T("mineral") },
      { key: "stage", label: T("stage"), format: stageName },
      { key: "year", label: T("year") },
      { key: "total_quantity_t", label: T("imports_t"), format: C.fmt.num, cls: "n" },
      { key: "top", label: T("top_supplier") },
      { key: "top_share", label: T("top_share"), format: C.fmt.pct, cls: "n" },
      { key: "hhi_quantity", label: T("import_hhi"), format: (v) => C.fmt.dec(v), cls: "n" },
      { key: "low_governance_share_quantity", label: T("low_gov"), format: C.fmt.pct, cls: "n" },
      { key: "release", label: T("trade_basis"), format: (v, r) => `${v} (${r.hs_revision})` },
    ], rows, { onClick: showSup, cls: "exposure" });
    if ((exp.gaps || []).length) {
      s.append("p").attr("class", "caption gaps").text(`${T("not_in_trade")}: ` + exp.gaps.map((g) =>
        `${g.mineral_name} ${stageName(g.stage)} (${g.products.map((p) => p.hs6).join(", ")})`).join(" · "));
    }
    if (rows.length) showSup(rows.slice().sort((a, b) => b.total_value_usd - a.total_value_usd)[0]);
    const r = section(`${T("risk")} (${risk.year})`, "risk");
    const byMineral = new Map();
    for (const x of risk.results) {
      const key = x.mineral || x.material;
      const row = byMineral.get(key) || { mineral_name: x.mineral_name };
      if (x.method === "eu") row.eu = x.supply_risk;
      else Object.assign(row, { gpr: x.score, hhi: x.hhi, import_risk: x.import_risk, material: x.material });
      byMineral.set(key, row);
    }
    C.table(r.node(), [
      { key: "mineral_name", label: T("mineral") },
      { key: "material", label: T("gpr_material") },
      { key: "gpr", label: T("gpr_score"), format: (v) => C.fmt.dec(v, 4), cls: "n" },
      { key: "hhi", label: `${T("hhi")} (${T("mining")})`, format: (v) => C.fmt.dec(v), cls: "n" },
      { key: "import_risk", label: T("import_risk"), format: (v) => C.fmt.dec(v), cls: "n" },
      { key: "eu", label: T("eu_sr"), format: (v) => C.fmt.dec(v, 2), cls: "n" },
    ], [...byMineral.values()].sort((a, b) => a.mineral_name.localeCompare(b.mineral_name)), { cls: "risk" });
    sources([...exp.sources, ...risk.sources.filter((x) => !exp.sources.some((y) => y.id === x.id))]);
  }

  // ---- agreements -------------------------------------------------------------------------
  const agreementCols = () => [
    { key: "agreement_id", label: "#" },
    { key: "date", label: T("date") },
    { key: "instrument", label: T("instrument"), format: V },
    { key: "status", label: T("status"), format: V },
    { key: "parties", label: T("parties"), format: (v) => (v || []).join(" + ") },
    { key: "countries", label: T("countries"), format: (v) => (v || []).map(C.countryName).join(", ") },
    { key: "minerals", label: T("minerals"), format: (v) => (v || []).join(", ") },
    { key: "title", label: T("document") },
  ];
  async function agreements() {
    const data = await C.get("/api/agreements");
    const rows = data.agreements;
    d3.select(main()).append("h1").text(T("agreements"));
    const f = d3.select(main()).append("form").attr("class", "filters").on("submit", (e) => e.preventDefault());
    const opts = (key) => [...new Set(rows.flatMap((r) => [].concat(r[key] || [])))].sort();
    const filters = {};
    for (const key of ["countries", "minerals", "instrument", "status"]) {
      const lab = f.append("label").text(T(key) + " ");
      const sel = lab.append("select").attr("name", key).on("change", draw);
      sel.selectAll("option").data(["", ...opts(key)]).join("option").attr("value", (d) => d)
        .text((d) => (d ? (key === "countries" ? C.countryName(d) : ["instrument", "status"].includes(key) ? V(d) : d) : T("all")));
      filters[key] = sel;
    }
    const q = f.append("label").text(T("search") + " ").append("input").attr("type", "search")
      .attr("name", "q").on("input", draw);
    const count = d3.select(main()).append("p").attr("class", "count");
    const box = d3.select(main()).append("div");
    function draw() {
      box.selectAll("*").remove();
      const text = q.property("value").toLowerCase();
      const kept = rows.filter((r) => Object.entries(filters).every(([k, s]) => {
        const v = s.property("value");
        return !v || [].concat(r[k] || []).includes(v);
      }) && (!text || JSON.stringify(r).toLowerCase().includes(text)));
      count.text(`${kept.length} ${T("count_agreements")}`);
      C.table(box.node(), agreementCols(), kept, {
        cls: "agreements", rowAttr: ["data-id", (d) => d.agreement_id],
        onClick: (d) => { location.href = `/agreements/${d.agreement_id}?lang=${lang}`; },
      });
    }
    draw();
    sources(data.sources.map((s) => ({ id: s.id, title: s.path })));
  }

  /** Document text with each evidence span wrapped in <mark> (offsets are code points). */
  C.highlight = function (el, text, evidence) {
    const chars = Array.from(text || "");
    const spans = [];
    for (const e of evidence || []) {
      if (e.start == null || e.end == null) continue;
      const s = spans.find((x) => x.start === e.start && x.end === e.end);
      if (s) s.fields.push(`${e.field}=${e.value}`); else spans.push({ start: e.start, end: e.end, fields: [`${e.field}=${e.value}`] });
    }
    spans.sort((a, b) => a.start - b.start);
    let at = 0;
    for (const s of spans) {
      if (s.start < at) continue; // overlapping span: already inside a mark
      el.appendChild(document.createTextNode(chars.slice(at, s.start).join("")));
      const mk = document.createElement("mark");
      mk.className = "evidence"; mk.id = `ev-${s.start}`; mk.title = s.fields.join("; ");
      mk.dataset.fields = s.fields.join(";");
      mk.textContent = chars.slice(s.start, s.end).join("");
      el.appendChild(mk);
      at = s.end;
    }
    el.appendChild(document.createTextNode(chars.slice(at).join("")));
  };

  async function agreement() {
    const a = await C.get(`/api/agreements/${params.agreement_id}`);
    const h = d3.select(main()).append("div");
    h.node().appendChild(link("/agreements", "← " + T("back")));
    d3.select(main()).append("h1").text(`${T("detail")} #${a.agreement_id}: ${V(a.instrument)} · ${V(a.status)}`);
    const s = section(T("evidence"), "fields");
    C.table(s.node(), [
      { key: "field", label: T("field"), format: (v) => T(v) },
      { key: "value", label: T("value") },
      { key: "sentence", label: T("evidence"), format: (v, r) => {
        const x = document.createElement("a"); x.href = `#ev-${r.start}`; x.textContent = v;
        x.className = "evidence-link"; return x; } },
    ], a.evidence || [], { cls: "evidence-table" });
    const d = section(`${T("document")}: ${a.title || a.path}`, "document");
    d.append("p").attr("class", "meta").text([a.date, a.publisher, a.language].filter(Boolean).join(" · "));
    C.highlight(d.append("div").attr("class", "doc-text").node(), a.text, a.evidence);
    d3.select(main()).selectAll("a.evidence-link").on("click", function () {
      const target = document.querySelector(this.getAttribute("href"));
      document.querySelectorAll("mark.active").forEach((m) => m.classList.remove("active"));
      if (target) { target.classList.add("active"); }
    });
    sources(a.sources.map((x) => ({ id: x.id, title: x.path })));
  }

  // ---- brief ------------------------------------------------------------------------------
  async function brief() {
    const b = C.inline ? C.inline.brief
      : await C.get(`/api/brief/${params.importer}/${params.partner}?uplift=${params.uplift ?? 0.1}`);
    const ctry = await C.countries();
    d3.select(main()).append("h1").text(`${T("brief_title")}: ${b.importer_name} – ${b.partner_name} (${b.year})`);
    const ag = section(T("agreements"), "brief-agreements");
    if (!b.agreements.length) ag.append("p").text(T("no_agreements"));
    const ul = ag.append("ul");
    for (const a of b.agreements) {
      const li = ul.append("li").attr("data-id", a.agreement_id);
      const head = `#${a.agreement_id} ${V(a.instrument)} · ${V(a.status)} · ${(a.parties || []).join(" + ")}`
        + ((a.sectors || []).length ? ` · ${a.sectors.join(", ")}` : "");
      if (C.inline) li.append("strong").text(head); else li.node().appendChild(link(`/agreements/${a.agreement_id}`, head));
      const ev = (a.evidence || []).find((e) => e.field === "instrument") || (a.evidence || [])[0];
      if (ev) li.append("blockquote").append("mark").attr("class", "evidence").text(ev.sentence);
    }
    const sc = section(T("scope"), "scope");
    C.table(sc.node(), [
      { key: "mineral_name", label: T("mineral") },
      { key: "reason", label: T("reason"), format: (v) => T("reason_" + v) },
      { key: "partner_world_share", label: T("partner_world_share"), format: (v) => (v ? `${C.fmt.pct(v.share)} (${T(v.stage)}, ${v.source_id} ${v.year})` : "–") },
    ], b.minerals, { cls: "scope" });
    C.bars(sc.node(), b.minerals.filter((m) => m.partner_world_share)
      .map((m) => ({ label: m.mineral_name, value: m.partner_world_share.share })), { label: T("partner_world_share") });
    if (b.map) {
      const ms = section(`${T("world_map")}: ${b.map.mineral_name} (${T(b.map.stage)}, ${b.map.source_id} ${b.map.year})`, "map-section");
      ms.append("p").attr("class", "caption").text(T("map_highlight"));
      C.worldMap(ms.append("div").attr("class", "map-box").node(), b.map.shares, ctry,
        { label: T("world_map"), name: C.countryName, highlight: b.partner });
    }
    const ex = section(`${T("exposure")} (${b.importer_name}, ${b.year})`, "exposure");
    const exRows = b.minerals.flatMap((m) => m.exposure.map((e) => ({ mineral_name: m.mineral_name, ...e })));
    C.table(ex.node(), [
      { key: "mineral_name", label: T("mineral") },
      { key: "stage", label: T("stage"), format: stageName },
      { key: "imports_t", label: T("imports_t"), format: C.fmt.num, cls: "n" },
      { key: "partner_share", label: T("partner_import_share"), format: (v) => (v == null ? T("na") : C.fmt.pct(v)), cls: "n" },
      { key: "partner_exports", label: T("partner_exports_t"), format: (v) => C.fmt.num(v?.world_t), cls: "n" },
      { key: "top_supplier_name", label: T("top_supplier") },
      { key: "top_share", label: T("top_share"), format: C.fmt.pct, cls: "n" },
      { key: "import_hhi", label: T("import_hhi"), format: (v) => C.fmt.dec(v), cls: "n" },
      { key: "release", label: T("trade_basis"), format: (v, r) => (v ? `${v} (${r.hs_revision})` : `${T("na")}: ${r.status}`) },
    ], exRows, { cls: "exposure" });
    const gaps = b.minerals.filter((m) => (m.gaps || []).length);
    if (gaps.length) {
      ex.append("p").attr("class", "caption gaps").text(`${T("not_in_trade")}: ` + gaps.map((m) =>
        `${m.mineral_name} — ${m.gaps.map((g) => `${stageName(g.stage)} (${g.products.map((p) => p.hs6).join(", ")})`).join("; ")}`).join(" · "));
    }
    const wi = section(`${T("whatif")} (+${C.fmt.pct(b.assumptions.uplift)})`, "whatif");
    if (!C.inline) {  // the what-if is live on the dashboard: change the uplift, recompute
      const f = wi.append("form").attr("class", "uplift");
      f.append("label").text(`${T("uplift_label")} `).append("input").attr("type", "number")
        .attr("name", "uplift").attr("min", 1).attr("max", 1000).attr("step", 1)
        .property("value", Math.round(b.assumptions.uplift * 100));
      f.append("span").text(" % ");
      f.append("button").attr("type", "submit").text(T("recompute"));
      f.on("submit", (e) => {
        e.preventDefault();
        const v = +f.select("input").property("value") / 100;
        location.href = `${location.pathname}?lang=${lang}&uplift=${v}`;
      });
    }
    const wRows = b.minerals.filter((m) => m.whatif).map((m) => {
      const w = m.whatif;
      return {
        mineral_name: m.mineral_name, stage: w.stage, tonnes: w.tonnes,
        hhi_b: w.before.import_hhi, hhi_a: w.after.import_hhi,
        gpr_b: w.before.geopolrisk?.score, gpr_a: w.after.geopolrisk?.score,
        eu_b: w.before.eu_supply_risk, eu_a: w.after.eu_supply_risk, cap: w.cap_note,
      };
    });
    C.table(wi.node(), [
      { key: "mineral_name", label: T("mineral") },
      { key: "stage", label: T("stage"), format: stageName },
      { key: "tonnes", label: T("added_t"), format: C.fmt.num, cls: "n" },
      { key: "hhi_b", label: `${T("import_hhi")} ${T("before")}`, format: (v) => C.fmt.dec(v), cls: "n" },
      { key: "hhi_a", label: T("after"), format: (v) => C.fmt.dec(v), cls: "n" },
      { key: "gpr_b", label: `${T("gpr_score")} ${T("before")}`, format: (v) => C.fmt.dec(v, 4), cls: "n" },
      { key: "gpr_a", label: T("after"), format: (v) => C.fmt.dec(v, 4), cls: "n" },
      { key: "eu_b", label: `${T("eu_sr")} ${T("before")}`, format: (v) => C.fmt.dec(v, 2), cls: "n" },
      { key: "eu_a", label: T("after"), format: (v) => C.fmt.dec(v, 2), cls: "n" },
      { key: "cap", label: T("cap") },
    ], wRows, { cls: "whatif" });
    C.bars(wi.node(), wRows.flatMap((r) => [
      { label: `${r.mineral_name} ${T("before")}`, value: r.hhi_b ?? 0 },
      { label: `${r.mineral_name} ${T("after")}`, value: r.hhi_a ?? 0, highlight: true }]),
    { label: T("import_hhi"), format: (v) => C.fmt.dec(v) });
    const as = section(T("assumptions"), "assumptions");
    const al = as.append("ul");
    for (const [k, v] of Object.entries(b.assumptions)) al.append("li").text(`${T("assume_" + k)}: ${v}`);
    sources(b.sources);
  }

  // ---- boot -------------------------------------------------------------------------------
  C.countries = async function () {
    if (C.inline) return C.inline.countries;
    if (!C._countries) C._countries = (await C.get("/api/countries")).countries;
    return C._countries;
  };
  async function error() {
    const e = params.error || {};
    d3.select(main()).append("div").attr("class", "error").attr("role", "alert")
      .text(`${T("error")} ${e.status}: ${e.type}: ${e.message}`);
  }
  const PAGES = { home, mineral, country, agreements, agreement, brief, error };
  async function boot() {
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = T(el.dataset.i18n); });
    const ctry = await C.countries().catch(() => []);
    const names = new Map(ctry.map((c) => [c.iso3, (lang === "ko" && c.name_ko) || c.name_en]));
    C.countryName = (iso3) => names.get(iso3) || iso3;
    const m = main();
    try {
      if (!C.atlas && ["mineral", "brief"].includes(body.dataset.page)) {
        C.atlas = await (await fetch("/static/vendor/world-atlas/countries-110m.json")).json();
      }
      m.querySelector(".loading")?.remove();
      await PAGES[body.dataset.page]();
      body.dataset.ready = "true";
    } catch (err) {
      d3.select(m).append("div").attr("class", "error").attr("role", "alert")
        .text(`${T("error")}: ${err.message}`);
      body.dataset.ready = "error";
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
})(window.critmin);
