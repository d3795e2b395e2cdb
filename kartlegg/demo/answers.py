"""The demo's answers outside the årsverk grids, as pure functions over a questionnaire Definition (no ORM).

Answers are consistent with the grids where the questionnaire ties them together (FACT = ja exactly when the FACT
row has årsverk, Rask psykisk helsehjelp likewise, psychologist årsverk equal to the grid's psychologist column),
stable from year to year (each unit has a lasting propensity per question, keyed on the question a variable
continues, so 2024's choice «vansker med å rekruttere» follows 2020's yes/no), and obviously fake where they name a
person (example.invalid). Questions this module does not know get a plausible value of their type.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kartlegg.surveys import engine

from .grids import ADULTS, CENT, CHILDREN, DemoUnit, GridLayout
from .text import FreeText, covid_answer, generic_comment, pulse_answer

FIRST_NAMES = ("Kari", "Ola", "Ingrid", "Per", "Anne", "Lars", "Sigrid", "Nils", "Hanne", "Tor", "Marit", "Jon")
LAST_NAMES = ("Demosen", "Testesen", "Eksempelsen", "Prøvesen", "Fiktivsen")
ROLES = (
    "Leder for psykisk helse og rus",
    "Kommunalsjef helse og omsorg",
    "Fagkoordinator psykisk helse",
    "Rådgiver i helse og velferd",
    "Enhetsleder",
)
SMALL_MUNICIPALITY_TEXTS = (
    "Lange reiseavstander gjør det vanskelig å gi hyppig oppfølging.",
    "Små fagmiljø gjør oss sårbare ved sykdom og vakanser.",
    "Vi samarbeider med nabokommunene om flere tilbud fordi vi er for små til å drive dem alene.",
)

# (propensity for the smallest units, for the largest): yes/no questions and the "yes" side of choices.
YES_CHANCE: dict[str, tuple[float, float]] = {
    "D_rekruttering_psykolog": (0.6, 0.35),
    "D_rekruttering_sykepleier": (0.5, 0.4),
    "D_rekruttering_sosionom": (0.3, 0.2),
    "D_rekr_lege": (0.55, 0.3),
    "D_rekr_erfaringskonsulent": (0.3, 0.25),
    "E_lavterskel": (0.6, 0.95),
    "E_fact_interkommunalt": (0.85, 0.15),
    "E_rop_team": (0.1, 0.6),
    "E_ips": (0.15, 0.7),
    "E_housing_first": (0.05, 0.45),
    "E_erfaringskonsulent": (0.2, 0.75),
    "E_ip_koordinator": (0.85, 0.98),
    "E_brukerundersokelse": (0.35, 0.7),
    "F_opptrapping": (0.45, 0.65),
    "G_frivillige": (0.6, 0.85),
    "G_frivillige_avtale": (0.2, 0.45),
}
CHOICE_WEIGHTS: dict[str, dict[str, float]] = {
    "A_organisering": {"samlet": 0.55, "delt": 0.4, "annet": 0.05},
    "E_fact_type": {"fact": 0.75, "fact_ung": 0.1, "act": 0.15},
    "F_tidlig_innsats": {"begge": 0.45, "unge": 0.15, "voksne": 0.1, "nei": 0.3},
    "G_avtale_rus_voksne": {"godt": 0.4, "delvis": 0.45, "darlig": 0.1, "vet_ikke": 0.05},
    "G_avtale_rus_unge": {"godt": 0.3, "delvis": 0.45, "darlig": 0.1, "vet_ikke": 0.15},
    "G_avtale_psykisk": {"godt": 0.45, "delvis": 0.42, "darlig": 0.1, "vet_ikke": 0.03},
    "G_individuell_plan": {"stor": 0.35, "noen": 0.55, "liten": 0.1},
    "H_henvisninger": {"okt": 0.6, "uendret": 0.3, "redusert": 0.1},
}
# The pandemic year: fewer referrals (docs/demo.md).
CHOICE_WEIGHTS_2020 = {"H_henvisninger": {"okt": 0.3, "uendret": 0.3, "redusert": 0.4}}
MULTI_CHANCE: dict[str, dict[str, float]] = {
    "F_opptrapping_hva": {"arsverk": 0.6, "nye_tjenester": 0.5, "kompetanse": 0.5, "annet": 0.1},
    "F_kartlegging": {"brukerplan": 0.65, "ungdata": 0.55, "annet": 0.15},
    "H_arsaker": {"terskel": 0.7, "kjent": 0.5, "utskrivning": 0.45, "annet": 0.1},
    "H_udekket": {"bolig": 0.5, "aktivitet": 0.45, "oppfolging": 0.3, "behandling": 0.3},
    "H_vanskelige": {
        "rop": 0.7,
        "alvorlig": 0.5,
        "unge": 0.5,
        "takker_nei": 0.45,
        "familier": 0.25,
        "flyktninger": 0.15,
    },
}


# Pulse waves (2020): (first wave, last wave); later waves lie in between. Services close in April and reopen
# through May; referrals fall and then recover (docs/demo.md).
PULSE_CHOICES: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "P_tjenester_endret": (
        {"stor": 0.55, "noen": 0.35, "liten": 0.08, "ikke": 0.02},
        {"stor": 0.1, "noen": 0.4, "liten": 0.35, "ikke": 0.15},
    ),
    "P_dagtilbud_stengt": (
        {"apne": 0.05, "delvis": 0.35, "stengt": 0.6},
        {"apne": 0.45, "delvis": 0.45, "stengt": 0.1},
    ),
    "P_henvisninger": (
        {"okt": 0.05, "uendret": 0.25, "redusert": 0.7},
        {"okt": 0.3, "uendret": 0.45, "redusert": 0.25},
    ),
    # Worry for vulnerable children and young people rises through the spring.
    "P_bekymring_unge": ({"svart": 0.2, "noe": 0.55, "lite": 0.25}, {"svart": 0.55, "noe": 0.38, "lite": 0.07}),
    "P_samarbeid_spesialist": (
        {"bedre": 0.1, "uendret": 0.5, "darligere": 0.4},
        {"bedre": 0.1, "uendret": 0.7, "darligere": 0.2},
    ),
}
PULSE_YES: dict[str, tuple[float, float]] = {"P_gruppetilbud_stengt": (0.9, 0.5), "P_omdisponert": (0.5, 0.2)}
PULSE_MULTI: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "P_kontaktform": (
        {"vanlig": 0.2, "telefon": 0.95, "video": 0.45, "utendors": 0.75, "hjemmebesok": 0.35},
        {"vanlig": 0.8, "telefon": 0.7, "video": 0.5, "utendors": 0.5, "hjemmebesok": 0.6},
    )
}


def _between(first: Mapping[str, float], last: Mapping[str, float], share: float) -> dict[str, float]:
    return {code: first[code] + (last.get(code, 0.0) - first[code]) * share for code in first}


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("æ", "ae").replace("å", "a"))
    return "".join(ch for ch in folded.lower() if ch.isascii() and ch.isalnum())


def contact(rng: random.Random, unit: DemoUnit) -> dict[str, str]:
    """An obviously invented contact person: a -sen surname from a demo list and an example.invalid address."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "name": f"{first} {last}",
        "role": rng.choice(ROLES),
        "email": f"{ascii_slug(first)}.{ascii_slug(last)}.{unit.code}@example.invalid",
        "phone": f"000 00 {rng.randint(0, 999):03d}",
    }


def unit_float(key: str) -> float:
    """A number in [0, 1) fixed by `key` (seeding a Random per question costs ten times more)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") / 2**64


class Propensity:
    """A unit's lasting leaning per question (0–1), with a little drift (±0,12) from year to year, so most answers
    stay as they were and a few change."""

    def __init__(self, seed: int, unit: str, year: int) -> None:
        self.seed, self.unit, self.year = seed, unit, year

    def __call__(self, key: str) -> float:
        base = unit_float(f"{self.seed}:{self.unit}:{key}")
        drift = (unit_float(f"{self.seed}:{self.unit}:{key}:{self.year}") - 0.5) * 0.24
        return min(0.999, max(0.0, base + drift))


def root_code(question: Any) -> str:
    return question.continues or question.code


def _chance(key: str, size: float) -> float:
    low, high = YES_CHANCE.get(key, (0.5, 0.5))
    return low + (high - low) * size


def _pick_weighted(weights: Mapping[str, float], position: float) -> str:
    total = sum(weights.values())
    running = 0.0
    for code, weight in weights.items():
        running += weight / total
        if position < running:
            return code
    return next(reversed(list(weights)))


def _choice(question: Any, key: str, size: float, propensity: float, year: int) -> str:
    codes = [code for code, _ in question.choices]
    weights = {**CHOICE_WEIGHTS, **(CHOICE_WEIGHTS_2020 if year == 2020 else {})}.get(key)
    if weights and set(weights) <= set(codes):
        return _pick_weighted(weights, propensity)
    if key in YES_CHANCE or question.continues in YES_CHANCE or {"ja", "nei"} <= set(codes):
        # A yes/no propensity read on a ja/delvis/nei(/ikke aktuelt) scale.
        yes = _chance(key, size)
        if propensity < yes * 0.55:
            return "ja"
        if propensity < yes:
            return "delvis" if "delvis" in codes else "ja"
        return "ikke_aktuelt" if "ikke_aktuelt" in codes and propensity > 0.93 else "nei"
    return codes[min(len(codes) - 1, int(propensity * len(codes)))]


def _multichoice(question: Any, key: str, rng: random.Random) -> list[str]:
    codes = [code for code, _ in question.choices]
    chances = MULTI_CHANCE.get(key, {})
    picked = [code for code in codes if code != "nei" and rng.random() < chances.get(code, 0.3)]
    if not picked:
        picked = ["nei"] if "nei" in codes else [rng.choice(codes)]
    return picked


def _bounded(question: Any, value: Decimal) -> Decimal:
    low, high = question.effective_bounds()
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return value


def answers_for(
    seed: int,
    defn: engine.Definition,
    unit: DemoUnit,
    year: int,
    grids: Mapping[str, Mapping[str, Decimal]],
    layouts: Mapping[str, GridLayout],
    has_rph: bool,
    overrides: Mapping[str, Any] | None = None,
    wave: int | None = None,
    waves: int = 1,
) -> tuple[dict[str, Any], FreeText | None]:
    """Every non-grid answer of one response as python values (engine types), and the COVID free text if any.

    `grids` are the unit's reported cells per group; `overrides` are planted errors (E_fact, B_psykolog_totalt).
    Values of questions hidden by the skip logic are removed at the end."""
    rng = random.Random(f"{seed}:{year}:{wave}:answers:{unit.code}")
    lean = Propensity(seed, unit.code, year * 100 + (wave or 0))
    # How far the pulse survey has come: 0 in the first wave, 1 in the last.
    progress = (wave - 1) / max(1, waves - 1) if wave else 0.0
    size = unit.size
    adult, children = layouts.get(ADULTS), layouts.get(CHILDREN)
    a_cells = {c: float(v) for c, v in grids.get(ADULTS, {}).items()}
    c_cells = {c: float(v) for c, v in grids.get(CHILDREN, {}).items()}
    all_total = sum(a_cells.values()) + sum(c_cells.values())
    person = contact(random.Random(f"{seed}:contact:{unit.code}"), unit)
    values: dict[str, Any] = {}
    free_text: FreeText | None = None
    for question in defn.questions.values():
        if question.is_grid:
            continue
        code, key, kind = question.code, root_code(question), question.type
        value: Any = None
        if code == "A_navn":
            value = person["name"]
        elif code == "A_rolle":
            value = person["role"]
        elif code == "A_epost":
            value = person["email"]
        elif code == "A_telefon":
            value = person["phone"]
        elif code == "A_organisering_annet":
            value = "Tjenestene er organisert i et interkommunalt samarbeid med nabokommunene."
        elif code == "B_psykolog_totalt" and adult is not None:
            value = Decimal(str(adult.column_total(a_cells, "psykolog"))).quantize(CENT)
        elif code == "E_fact" and adult is not None:
            # An intermunicipal team hosted by a neighbour may have no årsverk of our own.
            value = adult.row_total(a_cells, "fact") > 0 or lean("E_fact_shared") < 0.05
        elif code == "E_rask":
            rows = adult.rows_of("rph") if adult is not None else []
            value = adult.row_total(a_cells, "rph") > 0 if rows and adult is not None else has_rph
        elif code == "E_erfaringskonsulent" and adult is not None and adult.columns_of("erfaring"):
            value = adult.column_total(a_cells, "erfaring") > 0
        elif code == "E_lavterskel" and adult is not None and adult.row_total(a_cells, "lavterskel") > 0:
            value = True
        elif code == "E_erfaringskonsulent_antall":
            value = Decimal(max(1, round((1 + unit.population / 40_000) * rng.uniform(0.5, 1.5))))
        elif code == "D_ledige":
            value = Decimal(0) if rng.random() < 0.3 else Decimal(str(all_total * rng.uniform(0, 0.05))).quantize(CENT)
        elif code == "D_videreutdanning" and adult is not None and children is not None:
            with_further = adult.column_total(a_cells, "hs_med") + children.column_total(c_cells, "hs_med")
            value = Decimal(round(with_further * rng.uniform(0.9, 1.3)))
        elif code == "E_ventetid":
            value = Decimal(min(80, max(0, round(rng.lognormvariate(2.6, 0.6)))))
        elif code == "E_brukere_0_17":
            value = Decimal(round(unit.population_0_17 * 0.02 * rng.lognormvariate(0, 0.3)))
        elif code == "E_brukere_18_66":
            value = Decimal(round(unit.population_18_plus * 0.8 * 0.025 * rng.lognormvariate(0, 0.3)))
        elif code == "E_brukere_67":
            value = Decimal(round(unit.population_18_plus * 0.2 * 0.012 * rng.lognormvariate(0, 0.3)))
        elif code == "F_nye_arsverk":
            value = Decimal(str(all_total * rng.uniform(0.01, 0.08))).quantize(CENT)
        elif code in PULSE_CHOICES:
            value = _pick_weighted(_between(*PULSE_CHOICES[code], progress), lean(key))
        elif code in PULSE_YES:
            value = lean(key) < PULSE_YES[code][0] + (PULSE_YES[code][1] - PULSE_YES[code][0]) * progress
        elif code in PULSE_MULTI:
            chances = _between(*PULSE_MULTI[code], progress)
            value = [c for c, _ in question.choices if rng.random() < chances.get(c, 0.3)] or ["telefon"]
            if values.get("P_tjenester_endret") == "ikke":  # "video, but nothing changed" is a contradiction
                value = [c for c in value if c != "video"] or ["vanlig"]
        elif code == "P_omdisponert_arsverk":
            value = max(
                Decimal("0.1"), Decimal(str(unit.population / 10_000 * rng.uniform(0.2, 1.5))).quantize(Decimal("0.1"))
            )
        elif wave is not None and kind == "text":
            if rng.random() < 0.4:
                free_text = pulse_answer(rng, wave)
                value = free_text.text
        elif "korona" in code.lower() or "korona" in question.label.lower():
            if year == 2020:
                free_text = covid_answer(rng)
                value = free_text.text
        elif code.startswith("I_utfordringer"):
            value = generic_comment(rng, challenge=True) if rng.random() < 0.6 else None
        elif code == "I_smaa_kommuner":
            value = rng.choice(SMALL_MUNICIPALITY_TEXTS) if unit.population < 5000 and rng.random() < 0.7 else None
        elif code == "I_kommentar":
            value = generic_comment(rng) if rng.random() < 0.15 else None
        elif kind == "yesno":
            value = lean(key) < _chance(key, size)
        elif kind == "choice":
            value = _choice(question, key, size, lean(key), year)
        elif kind == "multichoice":
            value = _multichoice(question, key, rng)
        elif kind in engine.NUMERIC_TYPES:
            value = _bounded(question, Decimal(rng.randint(0, 20)))
        elif kind == "date":
            value = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        if value is not None:
            values[code] = value
    values.update(overrides or {})
    shown = engine.relevant_codes(defn, {**values, **_grid_values(grids)})
    kept = {code: v for code, v in values.items() if code in shown}
    if free_text is not None and free_text.text not in kept.values():
        free_text = None
    return kept, free_text


def _grid_values(grids: Mapping[str, Mapping[str, Decimal]]) -> dict[str, Decimal]:
    return {code: value for cells in grids.values() for code, value in cells.items()}
