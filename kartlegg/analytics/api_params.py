"""The statistics API's query parameters as the OpenAPI document states them, and the exact check behind it.

The pages are forgiving (params.clean trims spaces and case); the API checks each value against the same schema it
publishes (an enum or a pattern), so that what the document allows is what the server takes and what it refuses is
a 400 naming the parameter. Values that pass may still be refused for the data (a year without statistics, a
measure the variable lacks): also a 400 naming the parameter, as documented.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kartlegg.analytics import levels as lv
from kartlegg.analytics.catalogue import MEASURE_LABELS
from kartlegg.analytics.downloads import CSV_VARIANTS
from kartlegg.analytics.imputation import RULES
from kartlegg.analytics.params import AS_REPORTED_WORDS, MAX_PARAM

_YEAR_OR_RANGE = "[0-9]{4}(-[0-9]{4})?"
YEARS_PATTERN = f"^{_YEAR_OR_RANGE}(,{_YEAR_OR_RANGE})*$"
STRUCTURE_PATTERN = "^([0-9]{4}|" + "|".join(AS_REPORTED_WORDS) + ")$"


def parameter_schemas(formats: Sequence[str]) -> dict[str, dict[str, Any]]:
    """JSON Schema of each query parameter (for Query(json_schema_extra=...)) and for the check below."""
    return {
        "level": {"enum": list(lv.LEVELS)},  # kostra_group only when loaded: else a 400 naming it
        "years": {"pattern": YEARS_PATTERN, "maxLength": MAX_PARAM},
        "measure": {"enum": list(MEASURE_LABELS)},
        "structure": {"pattern": STRUCTURE_PATTERN},
        "imputation": {"enum": list(RULES)},
        "format": {"enum": list(formats)},
        "csv": {"enum": list(CSV_VARIANTS)},
    }


def check(query: Mapping[str, str | None], schemas: Mapping[str, Mapping[str, Any]]) -> str:
    """The first parameter that does not match its schema, as "name: reason", or ""."""
    for name, schema in schemas.items():
        value = query.get(name)
        if value is None:
            continue
        shown = repr(value[:30])
        if "enum" in schema and value not in schema["enum"]:
            return f"{name}: ukjent verdi {shown}; gyldige er {', '.join(schema['enum'])}"
        if len(value) > schema.get("maxLength", MAX_PARAM):
            return f"{name}: for lang verdi"
        if "pattern" in schema and not re.fullmatch(schema["pattern"].strip("^$"), value):
            return f"{name}: {shown} har feil form (mønster {schema['pattern']})"
    return ""
