"""Checks a Vega-Lite spec against the JSON schema that Altair ships (the version the server renders with)."""

from __future__ import annotations

from typing import Any

from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import load_schema


def validate_spec(spec: dict[str, Any]) -> None:
    """Raise jsonschema's ValidationError if `spec` is not a valid Vega-Lite spec."""
    validate_jsonschema(spec, load_schema())
