"""Read news documents: Markdown with YAML front matter (as in ``shared/corpus``), HTML and
plain text, Korean or English, into one normalised text with its metadata.

The text keeps paragraphs (blank-line separated) and drops markup: images, link targets, HTML
tags and setext heading underlines. Character spans used as evidence refer to this text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import yaml

from critmin.errors import CritminError


class DocumentError(CritminError, ValueError):
    """A document could not be read or parsed."""


@dataclass(frozen=True)
class Document:
    """A normalised document."""

    path: str
    sha256: str
    title: str
    date: dt.date | None
    language: str
    publisher: str | None
    url: str | None
    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready metadata (without the text)."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "language": self.language,
            "publisher": self.publisher,
            "url": self.url,
        }


_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_IMG = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_SETEXT = re.compile(r"^\s*(=+|-{3,})\s*$", re.M)
_ATX = re.compile(r"^\s*#{1,6}\s*", re.M)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_URL = re.compile(r"https?://\S+")


def language_of(text: str) -> str:
    """``ko`` when Hangul makes up at least 30 % of the letters, else ``en``."""
    ko, en = len(_HANGUL.findall(text)), len(_LATIN.findall(text))
    return "ko" if ko and ko / (ko + en) >= 0.3 else "en"


def _clean_markdown(body: str) -> str:
    body = _IMG.sub("", body)
    body = _LINK.sub(r"\1", body)
    body = _TAG.sub("", body)
    body = html.unescape(body)
    body = _SETEXT.sub("", body)
    body = _ATX.sub("", body)
    paras = [re.sub(r"[ \t]+", " ", p).strip() for p in re.split(r"\n\s*\n", body)]
    return "\n\n".join(p.replace("\n", " ") for p in paras if p)


class _HtmlText(HTMLParser):
    BLOCK: ClassVar[frozenset[str]] = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "tr",
            "section",
            "article",
            "header",
            "footer",
        }
    )

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.title = ""
        self.meta: dict[str, str] = {}
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            a = {k: v or "" for k, v in attrs}
            key = a.get("property") or a.get("name") or ""
            if key and "content" in a:
                self.meta[key.lower()] = a["content"]
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = re.search(r"(\d{4})-(\d{2})-(\d{2})", value)
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
    return None


def read_document(path: Path) -> Document:
    """Read and normalise one document (``.md``, ``.html``/``.htm`` or plain text)."""
    try:
        raw = path.read_bytes()
        source = raw.decode("utf-8-sig")
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path} is not UTF-8 text ({exc}). Fix: convert it to UTF-8") from exc
    sha = hashlib.sha256(raw).hexdigest()
    meta: dict[str, Any] = {}
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        parser = _HtmlText()
        parser.feed(source)
        text = _clean_markdown("".join(parser.parts))
        title = parser.title.strip() or (text.split("\n", 1)[0] if text else path.stem)
        meta = dict(parser.meta)
        date = _date(meta.get("article:published_time") or meta.get("date"))
        publisher = meta.get("og:site_name")
        url = meta.get("og:url")
    else:
        m = _FRONT.match(source)
        if m:
            try:
                loaded = yaml.safe_load(m.group(1)) or {}
            except yaml.YAMLError as exc:
                raise DocumentError(f"{path}: invalid YAML front matter: {exc}") from exc
            if not isinstance(loaded, dict):
                raise DocumentError(f"{path}: front matter must be a mapping")
            meta = loaded
            source = source[m.end() :]
        text = (
            _clean_markdown(source)
            if suffix in (".md", ".markdown") or m
            else "\n\n".join(
                re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", source) if p.strip()
            )
        )
        first = text.split("\n", 1)[0] if text else path.stem
        title = str(meta.get("title") or first).strip()
        date = _date(meta.get("date"))
        publisher = meta.get("publisher")
        links = _URL.findall(str(meta.get("url") or ""))
        url = links[0] if links else None
    if not text.strip():
        raise DocumentError(f"{path} has no text to analyse")
    lang = str(meta.get("language") or language_of(text))
    if lang not in ("ko", "en"):
        raise DocumentError(f"{path}: language {lang!r} is not supported (ko or en)")
    return Document(str(path), sha, title, date, lang, publisher, url, text, meta)
