/* Charts drawn with the vendored d3 (ISC) and topojson-client (ISC); the world map is the
 * vendored world-atlas 110m TopoJSON (Natural Earth), whose feature ids are ISO 3166-1
 * numeric codes, joined to tidy.countries.iso_numeric. Every chart is an <svg> whose marks
 * carry data-* attributes with their values, so tests and readers can check what is drawn. */
window.critmin = window.critmin || {};
(function (C) {
  const pct = d3.format(".1%");
  const num = d3.format(",.0f");
  C.fmt = {
    pct: (v) => (v == null || Number.isNaN(v) ? "–" : pct(v)),
    num: (v) => (v == null || Number.isNaN(v) ? "–" : num(v)),
    dec: (v, k = 3) => (v == null || Number.isNaN(v) ? "–" : (+v).toFixed(k)),
    signed: (v, k = 3) => (v == null ? "–" : (v > 0 ? "+" : "") + (+v).toFixed(k)),
  };

  /** Choropleth of values keyed by ISO3; `countries` maps ISO3 → ISO numeric. */
  C.worldMap = function (el, values, countries, opts = {}) {
    const width = 760, height = 390;
    const byNumeric = new Map();
    for (const c of countries) {
      if (c.iso_numeric != null && values[c.iso3] != null) {
        byNumeric.set(String(c.iso_numeric).padStart(3, "0"), { iso3: c.iso3, v: values[c.iso3] });
      }
    }
    const feats = topojson.feature(C.atlas, C.atlas.objects.countries).features;
    const proj = d3.geoNaturalEarth1().fitSize([width, height - 30], { type: "Sphere" });
    const path = d3.geoPath(proj);
    const max = d3.max([...byNumeric.values()], (d) => d.v) || 1;
    const color = d3.scaleSequential(d3.interpolateYlOrRd).domain([0, max]);
    const svg = d3.select(el).append("svg").attr("viewBox", `0 0 ${width} ${height}`)
      .attr("class", "chart map").attr("role", "img").attr("aria-label", opts.label || "map");
    svg.append("path").attr("d", path({ type: "Sphere" })).attr("class", "sphere");
    svg.append("g").selectAll("path").data(feats).join("path")
      .attr("d", path)
      .attr("class", (f) => "country" + (byNumeric.has(f.id) ? " has-value" : "")
        + (opts.highlight && byNumeric.get(f.id)?.iso3 === opts.highlight ? " highlight" : ""))
      .attr("data-iso3", (f) => byNumeric.get(f.id)?.iso3 ?? null)
      .attr("data-value", (f) => byNumeric.get(f.id)?.v ?? null)
      .attr("fill", (f) => (byNumeric.has(f.id) ? color(byNumeric.get(f.id).v) : "#e8e8e8"))
      .append("title").text((f) => {
        const d = byNumeric.get(f.id);
        return `${(opts.name && d ? opts.name(d.iso3) : f.properties.name)}: ${d ? C.fmt.pct(d.v) : "–"}`;
      });
    if (opts.highlight) {
      const hl = feats.filter((f) => byNumeric.get(f.id)?.iso3 === opts.highlight);
      svg.append("g").selectAll("path").data(hl).join("path").attr("d", path)
        .attr("class", "outline");
    }
    const lg = svg.append("g").attr("transform", `translate(20,${height - 22})`);
    const steps = d3.range(0, 1.0001, 0.2);
    lg.selectAll("rect").data(steps).join("rect").attr("x", (d, i) => i * 40).attr("width", 40)
      .attr("height", 8).attr("fill", (d) => color(d * max));
    lg.selectAll("text").data(steps).join("text").attr("x", (d, i) => i * 40).attr("y", 20)
      .text((d) => C.fmt.pct(d * max)).attr("class", "tick");
    return svg.node();
  };

  /** Horizontal bars: rows = [{label, value}], value a share unless opts.format given. */
  C.bars = function (el, rows, opts = {}) {
    const f = opts.format || C.fmt.pct;
    const width = 520, bar = 22, left = 170, height = rows.length * bar + 10;
    const x = d3.scaleLinear().domain([0, d3.max(rows, (r) => r.value) || 1]).range([0, width - left - 70]);
    const svg = d3.select(el).append("svg").attr("viewBox", `0 0 ${width} ${height}`)
      .attr("class", "chart bars").attr("role", "img").attr("aria-label", opts.label || "bars");
    const g = svg.selectAll("g").data(rows).join("g")
      .attr("transform", (d, i) => `translate(0,${i * bar + 4})`);
    g.append("text").attr("x", left - 6).attr("y", bar / 2 + 4).attr("text-anchor", "end")
      .attr("class", "label").text((d) => d.label);
    g.append("rect").attr("class", (d) => "bar" + (d.highlight ? " highlight" : ""))
      .attr("x", left).attr("height", bar - 6).attr("width", (d) => Math.max(1, x(d.value)))
      .attr("data-value", (d) => d.value);
    g.append("text").attr("x", (d) => left + x(d.value) + 4).attr("y", bar / 2 + 4)
      .attr("class", "value").text((d) => f(d.value));
    return svg.node();
  };

  /** Lines over years: series = [{name, points: [{x: year, y}]}]. */
  C.lines = function (el, series, opts = {}) {
    const rowsLegend = Math.ceil(series.length / 3);
    const width = 520, height = 230 + 13 * rowsLegend, m = { l: 46, r: 10, t: 10, b: 34 + 13 * rowsLegend };
    const pts = series.flatMap((s) => s.points);
    const x = d3.scaleLinear().domain(d3.extent(pts, (p) => p.x)).range([m.l, width - m.r]);
    const y = d3.scaleLinear().domain([0, opts.yMax ?? (d3.max(pts, (p) => p.y) || 1)]).nice()
      .range([height - m.b, m.t]);
    const color = d3.scaleOrdinal(d3.schemeTableau10).domain(series.map((s) => s.name));
    const svg = d3.select(el).append("svg").attr("viewBox", `0 0 ${width} ${height}`)
      .attr("class", "chart lines").attr("role", "img").attr("aria-label", opts.label || "lines");
    svg.append("g").attr("transform", `translate(0,${height - m.b})`)
      .call(d3.axisBottom(x).ticks(6).tickFormat(d3.format("d")));
    svg.append("g").attr("transform", `translate(${m.l},0)`)
      .call(d3.axisLeft(y).ticks(5).tickFormat(opts.format || d3.format(".2f")));
    const line = d3.line().x((p) => x(p.x)).y((p) => y(p.y));
    svg.selectAll("path.series").data(series).join("path").attr("class", "series")
      .attr("fill", "none").attr("stroke-width", 2).attr("stroke", (s) => color(s.name))
      .attr("data-name", (s) => s.name).attr("data-points", (s) => s.points.length)
      .attr("d", (s) => line(s.points.sort((a, b) => a.x - b.x)));
    const lg = svg.append("g").attr("transform", `translate(${m.l},${height - 24})`);
    series.forEach((s, i) => {
      const g = lg.append("g").attr("transform", `translate(${(i % 3) * 160},${Math.floor(i / 3) * 13})`);
      g.append("rect").attr("width", 10).attr("height", 10).attr("y", -9).attr("fill", color(s.name));
      g.append("text").attr("x", 14).attr("class", "tick").text(s.name);
    });
    return svg.node();
  };

  /** A table: cols = [{key, label, format?}], rows = objects. */
  C.table = function (el, cols, rows, opts = {}) {
    const t = d3.select(el).append("table").attr("class", "data " + (opts.cls || ""));
    t.append("thead").append("tr").selectAll("th").data(cols).join("th").text((c) => c.label);
    const tr = t.append("tbody").selectAll("tr").data(rows).join("tr");
    if (opts.onClick) tr.attr("class", "clickable").on("click", (e, d) => opts.onClick(d));
    if (opts.rowAttr) tr.attr(opts.rowAttr[0], opts.rowAttr[1]);
    tr.selectAll("td").data((r) => cols.map((c) => ({ c, r }))).join("td")
      .attr("class", (d) => d.c.cls || null)
      .each(function (d) {
        const v = d.c.format ? d.c.format(d.r[d.c.key], d.r) : d.r[d.c.key];
        if (v instanceof Node) this.appendChild(v); else this.textContent = v ?? "–";
      });
    return t.node();
  };
})(window.critmin);
