"""Every test factory lives in this package (factories instead of fixtures; each returns a saved object or plain
data). Users are here; the rest by subject:

- tests.factories.responses: the small questionnaire (fixtures/responses/small.yaml), open rounds, log-ins.
- tests.factories.collection: rounds on named real units for the API, import/export, workbook and dashboard tests.
- tests.factories.quality: the QA questionnaire (fixtures/quality/qa.yaml), plain units for the pure checks, QA rounds.

Data files (YAML, recorded downloads, small reference data) stay in tests/fixtures/.
"""

from __future__ import annotations

import itertools
from typing import Any

from kartlegg.accounts.models import Role, UnitAssignment, User

PASSWORD = "Riktig-hest-batteri-42"
_counter = itertools.count(1)


def make_user(role: str = Role.RESPONDENT, *, units: list[str] | None = None, county: str = "", **extra: Any) -> User:
    number = next(_counter)
    user = User.objects.create_user(
        username=extra.pop("username", f"{role}{number}"),
        password=PASSWORD,
        email=extra.pop("email", f"{role}{number}@example.invalid"),
        role=role,
        county_code=county,
        **extra,
    )
    for code in units or []:
        UnitAssignment.objects.create(user=user, unit_code=code)
    return user


def make_analyst(**extra: Any) -> User:
    return make_user(Role.ANALYST, **extra)


def make_respondent(*units: str, **extra: Any) -> User:
    return make_user(Role.RESPONDENT, units=list(units), **extra)


def make_reviewer(county: str, **extra: Any) -> User:
    return make_user(Role.REVIEWER, county=county, **extra)
