"""The self-contained partnership brief: one HTML file (and optionally a PDF of it).

The file is the dashboard's brief page with everything inlined — its data (the same JSON as
``/api/brief/{importer}/{partner}``), the country table, the vendored d3, topojson-client and
world-atlas, the stylesheet, and the vendored Noto Sans KR (SIL OFL 1.1) *subset* to the
characters the brief uses — so it opens offline, in any browser, years later. The PDF is
that file printed by headless Chromium (Debian's ``chromium``; ``scripts/install_browser.sh``
installs it).
"""

from __future__ import annotations

import base64
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


def _script(js: str) -> str:
    return "<script>\n" + js.replace("</script", "<\\/script") + "\n</script>"


def brief_html(brief: dict[str, Any], countries: list[dict[str, Any]], *, lang: str) -> str:
    """The self-contained HTML of a brief (``brief`` as returned by the brief endpoint)."""
    data = json.dumps({"brief": brief, "countries": countries}, ensure_ascii=False)
    i18n = (STATIC / "i18n.js").read_text(encoding="utf-8")
    css = (STATIC / "critmin.css").read_text(encoding="utf-8")
    fonts = _font_faces(data + i18n + "–·…→←")
    atlas = (STATIC / ATLAS).read_text(encoding="utf-8")
    scripts = []
    for rel in SCRIPTS:
        if rel == "pages.js":
            scripts.append(
                _script(
                    "window.critmin = window.critmin || {};\n"
                    f"critmin.inline = {data};\ncritmin.atlas = {atlas};"
                )
            )
        scripts.append(_script((STATIC / rel).read_text(encoding="utf-8")))
    page = shell(
        "brief",
        lang=lang,
        path=f"/brief/{brief['importer']}/{brief['partner']}",
        twin="",
        params={"importer": brief["importer"], "partner": brief["partner"]},
        styles=f"<style>\n{fonts}\n{css}\nheader.top nav, header.top .langs {{ display: none; }}"
        "\n</style>",
        scripts="\n".join(scripts),
    )
    return page


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
