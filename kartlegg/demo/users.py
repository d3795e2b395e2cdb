"""The demo logins, one per role (setup_demo creates them; make_demo_data leaves their units' newest form open)."""

from __future__ import annotations

from typing import Any

from kartlegg.accounts.models import Role

DEMO_PASSWORD = "demo-kartlegg-2024"  # noqa: S105 - printed on purpose; demo only
DEMO_USERS: list[dict[str, Any]] = [
    {
        "username": "analytiker",
        "role": Role.ANALYST,
        "first_name": "Anne",
        "last_name": "Analytiker",
        "is_staff": True,
        "is_superuser": True,
    },
    {
        "username": "respondent",
        "role": Role.RESPONDENT,
        "first_name": "Rolf",
        "last_name": "Respondent",
        "units": ["4601"],
    },
    {
        "username": "bydel",
        "role": Role.RESPONDENT,
        "first_name": "Berit",
        "last_name": "Bydel",
        "units": ["030101"],
    },
    {
        "username": "fylke",
        "role": Role.REVIEWER,
        "first_name": "Frida",
        "last_name": "Fylkesleser",
        "county_code": "46",
    },
    {
        # The second coder of the free-text demo: an analyst without admin rights who codes a sample blind.
        "username": "koder2",
        "role": Role.ANALYST,
        "first_name": "Kari",
        "last_name": "Koder",
    },
]
