"""What the demo's årsverk look like: how to recognise each row and column of a grid, and the rough shares of
service areas and education groups (our own reading of the published tables, not real figures)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ADULTS = "adults"
CHILDREN = "children"

# (kind, pattern) in the order they are tried: the first match wins, so narrower patterns come first.
EDUCATION_PATTERNS: list[tuple[str, str]] = [
    ("psykolog", r"psykolog"),
    ("lege", r"\blege|\blaege"),
    ("hs_uten", r"uten"),
    ("hs_med", r"med\b.*(videre|spesial)|videreutdanning|med_vu|hs_med"),
    ("vgs", r"videreg|fagarbeid|vgs"),
    ("ufaglaert", r"ufagl"),
    ("erfaring", r"erfaring"),
    ("annen_hoy", r"annen|høyere|hoyere|hoy"),
]
# Where a column's årsverk go when a new version has no column of that kind: peer workers (erfaringskonsulenter)
# had their own column until 2023 and are counted with the unskilled/other column from 2024.
FALLBACK_KINDS: dict[str, tuple[str, ...]] = {"erfaring": ("ufaglaert",), "ufaglaert": ("erfaring",)}
# Share of the unskilled/other column that is peer workers, when the version has a column for them.
PEER_SHARE = 0.2
ADULT_AREA_PATTERNS: list[tuple[str, str]] = [
    ("rph", r"rask|rph"),
    ("fact", r"fact|\bact\b|oppsøk|oppsok"),
    ("kad", r"\bkad\b|akutt"),
    ("lavterskel", r"lavterskel"),
    ("bolig_deler", r"deler av|deler_av|deldogn|del_dogn"),
    ("bolig_dogn", r"døgn|dogn|heldogn"),
    ("dag", r"\bdag|aktivitet|arbeid"),
    ("ledelse", r"ledelse|koordinering|leiing"),
    ("oppfolging", r"oppfølg|oppfolg|behandl|samtale|ambulant"),
    ("andre", r"andre|annet|anna"),
]
CHILD_AREA_PATTERNS: list[tuple[str, str]] = [
    ("helsestasjon", r"helsestasjon|skolehelse|hsst"),
    ("forebygging", r"aktivitet|kultur|fritid|forebygg"),
    ("ledelse", r"ledelse|koordinering"),
    ("behandling", r"behandl|oppfølg|oppfolg"),
    ("andre", r"andre|annet"),
]


@dataclass(frozen=True)
class AreaProfile:
    weight: float  # share of a unit's årsverk when the service exists
    presence: tuple[float, float]  # chance that a unit has it, for the smallest and the largest units
    mix: Mapping[str, float]  # education kind → share within the area


# Shares are our own rough reading of the published tables: follow-up and staffed housing dominate the adult
# services, school health services the children's, and psychologists are concentrated in Rask psykisk helsehjelp.
ADULT_PROFILE: dict[str, AreaProfile] = {
    "ledelse": AreaProfile(0.06, (0.75, 1.0), {"psykolog": 0.05, "hs_med": 0.55, "hs_uten": 0.15, "annen_hoy": 0.25}),
    "oppfolging": AreaProfile(
        0.34,
        (1.0, 1.0),
        {
            "psykolog": 0.08,
            "lege": 0.01,
            "hs_med": 0.5,
            "hs_uten": 0.2,
            "annen_hoy": 0.08,
            "vgs": 0.08,
            "ufaglaert": 0.05,
        },
    ),
    "bolig_dogn": AreaProfile(
        0.22, (0.25, 0.95), {"hs_med": 0.12, "hs_uten": 0.12, "annen_hoy": 0.04, "vgs": 0.45, "ufaglaert": 0.27}
    ),
    "bolig_deler": AreaProfile(
        0.10, (0.35, 0.9), {"hs_med": 0.15, "hs_uten": 0.15, "annen_hoy": 0.05, "vgs": 0.4, "ufaglaert": 0.25}
    ),
    "dag": AreaProfile(
        0.08, (0.4, 0.95), {"hs_med": 0.15, "hs_uten": 0.15, "annen_hoy": 0.1, "vgs": 0.3, "ufaglaert": 0.3}
    ),
    "lavterskel": AreaProfile(
        0.05,
        (0.3, 0.9),
        {"psykolog": 0.03, "hs_med": 0.35, "hs_uten": 0.2, "annen_hoy": 0.1, "vgs": 0.15, "ufaglaert": 0.17},
    ),
    "rph": AreaProfile(0.03, (0.05, 0.8), {"psykolog": 0.45, "hs_med": 0.45, "hs_uten": 0.07, "annen_hoy": 0.03}),
    "fact": AreaProfile(
        0.03,
        (0.05, 0.7),
        {"psykolog": 0.1, "lege": 0.05, "hs_med": 0.45, "hs_uten": 0.15, "vgs": 0.1, "ufaglaert": 0.15},
    ),
    "kad": AreaProfile(0.02, (0.1, 0.6), {"lege": 0.1, "hs_med": 0.5, "hs_uten": 0.3, "vgs": 0.1}),
    "andre": AreaProfile(
        0.07,
        (0.3, 0.7),
        {"psykolog": 0.02, "hs_med": 0.2, "hs_uten": 0.2, "annen_hoy": 0.15, "vgs": 0.2, "ufaglaert": 0.23},
    ),
}
CHILD_PROFILE: dict[str, AreaProfile] = {
    "helsestasjon": AreaProfile(
        0.45,
        (0.9, 1.0),
        {"psykolog": 0.02, "lege": 0.03, "hs_med": 0.75, "hs_uten": 0.15, "annen_hoy": 0.03, "vgs": 0.02},
    ),
    "behandling": AreaProfile(
        0.27,
        (0.5, 1.0),
        {"psykolog": 0.3, "hs_med": 0.35, "hs_uten": 0.1, "annen_hoy": 0.2, "vgs": 0.03, "ufaglaert": 0.02},
    ),
    "forebygging": AreaProfile(
        0.13, (0.3, 0.9), {"hs_med": 0.15, "hs_uten": 0.2, "annen_hoy": 0.25, "vgs": 0.2, "ufaglaert": 0.2}
    ),
    "ledelse": AreaProfile(0.05, (0.3, 0.95), {"psykolog": 0.15, "hs_med": 0.45, "hs_uten": 0.15, "annen_hoy": 0.25}),
    "andre": AreaProfile(
        0.10,
        (0.2, 0.6),
        {"psykolog": 0.05, "hs_med": 0.3, "hs_uten": 0.2, "annen_hoy": 0.25, "vgs": 0.1, "ufaglaert": 0.1},
    ),
}
PROFILES = {ADULTS: ADULT_PROFILE, CHILDREN: CHILD_PROFILE}
FALLBACK_AREA = AreaProfile(0.04, (0.2, 0.6), {"hs_med": 0.3, "hs_uten": 0.3, "annen_hoy": 0.2, "vgs": 0.2})
