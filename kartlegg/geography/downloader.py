"""Fetch the reference tables from their public sources and write them as the reference folder's files
(shared/data/README.md), so `load_reference --dir DIR` can read the result.

Parts: klass (SSB KLASS 131 versions, changes, the county table), kostra (the KOSTRA groups, KLASS 131→112),
population (SSB StatBank 07459 and 10826), health (SKDE's health regions and adult DPS areas) and geo (Kartverket's
and SKDE's boundaries). Addresses are in downloader_sources.py.

Everything is written into a temporary folder beside the destination and moved into place only when every part
has succeeded, so a failed run leaves the destination as it was. Files the run does not fetch (other parts, the
published national totals) are carried over from the destination.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from kartlegg.geography import downloader_sources as sources
from kartlegg.geography.downloader_geo import fetch_geo
from kartlegg.geography.downloader_health import fetch_health
from kartlegg.geography.downloader_http import DownloadError, HttpClient
from kartlegg.geography.downloader_klass import fetch_klass, municipality_codes_by_year
from kartlegg.geography.downloader_kostra import fetch_kostra
from kartlegg.geography.downloader_population import fetch_population_files

__all__ = ["PARTS", "DownloadError", "FetchOptions", "FetchResult", "fetch_reference", "parse_only", "parse_years"]

# In this order: the county table takes names from the county boundaries, and population needs the classification.
PARTS: tuple[str, ...] = ("geo", "klass", "kostra", "population", "health")
DEFAULT_YEARS = (2017, 2024)
FIRST_YEAR, LAST_YEAR = 1990, 2100


@dataclass(frozen=True)
class FetchOptions:
    years: tuple[int, ...] = tuple(range(DEFAULT_YEARS[0], DEFAULT_YEARS[1] + 1))
    parts: tuple[str, ...] = PARTS
    quiet: bool = False
    ages: tuple[int, ...] = tuple(range(0, sources.MAX_AGE + 1))
    max_cells: int = sources.SSB_MAX_CELLS


@dataclass
class FetchResult:
    destination: Path
    files: list[str] = field(default_factory=list)
    requests: int = 0


def parse_years(text: str) -> tuple[int, ...]:
    """Parse "2017-2024", "2024" or "2017,2019" into sorted years. Raises ValueError with a Norwegian message."""
    years: set[int] = set()
    for part in (p.strip() for p in text.replace("–", "-").split(",")):
        first, sep, last = part.partition("-")
        if not first.strip().isdigit() or (sep and not last.strip().isdigit()):
            raise ValueError(f"Ugyldige år: {text!r}. Skriv f.eks. 2017-2024, 2024 eller 2017,2019.")
        start, end = int(first), int(last) if sep else int(first)
        if start > end:
            raise ValueError(f"Ugyldig årsintervall {part!r}: første år er etter siste.")
        if start < FIRST_YEAR or end > LAST_YEAR:
            raise ValueError(f"År må være mellom {FIRST_YEAR} og {LAST_YEAR}: {part!r}.")
        years.update(range(start, end + 1))
    return tuple(sorted(years))


def parse_only(text: str) -> tuple[str, ...]:
    """Parse a part list such as "klass,population" into the parts in run order. ValueError names unknown parts."""
    wanted = {p.strip().lower() for p in text.split(",") if p.strip()}
    unknown = sorted(wanted - set(PARTS))
    if unknown or not wanted:
        raise ValueError(f"Ukjent del: {', '.join(unknown) or '(ingen)'}. Velg blant {', '.join(sorted(PARTS))}.")
    return tuple(p for p in PARTS if p in wanted)


def fetch_reference(destination: Path | str, options: FetchOptions, client: HttpClient | None = None) -> FetchResult:
    """Fetch the chosen parts into `destination`, atomically. Raises DownloadError (naming the address) on failure."""
    if not options.years:
        raise DownloadError("Ingen år å hente.")
    target = Path(destination).absolute()
    if target.exists() and not target.is_dir():
        raise DownloadError(f"{target} finnes og er ikke en mappe.")
    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.fetch-", dir=target.parent))
    stage = workdir / "new"
    bar = tqdm(desc="Henter referansedata", unit=" forespørsler", disable=options.quiet, leave=False)
    http = client or HttpClient()
    previous = http.on_request
    http.on_request = _chain(previous, lambda _url: bar.update(1))
    result = FetchResult(destination=target)
    try:
        _copy_existing(target, stage)
        before = http.requests_made
        for part in options.parts:
            bar.set_postfix_str(part)
            result.files.extend(_run_part(part, http, stage, options))
        result.requests = http.requests_made - before
        _swap_into_place(stage, target, workdir)
    finally:
        http.on_request = previous
        bar.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def _run_part(part: str, http: HttpClient, stage: Path, options: FetchOptions) -> list[str]:
    if part == "geo":
        return fetch_geo(http, stage)
    if part == "klass":
        return fetch_klass(http, stage, options.years)
    if part == "kostra":
        return fetch_kostra(http, stage, options.years)
    if part == "population":
        codes = municipality_codes_by_year(stage, options.years)
        return fetch_population_files(http, stage, codes, options.ages, options.max_cells)
    if part == "health":
        return fetch_health(http, stage)
    raise DownloadError(f"Ukjent del: {part}")


def _copy_existing(target: Path, stage: Path) -> None:
    """Start from a copy of what is there, so parts not fetched now survive. Contents only: the copies must be
    writable even if the originals are read-only."""
    stage.mkdir()
    if not target.is_dir():
        return
    for path in sorted(target.rglob("*")):
        copy = stage / path.relative_to(target)
        if path.is_dir():
            copy.mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)


def _swap_into_place(stage: Path, target: Path, workdir: Path) -> None:
    """Two renames on the same file system: the old folder aside, the new one in. Put back the old on failure."""
    old = workdir / "old"
    had_old = target.is_dir()
    if had_old:
        os.rename(target, old)
    try:
        os.rename(stage, target)
    except OSError as error:
        if had_old:
            os.rename(old, target)
        raise DownloadError(f"Kunne ikke flytte de nye filene på plass i {target}: {error}") from error


def _chain(first: Callable[[str], None] | None, second: Callable[[str], None]) -> Callable[[str], None]:
    def both(url: str) -> None:
        if first:
            first(url)
        second(url)

    return both
