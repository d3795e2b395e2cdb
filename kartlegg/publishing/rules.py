"""Pure rules of publishing (no ORM): when a publication is public, the minute an embargo ends, the citation line,
and Markdown made safe (markdown → HTML, then nh3 keeps only an allow-list of tags and attributes)."""

from __future__ import annotations

import datetime as dt
import re

import markdown as markdown_lib
import nh3
from django.utils import timezone

SCHEDULED, PUBLISHED, REPLACED = "scheduled", "published", "replaced"
PUBLIC = frozenset({SCHEDULED, PUBLISHED, REPLACED})
MAX_MARKDOWN = 50_000
ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "pre", "table",
    "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
SAFE_SCHEMES = {"http", "https", "mailto"}


def is_public(status: str, publish_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Scheduled or published, and the time has come. The time alone decides, to the minute."""
    if status not in PUBLIC or publish_at is None:
        return False
    return publish_at <= (now or timezone.now())


def to_minute(moment: dt.datetime) -> dt.datetime:
    """An embargo is set to the minute: seconds and microseconds dropped."""
    return moment.replace(second=0, microsecond=0)


def version_number(key: str) -> int | None:
    """ "v2" → 2; "live" or "" → None."""
    match = re.fullmatch(r"v(\d+)", key or "")
    return int(match.group(1)) if match else None


def date_text(moment: dt.datetime | None) -> str:
    """12.03.2025 in Norwegian local time; empty for None."""
    return "" if moment is None else timezone.localtime(moment).strftime("%d.%m.%Y")


def citation(publisher: str, year_published: int | None, title: str, url: str, version: int = 1) -> str:
    """ "kartlegg (2024). Title (versjon 2). https://…"; the version only after a correction."""
    when = f" ({year_published})" if year_published else ""
    tail = f" (versjon {version})" if version > 1 else ""
    return f"{publisher}{when}. {title.rstrip('.')}{tail}. {url}"


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to show: raw HTML, scripts, styles, event handlers and javascript: links are
    removed by nh3's allow-list; links get rel="noopener noreferrer"."""
    html = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=SAFE_SCHEMES,
        link_rel="noopener noreferrer",
    )


def check_markdown(text: str) -> str:
    """The text as stored, or ValueError naming the problem."""
    text = (text or "").replace("\x00", "").replace("\r\n", "\n")
    if len(text) > MAX_MARKDOWN:
        raise ValueError(f"teksten er for lang ({len(text)} tegn; høyst {MAX_MARKDOWN}).")
    return text
