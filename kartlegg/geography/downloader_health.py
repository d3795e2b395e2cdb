"""SKDE's health regions: municipality (and city district) → RHF / HF (and DPS for Helse Nord), and the adult DPS
catchment areas, written in the reference folder's formats.

SKDE's residence-area files have no rows for Oslo. As in the shared folder, the 17 Oslo rows are added from the
adult DPS table: each bydel's DPS belongs to one HF (OSLO_DPS_HF), so for Oslo the HF is the mental-health
catchment.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

from kartlegg.geography import downloader_sources as sources
from kartlegg.geography.downloader_http import DownloadError, HttpClient

HF_COLUMNS = ("komnr", "komnr_navn", "bydel", "bydel_navn", "borhf", "borhf_navn", "bohf", "bohf_navn")
DPS_REGION_COLUMNS = ("bodps", "bodps_navn")
DPS_COLUMNS = ("dps_area", "area_adjusted_flag", "code", "name")

_ROW = re.compile(r"<tr[^>]*>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*</tr>", re.IGNORECASE | re.DOTALL)
_NOTE = re.compile(r"\(\s*\*.*?\)", re.DOTALL)  # "(* I praksis er ...)": a footnote, not a member
_MEMBER = re.compile(r"(?<!\d)(\d{6}|\d{4})\s+(.+?)\s*(?=,\s*\d{4,6}\s|$)", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class DpsMember:
    area: str
    adjusted: bool
    code: str
    name: str


def parse_dps_table(text: str, url: str) -> list[DpsMember]:
    """The DPS areas and their municipalities / city districts from the atlas's HTML table.

    An area marked with * was adjusted by SKDE to fit municipality and bydel borders. Known errors in the table
    (DPS_FIXES) are corrected, and a code listed twice in the same area is kept once.
    """
    members: list[DpsMember] = []
    seen: dict[str, str] = {}
    for area_cell, member_cell in _ROW.findall(text):
        area_text = _clean(area_cell)
        adjusted = "*" in area_text
        area = area_text.replace("*", "").strip()
        if not area:
            continue
        for code, raw_name in _MEMBER.findall(_clean(_NOTE.sub("", member_cell))):
            name = _tidy_name(raw_name)
            code = sources.DPS_FIXES.get((code, name), code)
            if code in seen:
                if seen[code] != area:
                    raise DownloadError(f"Uventet svar fra {url}: {code} står i både {seen[code]} og {area}")
                continue
            seen[code] = area
            members.append(DpsMember(area, adjusted, code, name))
    if not members:
        raise DownloadError(f"Uventet svar fra {url}: fant ingen DPS-tabell (rader med <tr><td>område</td><td>…)")
    return members


def _clean(cell: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", cell)).split())


def _tidy_name(name: str) -> str:
    # The table glues "Uoppgitt" to "bydel" in places.
    return re.sub(r"\bUoppgittbydel\b", "Uoppgitt bydel", name.strip().rstrip(","))


def dps_csv(members: list[DpsMember]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DPS_COLUMNS)
    writer.writerows((m.area, "True" if m.adjusted else "False", m.code, m.name) for m in members)
    return buffer.getvalue().encode("utf-8")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # SKDE's SAS exports have been Windows-1252 at times


def parse_residence_areas(raw: bytes, url: str, with_dps: bool) -> list[dict[str, str]]:
    """SKDE's boområder file (semicolon or comma separated) as rows in the reference folder's columns.

    Rows without a municipality number (SKDE's comment line) are skipped; numbers are zero-padded; "." means empty.
    """
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = HF_COLUMNS + (DPS_REGION_COLUMNS if with_dps else ())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in header]
    if missing:
        raise DownloadError(f"Uventet svar fra {url}: mangler kolonne {', '.join(missing)}")
    rows = []
    for line in reader:
        row = {k.strip(): (v or "").strip() for k, v in line.items() if k is not None}
        row = {c: "" if row.get(c, "") == "." else row.get(c, "") for c in columns}
        if not row["komnr"]:
            continue
        if not row["komnr"].isdigit() or len(row["komnr"]) > 4:
            raise DownloadError(f"Uventet svar fra {url}: ugyldig komnr {row['komnr']!r}")
        row["komnr"] = row["komnr"].zfill(4)
        if row["bydel"]:
            if not row["bydel"].isdigit() or len(row["bydel"]) > 6:
                raise DownloadError(f"Uventet svar fra {url}: ugyldig bydel {row['bydel']!r}")
            row["bydel"] = row["bydel"].zfill(6)
        rows.append(row)
    if not rows:
        raise DownloadError(f"Uventet svar fra {url}: ingen rader")
    return rows


def oslo_rows(members: list[DpsMember], with_dps: bool, url: str) -> list[dict[str, str]]:
    """One row per Oslo bydel (01–17), its HF taken from its adult DPS area."""
    by_code = {m.code: m for m in members}
    rows = []
    for code in sources.OSLO_BYDELER:
        member = by_code.get(code)
        if member is None:
            raise DownloadError(f"Uventet svar fra {url}: bydel {code} mangler i DPS-tabellen")
        if member.area not in sources.OSLO_DPS_HF:
            raise DownloadError(
                f"DPS-området {member.area!r} for bydel {code} ({url}) har ikke noe HF i OSLO_DPS_HF "
                "(kartlegg/geography/downloader_sources.py). Legg det til."
            )
        hf_code, hf_name = sources.OSLO_DPS_HF[member.area]
        row = {
            "komnr": "0301",
            "komnr_navn": "0301 Oslo",
            "bydel": code,
            "bydel_navn": f"{code[4:]} {member.name}",
            "borhf": sources.OSLO_RHF[0],
            "borhf_navn": sources.OSLO_RHF[1],
            "bohf": hf_code,
            "bohf_navn": hf_name,
        }
        if with_dps:
            row.update(bodps="", bodps_navn="")  # SKDE fills DPS for Helse Nord only
        rows.append(row)
    return rows


def residence_csv(rows: list[dict[str, str]], with_dps: bool) -> bytes:
    # The shared files were written with csv's default line ending (\r\n); kept so the bytes compare equal.
    columns = HF_COLUMNS + (DPS_REGION_COLUMNS if with_dps else ())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def fetch_health(client: HttpClient, stage: Path) -> list[str]:
    dps_url = sources.SKDE_DPS_TABLE_URL
    members = parse_dps_table(_decode(client.get_bytes(dps_url)), dps_url)
    written = [sources.SKDE_DPS_PATH]
    _write(stage / sources.SKDE_DPS_PATH, dps_csv(members))
    for relative, (url, with_dps) in sources.SKDE_HEALTH_REGION_FILES.items():
        rows = parse_residence_areas(client.get_bytes(url), url, with_dps)
        present = {(r["komnr"], r["bydel"]) for r in rows}
        rows += [r for r in oslo_rows(members, with_dps, dps_url) if (r["komnr"], r["bydel"]) not in present]
        _write(stage / relative, residence_csv(rows, with_dps))
        written.append(relative)
    return written


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
