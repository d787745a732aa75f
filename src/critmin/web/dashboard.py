"""The bilingual dashboard: HTML shells whose scripts render their JSON twin.

Each page is ``/<page>?lang=en|ko`` and names its twin in ``body[data-twin]`` and in the
"JSON" link of its header; the scripts (``static/pages.js``) fetch that JSON and draw it with
the vendored d3. Every asset is served from ``/static`` (no CDN); ``report.py`` inlines the
same files to make the self-contained brief.

    /                                   home: pick a mineral or an importer   → /api/minerals
    /mineral/{mineral}                  world map, top suppliers, HHI/CR3     → /api/profile/…
    /country/{importer}                 import exposure and risk by method    → /api/exposure/…
    /agreements                         registry list with filters            → /api/agreements
    /agreements/{id}                    one agreement, evidence highlighted   → /api/agreements/{id}
    /brief/{importer}/{partner}         partnership brief                     → /api/brief/…
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from critmin.service.session import Critmin
from critmin.warehouse import lookup

STATIC = Path(__file__).parent / "static"
SCRIPTS = (
    "vendor/d3/d3.min.js",
    "vendor/topojson-client/topojson-client.min.js",
    "i18n.js",
    "charts.js",
    "pages.js",
)
STYLES = ("fonts.css", "critmin.css")
NAV = (
    ("/", "nav_home"),
    ("/country/KOR", "nav_country"),
    ("/agreements", "nav_agreements"),
    ("/brief/KOR/KAZ", "nav_brief"),
)
Lang = Literal["en", "ko"]


def shell(
    page: str,
    *,
    lang: str,
    path: str,
    twin: str,
    params: dict[str, Any],
    styles: str | None = None,
    scripts: str | None = None,
    head: str = "",
) -> str:
    """The HTML of one page. ``styles``/``scripts`` replace the /static links (the report
    passes inline copies, and a CSP ``<meta>`` as ``head``); ``path`` is the page's own URL,
    used by the language switch."""
    lang = lang if lang in ("en", "ko") else "en"
    esc = html.escape
    if styles is None:
        styles = "\n".join(f'<link rel="stylesheet" href="/static/{s}">' for s in STYLES)
    if scripts is None:
        scripts = "\n".join(f'<script src="/static/{s}"></script>' for s in SCRIPTS)
    nav = "".join(f'<a href="{href}?lang={lang}" data-i18n="{key}">{key}</a>' for href, key in NAV)
    langs = "".join(
        f'<a href="{esc(path)}?lang={code}" hreflang="{code}" data-lang-switch="{code}"'
        f"{' class=active' if code == lang else ''}>{label}</a>"
        for code, label in (("en", "English"), ("ko", "한국어"))
    )
    twin_link = f'<a class="twin" href="{esc(twin)}" data-i18n="json">JSON</a>' if twin else ""
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
{head}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>critmin</title>
{styles}
</head>
<body data-page="{esc(page)}" data-lang="{lang}" data-twin="{esc(twin)}"
      data-params="{esc(json.dumps(params, ensure_ascii=False))}">
<header class="top">
<a class="brand" href="/?lang={lang}">critmin</a>
<nav>{nav}</nav>
<span class="langs">{langs}</span>
{twin_link}
</header>
<main id="main"><p class="loading" data-i18n="loading">…</p></main>
<footer><span data-i18n="tagline"></span> · critmin</footer>
{scripts}
</body>
</html>
"""


def register(app: FastAPI, session: Any) -> None:
    """Mount /static and the HTML pages on ``app``; ``session(lang)`` gives a Critmin."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def page(page: str, path: str, twin: str, lang: str, **params: Any) -> HTMLResponse:
        twin += ("&" if "?" in twin else "?") + f"lang={lang}"
        return HTMLResponse(shell(page, lang=lang, path=path, twin=twin, params=params))

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(lang: Lang = "en") -> HTMLResponse:
        return page("home", "/", "/api/minerals", lang)

    @app.get("/mineral/{mineral}", response_class=HTMLResponse, include_in_schema=False)
    def mineral(mineral: str, lang: Lang = "en") -> HTMLResponse:
        mid = lookup.mineral(session("en").con, mineral)
        return page("mineral", f"/mineral/{mid}", f"/api/profile/{mid}", lang, mineral=mid)

    @app.get("/country/{importer}", response_class=HTMLResponse, include_in_schema=False)
    def country(importer: str, lang: Lang = "en", year: int | None = None) -> HTMLResponse:
        from critmin.scenarios import latest_trade_year

        cm: Critmin = session("en")
        iso3, _ = lookup.importer(cm.con, importer)
        year = year or latest_trade_year(cm.con)
        return page(
            "country",
            f"/country/{iso3}",
            f"/api/exposure/{iso3}?year={year}",
            lang,
            importer=iso3,
            year=year,
        )

    @app.get("/agreements", response_class=HTMLResponse, include_in_schema=False)
    def agreements(lang: Lang = "en") -> HTMLResponse:
        return page("agreements", "/agreements", "/api/agreements", lang)

    @app.get("/agreements/{agreement_id}", response_class=HTMLResponse, include_in_schema=False)
    def agreement(agreement_id: int, lang: Lang = "en") -> HTMLResponse:
        return page(
            "agreement",
            f"/agreements/{agreement_id}",
            f"/api/agreements/{agreement_id}",
            lang,
            agreement_id=agreement_id,
        )

    @app.get("/brief/{importer}/{partner}", response_class=HTMLResponse, include_in_schema=False)
    def brief(
        importer: str,
        partner: str,
        lang: Lang = "en",
        uplift: Annotated[float, Query(gt=0, le=10)] = 0.1,
    ) -> HTMLResponse:
        con = session("en").con
        imp, _ = lookup.importer(con, importer)
        par = lookup.country(con, partner)
        return page(
            "brief",
            f"/brief/{imp}/{par}",
            f"/api/brief/{imp}/{par}?uplift={uplift:g}",
            lang,
            importer=imp,
            partner=par,
            uplift=uplift,
        )
