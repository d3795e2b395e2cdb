"""Schemathesis over /api/v1/openapi.json (issue 18): every operation, anonymous and with a respondent's token, all
checks, a few examples each. The server must never answer 5xx and every answer must match the schema (status,
content type, headers, body). Path parameters point at real objects half the time, so the checks reach past 404."""

from __future__ import annotations

import random
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings

from kartlegg.accounts.tokens import create_token
from kartlegg.analytics import services as analytics
from tests.factories import make_respondent
from tests.factories.collection import BAERUM, BERGEN, make_round
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db
EXAMPLES = 6
# positive_data_acceptance wants every value the schema allows to be accepted. The schema states the form of each
# parameter (a four-digit year, an enum); whether a year has reference data or statistics depends on the database,
# and such a refusal is a documented 400 naming the parameter. Every other check runs.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(wsgi_keeps_connection: None) -> dict[str, Any]:
    return _world()


def _world() -> dict[str, Any]:
    cache.clear()
    SmallSurvey()
    analytics.compute()
    round_obj = make_round()
    _token, key = create_token(make_respondent(BAERUM), "schemathesis")
    return {"round": round_obj, "key": key, "random": random.Random(18)}


# The document is read once at collection; it needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


def _negative(case: Any) -> bool:
    return bool(case.meta is not None and case.meta.generation.mode.is_negative)


def _aim(case: Any, world: dict[str, Any]) -> None:
    """Half the valid cases reach a real round and unit (the caller's own, or another unit's). Cases made invalid on
    purpose are sent as generated."""
    if _negative(case):
        return
    params = case.path_parameters or {}
    rng = world["random"]
    if "round_id" in params and rng.random() < 0.5:
        params["round_id"] = world["round"].pk
    if "unit_code" in params and rng.random() < 0.5:
        params["unit_code"] = rng.choice([BAERUM, BERGEN])
    if "variable" in params and rng.random() < 0.5:
        params["variable"] = rng.choice(["arsverk_voksne", "B_b.r1.c1", "E_x"])


@schema.parametrize()
@HYPOTHESIS
def test_api_anonymous(case: Any, world: dict[str, Any]) -> None:
    _aim(case, world)
    case.call_and_validate(excluded_checks=EXCLUDED)


@schema.parametrize()
@HYPOTHESIS
def test_api_with_a_respondent_token(case: Any, world: dict[str, Any]) -> None:
    _aim(case, world)
    headers = {} if _negative(case) else {"Authorization": f"Bearer {world['key']}"}
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)


PUT = "/api/v1/rounds/{round_id}/units/{unit_code}/response"


@pytest.mark.parametrize(("version", "accepted"), [(10927.0, True), (0.0, True), (10927.5, False), (-1.0, False)])
def test_an_integer_field_takes_what_the_schema_calls_an_integer(
    world: dict[str, Any], version: float, accepted: bool
) -> None:
    """JSON Schema counts 10927.0 as an integer, so the schema's `version` (type integer) allows it; the server takes
    it as 10927 (here a stale version: 409), and a real fraction or a negative number gets a 400 naming the field."""
    operation = schema[PUT]["PUT"]
    case = operation.Case(
        path_parameters={"round_id": world["round"].pk, "unit_code": BAERUM},
        body={"values": {}, "version": version},
        headers={"Authorization": f"Bearer {world['key']}"},
    )
    answer = case.call()
    if accepted:
        assert answer.status_code in (200, 409), answer.text
        case.validate_response(answer)  # every check, positive_data_acceptance included
    else:
        assert answer.status_code == 400 and "version" in answer.text
