"""The self-contained partnership brief: one HTML file (and optionally a PDF of it).

The file is the dashboard's brief page with everything inlined — its data (the same JSON as
``/api/brief/{importer}/{partner}``), the country table, the vendored d3, topojson-client and
world-atlas, the stylesheet, and the vendored Noto Sans KR (SIL OFL 1.1) *subset* to the
characters the brief uses — so it opens offline, in any browser, years later. The PDF is
that file printed by headless Chromium (Debian's ``chromium``; ``scripts/install_browser.sh``
installs it).

The brief is passed around, and its data contains text from ingested articles, so it is safe
by construction: the data (and the atlas) sit in non-executable ``<script
type="application/json">`` blocks, serialised by :func:`json_for_html` with every ``<``, ``>``,
``&``, U+2028 and U+2029 escaped — no text can close the block or open a tag; the page's own
scripts put data into the page as text only (``textContent``/d3 ``.text``); and a strict
Content-Security-Policy ``<meta>`` allows only the inlined scripts and stylesheet by their
sha256 hashes, computed here, and nothing from the network.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from critmin.errors import CritminError
from critmin.web.dashboard import SCRIPTS, STATIC, shell

FONT_FILES = {
    ("latin", 400): "vendor/noto-sans-kr/latin-400.woff2",
    ("latin", 700): "vendor/noto-sans-kr/latin-700.woff2",
    ("korean", 400): "vendor/noto-sans-kr/korean-400.woff2",
    ("korean", 700): "vendor/noto-sans-kr/korean-700.woff2",
}
ATLAS = "vendor/world-atlas/countries-110m.json"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class BrowserMissingError(CritminError, FileNotFoundError):
    """No Chromium to print the PDF with."""


def _font_faces(text: str) -> str:
    """@font-face rules with each vendored font subset to the code points of ``text``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.WARNING)

    wanted = {ord(c) for c in text} | set(range(0x20, 0x7F))
    ranges = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r"(latin|korean)-400\.woff2\) format\(\"woff2\"\);\s*unicode-range: ([^;]+);",
            (STATIC / "fonts.css").read_text(encoding="utf-8"),
        )
    }
    rules = []
    for (sub, weight), rel in FONT_FILES.items():
        font = TTFont(STATIC / rel)
        keep = wanted & set(font.getBestCmap())
        if not keep:
            continue
        opts = subset.Options()
        opts.flavor = "woff2"
        opts.layout_features = ["*"]
        sub_setter = subset.Subsetter(options=opts)
        sub_setter.populate(unicodes=sorted(keep))
        sub_setter.subset(font)
        buf = io.BytesIO()
        font.flavor = "woff2"
        font.save(buf)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "Noto Sans KR"; font-weight: {weight}; '
            f"font-style: normal; src: url(data:font/woff2;base64,{data}) "
            f'format("woff2"); unicode-range: {ranges.get(sub, "U+0-10FFFF")}; }}'
        )
    return "\n".join(rules)


_HTML_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
_SCRIPT_BREAK = re.compile(r"</script|<!--|<script", re.IGNORECASE)


def json_for_html(value: Any) -> str:
    """JSON with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped as ``\\uXXXX`` (still the same
    JSON to a parser), so it can sit inside any HTML element."""
    return json.dumps(value, ensure_ascii=False).translate(_HTML_SAFE)


def _data(element_id: str, value: Any) -> str:
    return f'<script type="application/json" id="{element_id}">{json_for_html(value)}</script>'


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _script(name: str, js: str) -> str:
    if _SCRIPT_BREAK.search(js):
        raise CritminError(
            f"{name} contains '</script', '<script' or '<!--', which would break out of an "
            "inline <script>. Fix: write it as '<\\/script' / '\\x3c!--' in that file"
        )
    return "<script>" + js + "</script>"


def csp(scripts: list[str], styles: list[str]) -> str:
    """The brief's Content-Security-Policy: these inline scripts and styles, by hash; fonts
    and images only from data: URLs; no network, no plugins, no base or form targets."""
    return (
        "default-src 'none'; "
        f"script-src {' '.join(_sha256(x) for x in scripts)}; "
        f"style-src {' '.join(_sha256(x) for x in styles)}; "
        "font-src data:; img-src data:; base-uri 'none'; form-action 'none'"
    )


def brief_html(brief: dict[str, Any], countries: list[dict[str, Any]], *, lang: str) -> str:
    """The self-contained HTML of a brief (``brief`` as returned by the brief endpoint)."""
    data = {"brief": brief, "countries": countries}
    i18n = (STATIC / "i18n.js").read_text(encoding="utf-8")
    css = (STATIC / "critmin.css").read_text(encoding="utf-8")
    fonts = _font_faces(json.dumps(data, ensure_ascii=False) + i18n + "–·…→←")
    atlas = json.loads((STATIC / ATLAS).read_text(encoding="utf-8"))
    code = [(STATIC / rel).read_text(encoding="utf-8") for rel in SCRIPTS]
    style = f"\n{fonts}\n{css}\nheader.top nav, header.top .langs {{ display: none; }}\n"
    blocks = [_data("critmin-data", data), _data("critmin-atlas", atlas)]
    blocks += [_script(rel, js) for rel, js in zip(SCRIPTS, code, strict=True)]
    policy = csp(code, [style])
    return shell(
        "brief",
        lang=lang,
        path=f"/brief/{brief['importer']}/{brief['partner']}",
        twin="",
        params={"importer": brief["importer"], "partner": brief["partner"]},
        head=f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        styles=f"<style>{style}</style>",
        scripts="\n".join(blocks),
    )


def find_chromium() -> str:
    """Path of a Chromium binary: ``CRITMIN_CHROMIUM`` or the first of CHROMIUM_NAMES."""
    explicit = os.environ.get("CRITMIN_CHROMIUM")
    if explicit:
        if not Path(explicit).is_file():
            raise BrowserMissingError(f"CRITMIN_CHROMIUM={explicit} is not a file")
        return explicit
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissingError(
        f"no Chromium found on PATH (looked for {', '.join(CHROMIUM_NAMES)}) to print the "
        "PDF. Fix: run `bash scripts/install_browser.sh` (Debian's chromium), or set "
        "CRITMIN_CHROMIUM"
    )


def write_pdf(html_file: Path, pdf: Path, *, timeout: float = 120.0) -> None:
    """Print ``html_file`` to ``pdf`` with headless Chromium (after its scripts ran)."""
    exe = find_chromium()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="critmin-chromium-") as profile:
        tmp = pdf.with_name(pdf.name + ".part")
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-extensions",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--virtual-time-budget=15000",
            f"--print-to-pdf={tmp}",
            html_file.resolve().as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0 or not tmp.is_file() or tmp.read_bytes()[:5] != b"%PDF-":
            tmp.unlink(missing_ok=True)
            raise CritminError(
                f"Chromium ({exe}) did not print {html_file} to PDF (exit {done.returncode}): "
                f"{done.stderr.strip()[-400:]}"
            )
        tmp.replace(pdf)
