"""The dashboard's JSON twins and HTML shells (no browser: see tests/test_browser.py), the
vendored assets, the UI dictionaries and the partnership brief's numbers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from conftest import REPO, Tiny, error_message
from critmin.sources.fetch import sha256_file
from critmin.web.dashboard import STATIC

PAGES = [
    ("/", "/api/minerals"),
    ("/mineral/chromium", "/api/profile/chromium"),
    ("/country/KOR", "/api/exposure/KOR"),
    ("/agreements", "/api/agreements"),
    ("/brief/KOR/KAZ", "/api/brief/KOR/KAZ"),
]


def test_every_page_names_a_twin_that_answers(api_client: TestClient) -> None:
    for page, twin in PAGES:
        for lang in ("en", "ko"):
            r = api_client.get(f"{page}?lang={lang}")
            assert r.status_code == 200, (page, r.text)
            html = r.text
            assert f'<html lang="{lang}">' in html
            found = re.search(r'data-twin="([^"]+)"', html)
            assert found and found.group(1).startswith(twin), (page, found)
            j = api_client.get(found.group(1).replace("&amp;", "&"))
            assert j.status_code == 200, (found.group(1), j.text)
            assert j.json()["sources"], found.group(1)
            # both languages are one click away, and the page keeps its path
            assert f'href="{page}?lang=ko"' in html and f'href="{page}?lang=en"' in html


def test_pages_load_only_local_assets(api_client: TestClient) -> None:
    html = api_client.get("/mineral/chromium").text
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(not re.match(r"(https?:)?//", x) for x in refs), refs
    for ref in refs:
        if ref.startswith("/static/"):
            assert api_client.get(ref).status_code == 200, ref
    for path in STATIC.glob("*.*"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?https?://""", text), path


def test_vendored_assets_match_their_manifest_and_carry_licences() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "vendor_assets.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((STATIC / "vendor" / "MANIFEST.json").read_text(encoding="utf-8"))
    packages = {p["package"]: p for p in manifest["packages"]}
    assert set(packages) >= {"d3", "topojson-client", "world-atlas", "@fontsource/noto-sans-kr"}
    assert all(p["licence"] and p["integrity"].startswith("sha512-") for p in packages.values())


def test_vendor_check_catches_a_changed_file(tmp_path: Path) -> None:
    target = STATIC / "vendor" / "world-atlas" / "LICENSE"
    original = target.read_bytes()
    try:
        target.write_bytes(original + b"\n")
        done = subprocess.run(
            [sys.executable, str(REPO / "scripts" / "vendor_assets.py"), "--check"],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1 and "world-atlas/LICENSE: sha256" in done.stderr
    finally:
        target.write_bytes(original)


def _i18n() -> dict[str, dict[str, str]]:
    text = (STATIC / "i18n.js").read_text(encoding="utf-8")
    out: dict[str, dict[str, str]] = {}
    for lang in ("en", "ko"):
        block = re.search(lang + r": \{(.*?)\n  \},", text, re.S)
        assert block, lang
        out[lang] = dict(re.findall(r'(\w+): "((?:[^"\\]|\\.)*)"', block.group(1)))
    return out


def test_ui_strings_exist_in_both_languages_and_the_font_covers_them(
    api_client: TestClient,
) -> None:
    from fontTools.ttLib import TTFont

    d = _i18n()
    assert set(d["en"]) == set(d["ko"]) and len(d["en"]) > 80
    used = set(re.findall(r'T\("(\w+)"\)', (STATIC / "pages.js").read_text(encoding="utf-8")))
    assert used - set(d["en"]) == set(), used - set(d["en"])
    assert sum(d["ko"][k] != d["en"][k] for k in d["en"]) > 70  # really translated
    cmap = set(TTFont(STATIC / "vendor" / "noto-sans-kr" / "korean-400.woff2").getBestCmap())
    cmap |= set(TTFont(STATIC / "vendor" / "noto-sans-kr" / "latin-400.woff2").getBestCmap())
    korean_names = [
        m["name_ko"] for m in api_client.get("/api/minerals").json()["minerals"] if m["name_ko"]
    ] + [c["name_ko"] for c in api_client.get("/api/countries").json()["countries"] if c["name_ko"]]
    text = "".join(d["ko"].values()) + "".join(korean_names)
    missing = {c for c in text if ord(c) not in cmap and not c.isspace()}
    assert missing == set(), f"glyphs missing from the vendored fonts: {sorted(missing)}"


def test_new_endpoints_and_their_errors(api_client: TestClient) -> None:
    series = api_client.get("/api/profile/chromium/series?stage=mining").json()
    assert series["series"] and all(0 < p["hhi"] <= 1 for p in series["series"])
    assert all(p["cr3"] >= p["hhi"] - 1e-12 for p in series["series"])  # CR3 ≥ Σs² always
    countries = api_client.get("/api/countries").json()["countries"]
    kaz = next(c for c in countries if c["iso3"] == "KAZ")
    assert kaz["iso_numeric"] == 398 and kaz["name_ko"] == "카자흐스탄"
    ids = [a["agreement_id"] for a in api_client.get("/api/agreements").json()["agreements"]]
    a = api_client.get(f"/api/agreements/{ids[0]}?lang=ko").json()
    chars = list(a["text"])
    assert a["evidence"] and all(
        "".join(chars[e["start"] : e["end"]]) == e["sentence"] for e in a["evidence"]
    )
    assert "no agreement 999999" in error_message(api_client.get("/api/agreements/999999"), 404)
    assert "unknown country" in error_message(api_client.get("/api/brief/KOR/Atlantis"), 404)
    assert "importer itself" in error_message(api_client.get("/api/brief/KOR/KOR"), 400)
    assert "uplift" in error_message(api_client.get("/api/brief/KOR/KAZ?uplift=0"), 422)
    assert "unknown mineral" in error_message(
        api_client.get("/api/profile/unobtainium/series"), 404
    )


def test_a_bad_page_is_an_html_page_with_the_same_error(api_client: TestClient) -> None:
    r = api_client.get("/mineral/unobtainium?lang=ko")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert 'data-page="error"' in r.text and "unknown mineral" in r.text
    assert '<html lang="ko">' in r.text


def test_brief_numbers_follow_from_the_scenario(api_client: TestClient, tiny_built: Tiny) -> None:
    before = sha256_file(tiny_built.db)
    b = api_client.get("/api/brief/KOR/KAZ?uplift=0.25").json()
    assert b["importer"] == "KOR" and b["partner"] == "KAZ"
    assert b["agreements"] and all("KAZ" in a["countries"] for a in b["agreements"])
    named = {m for a in b["agreements"] for m in a["minerals"]}
    scope = {m["mineral"] for m in b["minerals"]}
    assert named <= scope
    assert any(m["whatif"] for m in b["minerals"]), b["minerals"]
    head = next(m for m in b["minerals"] if m["partner_world_share"])
    assert (
        b["map"]["mineral"] == head["mineral"]
        and b["map"]["basis"] == (head["partner_world_share"]["basis"])
    )
    assert b["map"]["shares"]["KAZ"] == pytest.approx(head["partner_world_share"]["share"])
    con = duckdb.connect(str(tiny_built.db), read_only=True)
    for m in b["minerals"]:
        w = m["whatif"]
        if not w:
            continue
        traded = next(s for s in m["exposure"] if s["stage"] == w["stage"])
        # capacity check: the partner cannot add more than it exports to other countries
        ((world, to_kor),) = con.execute(
            "SELECT sum(quantity_t), coalesce(sum(quantity_t) FILTER (WHERE importer = 'KOR'), 0) "
            "FROM tidy.trade WHERE exporter = 'KAZ' AND year = ? "
            "AND hs6 IN (SELECT unnest(?::VARCHAR[]))",
            [b["year"], w["assumptions"]["hs6"]],
        ).fetchall()
        wanted = 0.25 * traded["imports_t"]
        assert w["requested_tonnes"] == pytest.approx(wanted)
        assert w["cap_tonnes"] == pytest.approx(world - to_kor)
        assert w["tonnes"] == pytest.approx(min(wanted, world - to_kor))
        assert w["capped"] == (world - to_kor < wanted) and w["cap_note"]
        flows = dict(
            con.execute(
                "SELECT exporter, sum(quantity_t) FROM tidy.trade WHERE importer = 'KOR' "
                "AND year = ? AND hs6 IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
                [b["year"], w["assumptions"]["hs6"]],
            ).fetchall()
        )
        total = sum(flows.values())
        assert traded["imports_t"] == pytest.approx(total)
        hhi_before = sum((v / total) ** 2 for v in flows.values())
        assert w["before"]["import_hhi"] == pytest.approx(hhi_before)
        flows["KAZ"] = flows.get("KAZ", 0.0) + w["tonnes"]
        hhi_after = sum((v / (total + w["tonnes"])) ** 2 for v in flows.values())
        assert w["after"]["import_hhi"] == pytest.approx(hhi_after)
    assert sha256_file(tiny_built.db) == before


def test_pdf_without_a_browser_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from critmin.web.report import BrowserMissingError, find_chromium

    monkeypatch.setenv("CRITMIN_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(BrowserMissingError, match="/nonexistent/chromium is not a file"):
        find_chromium()
    monkeypatch.delenv("CRITMIN_CHROMIUM")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(FileNotFoundError, match=r"scripts/install_browser\.sh"):
        find_chromium()


def test_report_html_is_self_contained(api_client: TestClient, tmp_path: Path) -> None:
    from critmin.web.report import brief_html

    brief = api_client.get("/api/brief/KOR/KAZ?lang=ko").json()
    countries = api_client.get("/api/countries").json()["countries"]
    html = brief_html(brief, countries, lang="ko")
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert "<link" not in html and '<script src="' not in html
    assert html.count("data:font/woff2;base64,") >= 2  # Latin and Korean subsets
    assert "U+0-10FFFF" not in html and "U+AC00-D7AF" in html  # each face keeps its range
    assert '"partner": "KAZ"' in html and 'id="critmin-atlas"' in html
    assert html.count("</script>") == html.count("<script")  # inlined JSON cannot close a tag
