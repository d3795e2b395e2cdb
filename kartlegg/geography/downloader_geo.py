"""Boundary files: Kartverket's municipalities and counties (TopoJSON) and SKDE's HF and DPS areas (GeoJSON).

They are stored as published; the downloader only checks that each one is the kind of file the loader expects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kartlegg.geography import downloader_sources as sources
from kartlegg.geography.downloader_http import DownloadError, HttpClient


def check_topojson(document: Any, url: str, code_property: str) -> None:
    def bad(reason: str) -> DownloadError:
        return DownloadError(f"Uventet svar fra {url}: {reason}")

    if not isinstance(document, dict) or document.get("type") != "Topology":
        raise bad("ikke TopoJSON (type er ikke Topology)")
    objects = document.get("objects")
    if not isinstance(objects, dict) or not objects or not isinstance(document.get("arcs"), list):
        raise bad("mangler objects eller arcs")
    geometries = [g for layer in objects.values() if isinstance(layer, dict) for g in layer.get("geometries", [])]
    if not geometries:
        raise bad("ingen geometrier")
    for number, geometry in enumerate(geometries, start=1):
        properties = geometry.get("properties") if isinstance(geometry, dict) else None
        if not isinstance(properties, dict) or properties.get(code_property) in (None, ""):
            raise bad(f"geometri nr. {number} mangler egenskapen {code_property}")


def check_geojson(document: Any, url: str, name_property: str) -> None:
    def bad(reason: str) -> DownloadError:
        return DownloadError(f"Uventet svar fra {url}: {reason}")

    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise bad("ikke GeoJSON (type er ikke FeatureCollection)")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise bad("ingen features")
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict) or not properties.get(name_property):
            raise bad(f"feature nr. {number} mangler egenskapen {name_property}")
        if not isinstance(feature.get("geometry"), dict):
            raise bad(f"feature nr. {number} mangler geometry")


def fetch_geo(client: HttpClient, stage: Path) -> list[str]:
    written = []
    for relative, url in sources.KARTVERKET_FILES.items():
        code_property = "kommunenummer" if "/kommuner_" in relative else "fylkesnummer"
        raw = client.get_bytes(url)
        check_topojson(_parse(raw, url), url, code_property)
        _write(stage / relative, raw)
        written.append(relative)
    for relative, url in sources.SKDE_BOUNDARY_FILES.items():
        raw = client.get_bytes(url)
        check_geojson(_parse(raw, url), url, "area")
        _write(stage / relative, raw)
        written.append(relative)
    return written


def _parse(raw: bytes, url: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DownloadError(f"Uventet svar fra {url}: ikke gyldig JSON ({error})") from None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
