"""The standalone brief is safe by construction (issue 15): data in JSON blocks that no text
can close, a CSP that admits exactly the inlined scripts and stylesheet. The browser proof is
in tests/test_browser.py (stored XSS); these check the HTML itself."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from critmin.web.dashboard import SCRIPTS
from critmin.web.report import brief_html, json_for_html

PAYLOADS = [
    "</SCRIPT><img src=x onerror=alert(1)>",
    "</ScRiPt><img src=x onerror=alert(1)>",
    "</script ><script>alert(1)</script>",
    "<!--<script>alert(1)//",
    "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;",
    "\u2028\u2029]]></style>",
]


@given(st.text())
def test_json_for_html_is_the_same_json_without_markup_characters(text: str) -> None:
    out = json_for_html({"k": text, text: [text]})
    assert not set(out) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(out) == {"k": text, text: [text]}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self._in: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in, self._buf = dict(attrs).get("id") or f"{tag}{len(self.tags)}", []

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._in and tag in ("script", "style"):
            self.text[self._in] = "".join(self._buf)
            self._in = None


def _poisoned(brief: dict[str, Any]) -> dict[str, Any]:
    b = json.loads(json.dumps(brief))
    b["importer_name"] = PAYLOADS[0]
    for i, m in enumerate(b["minerals"]):
        m["mineral_name"] = PAYLOADS[i % len(PAYLOADS)]
    b["agreements"] = [
        {"agreement_id": i, "title": p, "parties": [p], "evidence": [{"sentence": p}]}
        for i, p in enumerate(PAYLOADS)
    ]
    return b


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_poisoned_brief_keeps_its_structure_and_data(api_client: TestClient) -> None:
    brief = _poisoned(api_client.get("/api/brief/KOR/KAZ").json())
    countries = api_client.get("/api/countries").json()["countries"]
    page = brief_html(brief, countries, lang="en")
    assert re.search(r"onerror=alert\(1\)", page)  # the payload is there, as data
    parsed = _Tags()
    parsed.feed(page)
    names = [t for t, _ in parsed.tags]
    assert "img" not in names and names.count("style") == 1
    scripts = [a for t, a in parsed.tags if t == "script"]
    assert len(scripts) == 2 + len(SCRIPTS)  # two data blocks, the page's own scripts
    data = [a for a in scripts if a.get("type") == "application/json"]
    assert [a["id"] for a in data] == ["critmin-data", "critmin-atlas"]
    assert json.loads(parsed.text["critmin-data"]) == {"brief": brief, "countries": countries}
    (meta,) = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    policy = dict(p.strip().split(" ", 1) for p in str(meta["content"]).split(";"))
    assert policy["default-src"] == "'none'" and "unsafe-inline" not in str(meta["content"])
    code = [v for k, v in parsed.text.items() if k.startswith("script")]
    assert sorted(policy["script-src"].split()) == sorted(_sha(c) for c in code)
    (style,) = [v for k, v in parsed.text.items() if k.startswith("style")]
    assert policy["style-src"] == _sha(style)
