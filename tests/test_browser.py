"""Browser tests: Playwright drives Debian's Chromium (scripts/install_browser.sh) against the
dashboard served over the real warehouse and the real news corpus.

Every page is opened in English and Korean; the tests check that the charts and the map are
drawn *with data* (marks carry data-* attributes), that the vendored Korean font is the one
rendering, that no request leaves the machine, and they click from an agreement to its
evidence. Screenshots are saved under ``artifacts/screenshots/`` (``CRITMIN_ARTIFACTS``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.warehouse]

ARTIFACTS = Path(os.environ.get("CRITMIN_ARTIFACTS") or REPO / "artifacts") / "screenshots"
CORPUS = REPO.parent / "shared" / "corpus"


def _ingest(db: Path, docs: Path, reg: Path) -> Path:
    from click.testing import CliRunner

    from critmin.cli import cli

    res = CliRunner().invoke(cli, ["--db", str(db), "ingest", str(docs), "--registry", str(reg)])
    assert res.exit_code == 0, res.stderr
    return reg


@pytest.fixture(scope="session")
def registry(real_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = CORPUS if CORPUS.is_dir() else REPO / "eval" / "agreements"
    return _ingest(real_warehouse, docs, tmp_path_factory.mktemp("registry") / "reg.duckdb")


def _serve(app: Any) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the test server did not start in 30 s"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def server(real_warehouse: Path, registry: Path) -> Iterator[str]:
    from critmin.web.app import create_app

    yield from _serve(create_app(real_warehouse, registry))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from critmin.web.report import find_chromium

    exe = find_chromium()  # raises with the fix (scripts/install_browser.sh) when missing
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=exe,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


class Watched:
    """A page that records script errors and every URL it requested."""

    def __init__(self, browser: Any, allowed: tuple[str, ...]) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

        def route(r: Any) -> None:
            if r.request.url.startswith(allowed):
                r.continue_()
            else:
                self.foreign.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)

    def open(self, url: str) -> Any:
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready]", timeout=60_000)
        assert self.page.get_attribute("body", "data-ready") == "true", self.page.inner_text("main")
        self.page.evaluate("document.fonts.ready")
        return self.page

    def check(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert self.errors == [], self.errors
        assert self.foreign == [], f"requests left the machine: {self.foreign}"
        self.page.close()


def _count(page: Any, selector: str) -> int:
    return int(page.locator(selector).count())


def _font_ok(page: Any, sample: str) -> None:
    loaded = page.evaluate(
        """() => [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'Noto Sans KR'
                  && f.status === 'loaded').length"""
    )
    assert loaded >= 1, "the vendored Noto Sans KR did not load"
    assert page.evaluate("(s) => document.fonts.check('16px \"Noto Sans KR\"', s)", sample)


KO = {"nav": "협정", "lithium": "리튬", "brief": "파트너십 브리프"}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_mineral_page_draws_map_bars_and_series(browser: Any, server: str, lang: str) -> None:
    w = Watched(browser, (server,))
    page = w.open(f"{server}/mineral/lithium?lang={lang}")
    assert page.get_attribute("html", "lang") == lang
    assert _count(page, "svg.map path.country.has-value") >= 5
    values = page.eval_on_selector_all(
        "svg.map path.country.has-value", "els => els.map(e => +e.dataset.value)"
    )
    assert all(0 <= v <= 1 for v in values) and max(values) > 0.2  # lithium is concentrated
    assert _count(page, "svg.bars rect.bar") >= 3
    points = page.eval_on_selector_all(
        "svg.lines path.series", "els => els.map(e => +e.dataset.points)"
    )
    assert points and max(points) >= 5  # HHI and CR3 over several years
    assert page.inner_text("h1") == (KO["lithium"] if lang == "ko" else "Lithium")
    # switching the stage/source tab redraws the map from the same JSON
    tabs = page.locator(".tabs button")
    assert tabs.count() >= 2
    tabs.nth(1).click()
    assert page.locator(".tabs button.active").inner_text() == tabs.nth(1).inner_text()
    assert _count(page, "svg.map path.country.has-value") >= 1
    _font_ok(page, "한국어")
    w.check(f"mineral-lithium-{lang}")

    w = Watched(browser, (server,))
    page = w.open(f"{server}/mineral/lithium?lang={lang}")
    page.select_option("select[name=mineral]", "cobalt")  # the picker opens another mineral
    page.wait_for_url("**/mineral/cobalt*")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("h1") == ("코발트" if lang == "ko" else "Cobalt")
    assert _count(page, "svg.map path.country.has-value") >= 5
    w.check(f"mineral-cobalt-{lang}")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_country_page_shows_exposure_and_risk(browser: Any, server: str, lang: str) -> None:
    w = Watched(browser, (server,))
    page = w.open(f"{server}/country/KOR?lang={lang}")
    assert _count(page, "table.exposure tbody tr") >= 10
    assert _count(page, "table.risk tbody tr") >= 10
    assert _count(page, "section.exposure svg.bars rect.bar") >= 1
    first = page.locator("table.exposure tbody tr").nth(0)
    mineral = first.locator("td").nth(0).inner_text()
    first.click()
    assert mineral in page.locator("section.exposure .detail h3").inner_text()
    if lang == "ko":
        assert "대한민국" in page.inner_text("h1") and KO["nav"] in page.inner_text("header")
    _font_ok(page, "대한민국")
    w.check(f"country-KOR-{lang}")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_agreement_list_to_highlighted_evidence(browser: Any, server: str, lang: str) -> None:
    w = Watched(browser, (server,))
    page = w.open(f"{server}/agreements?lang={lang}")
    rows = _count(page, "table.agreements tbody tr")
    assert rows >= 1
    page.select_option("select[name=status]", "signed")
    assert 1 <= _count(page, "table.agreements tbody tr") <= rows
    page.fill("input[name=q]", "no agreement has this text 12345")
    assert _count(page, "table.agreements tbody tr") == 0
    page.fill("input[name=q]", "")
    w.check(f"agreements-{lang}")

    w = Watched(browser, (server,))
    page = w.open(f"{server}/agreements?lang={lang}")
    page.locator("table.agreements tbody tr").first.click()
    page.wait_for_url("**/agreements/*")
    page.wait_for_selector("body[data-ready=true]")
    marks = page.locator(".doc-text mark.evidence")
    assert marks.count() >= 1
    link = page.locator("a.evidence-link").first
    sentence = link.inner_text()
    link.click()
    active = page.locator(".doc-text mark.evidence.active")
    assert active.count() == 1 and active.inner_text() == sentence
    assert active.is_visible()
    w.check(f"agreement-evidence-{lang}")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_brief_and_home_pages(browser: Any, server: str, lang: str) -> None:
    w = Watched(browser, (server,))
    page = w.open(f"{server}/brief/KOR/KAZ?lang={lang}")
    assert _count(page, ".brief-agreements li") >= 1
    assert _count(page, "table.scope tbody tr") >= 1
    assert _count(page, "svg.map path.country.has-value") >= 5
    assert _count(page, "svg.map path.outline") >= 1  # the partner is outlined
    assert _count(page, "table.whatif tbody tr") >= 1
    if lang == "ko":
        assert KO["brief"] in page.inner_text("h1")
    _font_ok(page, "카자흐스탄")
    added = page.eval_on_selector_all(
        "table.whatif tbody tr td:nth-child(3)", "els => els.map(e => e.textContent)"
    )
    page.fill("form.uplift input[name=uplift]", "50")  # live what-if: 50 % instead of 10 %
    page.locator("form.uplift button").click()
    page.wait_for_url("**uplift=0.5*")
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value("form.uplift input[name=uplift]") == "50"
    after = page.eval_on_selector_all(
        "table.whatif tbody tr td:nth-child(3)", "els => els.map(e => e.textContent)"
    )
    num = [float(x.replace(",", "")) for x in added]
    num5 = [float(x.replace(",", "")) for x in after]
    # the what-if is capped by the partner's exports to other countries (issue #12): a row
    # whose 50 % uplift hits the cap adds less than five times its 10 % tonnes
    twin = page.request.get(f"{server}/api/brief/KOR/KAZ?uplift=0.5&lang={lang}").json()
    capped = [m["whatif"]["capped"] for m in twin["minerals"] if m["whatif"]]
    assert len(num) == len(num5) == len(capped) and any(capped)
    assert all(
        (a - 3 <= b <= 5 * a + 3) if cap else abs(b - 5 * a) <= 3  # display rounds to 1 t
        for a, b, cap in zip(num, num5, capped, strict=True)
    ), (added, after, capped)
    w.check(f"brief-KOR-KAZ-{lang}")

    w = Watched(browser, (server,))
    page = w.open(f"{server}/?lang={lang}")
    assert _count(page, "form.picker select option") > 50
    page.locator("[data-lang-switch=ko]").click()
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_attribute("html", "lang") == "ko"
    w.check(f"home-{lang}")


def test_the_report_opens_offline_and_prints(
    browser: Any, real_warehouse: Path, registry: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from critmin.cli import cli

    html, pdf = tmp_path / "brief.html", tmp_path / "brief.pdf"
    res = CliRunner().invoke(
        cli,
        [
            "--db", str(real_warehouse), "report", "--importer", "KOR", "--partner", "KAZ",
            "--out", str(html), "--pdf", str(pdf), "--lang", "ko", "--registry", str(registry),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
    w = Watched(browser, ("file://", "data:"))  # nothing but the file itself
    page = w.open(html.as_uri())
    assert _count(page, "svg.map path.country.has-value") >= 5
    assert _count(page, "table.whatif tbody tr") >= 1
    assert "파트너십 브리프" in page.inner_text("h1")
    _font_ok(page, "카자흐스탄")
    w.check("report-KOR-KAZ-ko")


# ---- stored XSS (issue 15): an ingested article carrying script must run nothing ------------
EVIL = """---
title: "Korea and Kazakhstan sign lithium MOU </SCRIPT><img src=x onerror=alert(1)>"
date: 2025-06-01
language: en
publisher: "Evil Wire </ScRiPt><img src=x onerror=window.__xss=1>"
---

Korea and Kazakhstan signed a memorandum of understanding on lithium supply in Astana.

KIGAM and Nazarbayev University signed a memorandum of understanding on lithium research
&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; in Daejeon.

Kazatomprom signed an agreement with KHNP on uranium </ScRiPt><img src=x onerror="window.__xss=1">
supply.
"""


@pytest.fixture(scope="module")
def evil_registry(real_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("evil")
    (tmp / "evil.md").write_text(EVIL, encoding="utf-8")
    return _ingest(real_warehouse, tmp / "evil.md", tmp / "agreements.duckdb")


@pytest.fixture(scope="module")
def evil_server(real_warehouse: Path, evil_registry: Path) -> Iterator[str]:
    from critmin.web.app import create_app

    yield from _serve(create_app(real_warehouse, evil_registry))


class Armed(Watched):
    """A watched page that records dialogs (alert) instead of showing them."""

    def __init__(self, browser: Any, allowed: tuple[str, ...]) -> None:
        super().__init__(browser, allowed)
        self.dialogs: list[str] = []

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)

    def open(self, url: str) -> Any:
        """Open ``url``; assert that nothing ran, *then* that the page drew itself."""
        page = self.page
        page.goto(url)
        page.wait_for_selector("body[data-ready]", timeout=60_000)
        page.wait_for_timeout(300)  # an onerror fires once the broken image fails
        assert self.dialogs == [], f"script ran: alert({self.dialogs})"
        assert page.evaluate("window.__xss") is None, "script ran: window.__xss was set"
        assert page.locator("img").count() == 0  # no element was made from the data
        assert page.get_attribute("body", "data-ready") == "true", page.inner_text("main")
        return page

    def shown(self) -> str:
        return str(self.page.inner_text("main"))


def test_stored_xss_runs_nothing_on_the_dashboard(
    browser: Any, evil_server: str, evil_registry: Path
) -> None:
    import httpx

    rows = httpx.get(f"{evil_server}/api/agreements").json()["agreements"]
    text = httpx.get(f"{evil_server}/api/agreements/{rows[0]['agreement_id']}").json()["text"]
    data = repr(rows) + text
    assert "</SCRIPT><img" in data and "</script><img" in data  # the payloads are stored
    w = Armed(browser, (evil_server,))
    w.open(f"{evil_server}/agreements")
    assert "</SCRIPT><img src=x onerror=alert(1)>" in w.shown()  # shown as text
    w.check("xss-agreements")
    for row in rows:
        w = Armed(browser, (evil_server,))
        w.open(f"{evil_server}/agreements/{row['agreement_id']}")
        shown = w.shown()
        assert "</ScRiPt><img" in shown and "</script><img" in shown
        w.check(f"xss-agreement-{row['agreement_id']}")
    for lang in ("en", "ko"):
        w = Armed(browser, (evil_server,))
        w.open(f"{evil_server}/brief/KOR/KAZ?lang={lang}")
        assert "onerror" in w.shown()
        w.check(f"xss-brief-{lang}")


def test_stored_xss_runs_nothing_in_the_standalone_brief(
    browser: Any, real_warehouse: Path, evil_registry: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from critmin.cli import cli

    html = tmp_path / "brief.html"
    res = CliRunner().invoke(
        cli,
        [
            "--db", str(real_warehouse), "report", "--importer", "KOR", "--partner", "KAZ",
            "--out", str(html), "--registry", str(evil_registry),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    source = html.read_text(encoding="utf-8")
    assert "onerror=alert(1)" in source  # the payload is in the file
    w = Armed(browser, ("file://", "data:"))
    page = w.open(html.as_uri())  # data-ready=true: the CSP hashes admit every inlined script
    shown = w.shown()
    assert 'http-equiv="Content-Security-Policy"' in source
    assert "</script><img src=x onerror=alert(1)>" in shown
    assert _count(page, "svg.map path.country.has-value") >= 5
    w.check("xss-report")
