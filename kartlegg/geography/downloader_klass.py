"""SSB KLASS: the municipality classification (131) per year, its code changes, and the county table derived from
them (klass/104/fylker.csv).

Version documents are written byte for byte as the API returns them; the loader reads them as they are.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kartlegg.geography import downloader_sources as sources
from kartlegg.geography.downloader_http import DownloadError, HttpClient, display_url

VERSIONS_DIR = "klass/131"
CHANGES_PATH = "klass/131/changes.json"
COUNTIES_PATH = "klass/104/fylker.csv"
COUNTY_COLUMNS = ("version", "fylkesnummer", "fylkesnavn", "n_kommuner")
UNKNOWN = "9999"


@dataclass(frozen=True)
class VersionRef:
    """One version of classification 131 as listed by /classifications/131."""

    id: int
    name: str
    valid_from: date
    valid_to: date | None  # exclusive; None for the current version

    @property
    def file_name(self) -> str:
        return f"kommuneinndeling-{self.valid_from.year}.json"

    def covers(self, year: int) -> bool:
        first = date(year, 1, 1)
        return self.valid_from <= first and (self.valid_to is None or first < self.valid_to)


def parse_versions(document: Any, url: str) -> list[VersionRef]:
    """The versions listed in a KLASS classification document."""
    versions = document.get("versions") if isinstance(document, dict) else None
    if not isinstance(versions, list) or not versions:
        raise DownloadError(f"Uventet svar fra {url}: mangler versions")
    refs = []
    for number, entry in enumerate(versions, start=1):
        try:
            refs.append(
                VersionRef(
                    id=_version_id(entry),
                    name=str(entry.get("name", "")),
                    valid_from=date.fromisoformat(str(entry["validFrom"])[:10]),
                    valid_to=date.fromisoformat(str(entry["validTo"])[:10]) if entry.get("validTo") else None,
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise DownloadError(f"Uventet svar fra {url}: versjon nr. {number} er ufullstendig ({error})") from None
    return refs


def _version_id(entry: dict[str, Any]) -> int:
    # The listing gives the id only in the self link on some API releases, as a field on others.
    if entry.get("id") is not None:
        return int(entry["id"])
    href = entry["_links"]["self"]["href"]
    match = re.search(r"/versions/(\d+)", str(href))
    if not match:
        raise ValueError(f"ingen versjons-id i {href!r}")
    return int(match.group(1))


def versions_for_years(refs: list[VersionRef], years: tuple[int, ...], url: str) -> dict[int, VersionRef]:
    """The version valid on 1 January of each year (2021 is covered by the 2020 version)."""
    chosen = {}
    for year in years:
        matching = [ref for ref in refs if ref.covers(year)]
        if not matching:
            raise DownloadError(f"{url} har ingen kommuneinndeling som gjelder 1. januar {year}")
        chosen[year] = max(matching, key=lambda ref: ref.valid_from)
    return chosen


def fetch_klass(client: HttpClient, stage: Path, years: tuple[int, ...]) -> list[str]:
    """Write the versions for `years`, the changes up to the last year, and the county table. Returns the paths."""
    url = sources.klass_classification_url(sources.KLASS_MUNICIPALITIES)
    params = {"language": sources.KLASS_LANGUAGE}
    refs = parse_versions(client.get_json(url, params), display_url(url, params))
    chosen = versions_for_years(refs, years, display_url(url, params))
    written = []
    documents: dict[int, dict[str, Any]] = {}
    for ref in sorted(set(chosen.values()), key=lambda r: r.valid_from):
        version_url = sources.klass_version_url(ref.id)
        raw = client.request("GET", version_url, params=params, headers={"Accept": "application/json"}).content
        document = _version_document(raw, display_url(version_url, params))
        relative = f"{VERSIONS_DIR}/{ref.file_name}"
        _write_bytes(stage / relative, raw)
        written.append(relative)
        documents[ref.valid_from.year] = document
    written.append(fetch_changes(client, stage, max(years)))
    by_year = {year: documents[ref.valid_from.year] for year, ref in chosen.items()}
    written.append(write_counties(client, stage, by_year))
    return written


def _version_document(raw: bytes, url: str) -> dict[str, Any]:
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DownloadError(f"Uventet svar fra {url}: ikke gyldig JSON ({error})") from None
    items = document.get("classificationItems") if isinstance(document, dict) else None
    if not isinstance(items, list) or not items:
        raise DownloadError(f"Uventet svar fra {url}: mangler classificationItems")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not str(item.get("code", "")).isdigit() or not item.get("name"):
            raise DownloadError(f"Uventet svar fra {url}: element nr. {number} mangler code eller name")
    return document


def fetch_changes(client: HttpClient, stage: Path, last_year: int) -> str:
    url = sources.klass_changes_url(sources.KLASS_MUNICIPALITIES)
    # The last day of the last year, so a change on 1 January of that year is in whichever way SSB counts `to`.
    params = {"from": sources.KLASS_CHANGES_FROM, "to": f"{last_year}-12-31", "language": sources.KLASS_LANGUAGE}
    document = client.get_json(url, params)
    changes = document.get("codeChanges") if isinstance(document, dict) else None
    if not isinstance(changes, list):
        raise DownloadError(f"Uventet svar fra {display_url(url, params)}: mangler codeChanges")
    for number, change in enumerate(changes, start=1):
        if not isinstance(change, dict) or not all(change.get(k) for k in ("oldCode", "newCode", "changeOccurred")):
            raise DownloadError(f"Uventet svar fra {display_url(url, params)}: endring nr. {number} er ufullstendig")
    text = json.dumps({"codeChanges": changes}, ensure_ascii=False, separators=(",", ":"))
    _write_bytes(stage / CHANGES_PATH, text.encode("utf-8"))
    return CHANGES_PATH


def county_versions(years: tuple[int, ...]) -> list[int]:
    """The structure years the county table is written for (see COUNTY_VERSIONS); never empty."""
    chosen = [year for year in sources.COUNTY_VERSIONS if year in years]
    return chosen or [max(years)]


def count_municipalities(document: dict[str, Any]) -> Counter[str]:
    """Municipalities per county (the first two digits of the number); 9999 "unknown" is not one."""
    return Counter(str(item["code"])[:2] for item in document["classificationItems"] if str(item["code"]) != UNKNOWN)


def write_counties(client: HttpClient, stage: Path, documents: dict[int, dict[str, Any]]) -> str:
    rows: list[tuple[int, str, str, int]] = []
    for version in county_versions(tuple(documents)):
        counts = count_municipalities(documents[version])
        names = county_names_from_boundaries(stage, version, set(counts)) or county_names_from_klass(
            client, version, set(counts)
        )
        rows.extend((version, code, names[code], counts[code]) for code in sorted(counts))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COUNTY_COLUMNS)
    writer.writerows(rows)
    _write_bytes(stage / COUNTIES_PATH, buffer.getvalue().encode("utf-8"))
    return COUNTIES_PATH


def county_names_from_boundaries(stage: Path, version: int, codes: set[str]) -> dict[str, str] | None:
    """County names from Kartverket's county file for this structure, if it is in the folder and its counties match.

    The shared county table takes its names from these files, so a fetch that includes them gives the same names.
    """
    candidates = [year for year in sources.COUNTY_NAME_FILES if year <= version]
    if not candidates:
        return None
    path = stage / sources.COUNTY_NAME_FILES[max(candidates)]
    if not path.is_file():
        return None
    try:
        topology = json.loads(path.read_text(encoding="utf-8"))
        names = {}
        for layer in topology["objects"].values():
            for geometry in layer.get("geometries", []):
                properties = geometry.get("properties") or {}
                code = str(properties.get("fylkesnummer", "")).zfill(2)
                name = properties.get("fylkesnavn") or properties.get("navn")
                if code.isdigit() and name:
                    names[code] = str(name)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return names if set(names) == codes else None


def county_names_from_klass(client: HttpClient, version: int, codes: set[str]) -> dict[str, str]:
    url = sources.klass_codes_at_url(sources.KLASS_COUNTIES)
    params = {"date": f"{version}-01-01", "language": sources.KLASS_LANGUAGE}
    document = client.get_json(url, params)
    entries = document.get("codes") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise DownloadError(f"Uventet svar fra {display_url(url, params)}: mangler codes")
    names = {str(e.get("code")).zfill(2): str(e.get("name")) for e in entries if isinstance(e, dict) and e.get("name")}
    missing = sorted(codes - set(names))
    if missing:
        raise DownloadError(f"Uventet svar fra {display_url(url, params)}: mangler fylke {', '.join(missing)}")
    return {code: names[code] for code in codes}


def municipality_codes_by_year(stage: Path, years: tuple[int, ...]) -> dict[int, list[str]]:
    """Municipality codes valid in each year, from the version files in the folder (fetched now or earlier)."""
    folder = stage / VERSIONS_DIR
    covering: dict[int, list[str]] = {}
    for path in sorted(folder.glob("kommuneinndeling-*.json")) if folder.is_dir() else []:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            first = date.fromisoformat(str(document["validFrom"])[:10])
            last = date.fromisoformat(str(document["validTo"])[:10]) if document.get("validTo") else None
            codes = sorted(str(i["code"]) for i in document["classificationItems"] if str(i["code"]) != UNKNOWN)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DownloadError(f"{path} kan ikke leses: {error}") from None
        ref = VersionRef(id=0, name="", valid_from=first, valid_to=last)
        for year in years:
            if ref.covers(year):
                covering[year] = codes
    missing = [year for year in years if year not in covering]
    if missing:
        raise DownloadError(
            f"Befolkningen trenger kommuneinndelingen for {', '.join(map(str, missing))}, som ikke finnes i "
            f"{folder}. Hent den samtidig (--only klass,population)."
        )
    return covering


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
