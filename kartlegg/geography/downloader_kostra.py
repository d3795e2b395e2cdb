"""SSB's KOSTRA groups: the KLASS correspondence between the municipality classification (131) and the KOSTRA
grouping (112), valid on 1 January of each year, written byte for byte as the API returns it to
klass/112/kostragrupper-YYYY.json. A year for which KLASS has no correspondence is left out (the groups are revised
every few years, and the correspondence is published after the year has begun)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kartlegg.geography import downloader_sources as sources
from kartlegg.geography.downloader_http import DownloadError, HttpClient, display_url

KOSTRA_DIR = "klass/112"


def kostra_path(year: int) -> str:
    return f"{KOSTRA_DIR}/kostragrupper-{year}.json"


def parse_correspondence(raw: bytes, url: str) -> list[dict[str, Any]]:
    """The correspondence items; DownloadError naming the address when the answer is not what KLASS sends."""
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DownloadError(f"Uventet svar fra {url}: ikke gyldig JSON ({error})") from None
    items = document.get("correspondenceItems") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise DownloadError(f"Uventet svar fra {url}: mangler correspondenceItems")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not str(item.get("sourceCode", "")).isdigit() or not item.get("targetCode"):
            raise DownloadError(f"Uventet svar fra {url}: element nr. {number} mangler sourceCode eller targetCode")
    return items


def fetch_kostra(client: HttpClient, stage: Path, years: tuple[int, ...]) -> list[str]:
    url = sources.klass_corresponds_at_url(sources.KLASS_MUNICIPALITIES)
    written = []
    for year in years:
        params = {
            "targetClassificationId": str(sources.KLASS_KOSTRA_GROUPS),
            "date": f"{year}-01-01",
            "language": sources.KLASS_LANGUAGE,
        }
        raw = client.request("GET", url, params=params, headers={"Accept": "application/json"}).content
        if not parse_correspondence(raw, display_url(url, params)):
            continue
        target = stage / kostra_path(year)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        written.append(kostra_path(year))
    if not written:
        raise DownloadError(f"KLASS har ingen KOSTRA-grupper for årene {years[0]}–{years[-1]} ({url}).")
    return written
