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
from collections.abc import Mapping
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


_FRONT = re.compile(r"\A---[ \t]*\n(.{0,65536}?)\n---[ \t]*(?:\n|\Z)", re.S)
# bounded quantifiers keep every pattern linear in the input (no rescans on "![![![…")
_IMG = re.compile(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,2000}\)")
_LINK = re.compile(r"\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)")
_TAG = re.compile(r"<[^<>]{1,2000}>")
_SETEXT = re.compile(r"^[ \t]*(=+|-{3,})[ \t]*$", re.M)
_ATX = re.compile(r"^[ \t]*#{1,6}[ \t]*", re.M)
_TABLE_ROW = re.compile(
    r"^[ \t]*\|.*\|[ \t]*$|^[ \t]*:?-{3,}:?(?:[ \t]*\|[ \t]*:?-{3,}:?)+[ \t]*$", re.M
)
_LINK_ITEM = re.compile(
    r"^[ \t]*(?:[-*+]|\d{1,3}[.)])?[ \t]*(?:\[[^\]\n]{0,500}\]\([^)\n]{0,2000}\)[ \t|·,]*)+$", re.M
)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_URL = re.compile(r"https?://\S{1,2000}")
MAX_BYTES = 2_000_000


def language_of(text: str) -> str:
    """``ko`` when Hangul makes up at least 30 % of the letters, else ``en``."""
    ko, en = len(_HANGUL.findall(text)), len(_LATIN.findall(text))
    return "ko" if ko and ko / (ko + en) >= 0.3 else "en"


def _clean_markdown(body: str) -> str:
    """Markdown to prose: tables, lists of links and images are not prose and are dropped."""
    body = _TABLE_ROW.sub("", body)
    body = _LINK_ITEM.sub("", body)
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

    # navigation, tables and forms are not prose
    SKIP: ClassVar[frozenset[str]] = frozenset(
        {"script", "style", "nav", "aside", "footer", "header", "table", "form", "noscript"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.title = ""
        self.meta: dict[str, str] = {}
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
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
        if tag in self.SKIP:
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


def _date(value: object, where: str) -> dt.date | None:
    """A publication date from front matter or metadata; an impossible date is an error."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError as exc:
                raise DocumentError(
                    f"{where}: date {value!r} is not a calendar date ({exc}). "
                    f"Fix: write it as YYYY-MM-DD"
                ) from exc
    return None


def _front_matter(source: str, where: str) -> tuple[dict[str, Any], str]:
    m = _FRONT.match(source)
    if not m:
        return {}, source
    try:
        loaded = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"{where}: invalid YAML front matter: {exc}") from exc
    except RecursionError as exc:
        raise DocumentError(f"{where}: front matter is nested too deeply to read") from exc
    except (ValueError, OverflowError) as exc:  # an impossible date such as 2024-13-45
        raise DocumentError(
            f"{where}: front matter has an invalid value ({exc}). Fix: write dates as YYYY-MM-DD"
        ) from exc
    if not isinstance(loaded, dict):
        raise DocumentError(f"{where}: front matter must be a mapping")
    return loaded, source[m.end() :]


def _html(source: str, where: str) -> tuple[str, str, dt.date | None, str | None, str | None]:
    """Article text, title, date, site and URL of a saved news page (trafilatura, which
    drops navigation and boilerplate; the plain parser when it finds no article)."""
    import trafilatura

    parser = _HtmlText()
    parser.feed(source)
    meta = dict(parser.meta)
    got = None
    try:
        got = trafilatura.bare_extraction(
            source, with_metadata=True, include_tables=False, include_links=False
        )
    except Exception:  # trafilatura on malformed markup: fall back to the plain parser
        got = None
    text = getattr(got, "text", None) or ""
    text = _clean_markdown(text.replace("\n", "\n\n")) if text else ""
    if not text:
        text = _clean_markdown("".join(parser.parts))
    title = (getattr(got, "title", None) or parser.title or "").strip()
    date = _date(meta.get("article:published_time") or meta.get("date"), where)
    if date is None and getattr(got, "date", None):
        date = _date(str(got.date), where)  # type: ignore[union-attr]
    publisher = meta.get("og:site_name") or getattr(got, "sitename", None)
    url = meta.get("og:url") or getattr(got, "url", None)
    return text, title or (text.split("\n", 1)[0] if text else where), date, publisher, url


FEED_SUFFIXES = (".xml", ".rss", ".atom")


def _is_feed(path: Path, head: str) -> bool:
    return path.suffix.lower() in FEED_SUFFIXES or bool(
        re.match(r"\s*(?:<\?xml[^>]{0,200}>\s*)?<(?:rss|feed|rdf:RDF)\b", head)
    )


def _finish(
    path: str,
    raw: bytes,
    text: str,
    title: str,
    date: dt.date | None,
    publisher: str | None,
    url: str | None,
    meta: dict[str, Any],
) -> Document:
    if not text.strip():
        raise DocumentError(f"{path} has no text to analyse")
    lang = str(meta.get("language") or meta.get("lang") or language_of(text))
    if lang not in ("ko", "en"):
        raise DocumentError(f"{path}: language {lang!r} is not supported (ko or en)")
    sha = hashlib.sha256(raw).hexdigest()
    return Document(path, sha, title, date, lang, publisher, url, text, meta)


def _feed_documents(path: Path, raw: bytes) -> list[Document]:
    """One document per RSS/Atom entry: its content (or summary) as HTML, title and date."""
    import feedparser

    feed = feedparser.parse(raw)
    if not feed.entries:
        raise DocumentError(f"{path}: a feed with no entries ({feed.get('bozo_exception')})")
    site = feed.feed.get("title")
    out = []
    for n, e in enumerate(feed.entries):
        body = (e.get("content") or [{}])[0].get("value") or e.get("summary") or ""
        parser = _HtmlText()
        parser.feed(body)
        text = _clean_markdown("".join(parser.parts))
        title = str(e.get("title") or "").strip()
        if title and not text.startswith(title):
            text = f"{title}\n\n{text}"
        stamp = e.get("published_parsed") or e.get("updated_parsed")
        date = dt.date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday) if stamp else None
        key = str(e.get("id") or e.get("link") or n)
        entry_raw = (key + "\n" + text).encode()
        lang = e.get("language") or feed.feed.get("language")
        meta = {"language": str(lang)[:2].lower()} if lang else {}
        if meta and meta["language"] not in ("ko", "en"):
            meta = {}
        out.append(
            _finish(f"{path}#{n + 1}", entry_raw, text, title, date, site, e.get("link"), meta)
        )
    return out


def read_documents(path: Path, *, max_bytes: int = MAX_BYTES) -> list[Document]:
    """Read one file into its documents: a feed gives one per entry, anything else one."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(
                f"{path} is {size:,} bytes, over the {max_bytes:,}-byte limit for one "
                f"document. Fix: split it, or raise --max-bytes"
            )
        raw = path.read_bytes()
        source = raw.decode("utf-8-sig")
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path} is not UTF-8 text ({exc}). Fix: convert it to UTF-8") from exc
    where = str(path)
    suffix = path.suffix.lower()
    if _is_feed(path, source[:500]):
        return _feed_documents(path, raw)
    is_html = suffix in (".html", ".htm") or bool(
        re.match(r"\s*<(?:!doctype html|html)\b", source[:200], re.I)
    )
    markdown = suffix in (".md", ".markdown")
    return [parse_document(source, where, raw, is_html=is_html, markdown=markdown)]


def parse_document(
    source: str,
    where: str,
    raw: bytes,
    *,
    is_html: bool = False,
    markdown: bool = True,
    fields: Mapping[str, Any] | None = None,
) -> Document:
    """One document from its source text: an HTML page (``is_html``), Markdown with optional
    front matter, or plain text (front matter also makes it Markdown). ``fields`` — title,
    date, language, publisher, url, as a record or a caller knows them — take precedence
    over what the text says."""
    fields = {k: v for k, v in (fields or {}).items() if v is not None and v != ""}
    if is_html:
        text, title, date, publisher, url = _html(source, where)
        meta: dict[str, Any] = {}
    else:
        meta, body = _front_matter(source, where)
        if markdown or meta:
            text = _clean_markdown(body)
        else:
            text = "\n\n".join(
                re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n[ \t]*\n", body) if p.strip()
            )
        first = text.split("\n", 1)[0] if text else Path(where).stem
        title = str(meta.get("title") or first).strip()
        date = _date(meta.get("date"), where)
        links = _URL.findall(str(meta.get("url") or ""))
        url = links[0] if links else None
        found = meta.get("publisher") or meta.get("facts_from")
        publisher = str(found) if found else None
    if "language" in fields:
        meta = {**meta, "language": str(fields["language"])}
    date = _date(fields["date"], where) if "date" in fields else date
    return _finish(
        where,
        raw,
        text,
        str(fields.get("title", title)).strip(),
        date,
        str(fields["publisher"]) if "publisher" in fields else publisher,
        str(fields["url"]) if "url" in fields else url,
        meta,
    )


def read_document(path: Path, *, max_bytes: int = MAX_BYTES) -> Document:
    """Read one file that holds one document (``.md``, ``.html``/``.htm`` or plain text)."""
    docs = read_documents(path, max_bytes=max_bytes)
    if len(docs) != 1:
        raise DocumentError(f"{path} holds {len(docs)} documents (a feed); use read_documents")
    return docs[0]


SUFFIXES = frozenset({".md", ".markdown", ".html", ".htm", ".txt", ".xml", ".rss", ".atom"})
# a folder's own documentation is not news (files named explicitly are always read)
_NOT_NEWS = frozenset({"readme", "provenance", "license", "changelog"})


def document_files(paths: list[Path]) -> list[Path]:
    """The documents to read: files as given, and every document file (by suffix, not a
    README, PROVENANCE, LICENSE or CHANGELOG) under each folder, in name order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in SUFFIXES and f.stem.lower() not in _NOT_NEWS
            )
        elif p.is_file():
            out.append(p)
        else:
            raise DocumentError(f"{p} does not exist: give a document file or a folder of them")
    return out
