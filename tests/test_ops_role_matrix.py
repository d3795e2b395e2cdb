"""The role matrix (issue 18): every route of the URL configuration and every operation of the OpenAPI document,
read (GET) and written (POST/PUT), as anonymous, a respondent of another unit, a county reviewer outside the unit's
county, and an analyst, against the objects of another unit (Bergen, Vestland).

Each route is classified in ROUTES by its URL name ("app:name"; the API's operations as "api:name"). A route the
matrix cannot classify fails the test, so a new page or endpoint cannot go untested: add it to ROUTES with its class.

Classes and what each role may do (read, write):
- public      everyone reads; writes are refused or harmless (login form, language switch).
- member      any logged-in user reads (each sees only their own data on it).
- unit        a unit's data: only the unit's respondents, its county's reviewers (read) and analysts.
- staff       round-wide pages for analysts and county reviewers (filtered to the county); respondents are refused.
- analyst     analysts only.
A refusal is 401, 403, 404, 405, or a redirect to the log-in page; an allowance is any other answer below 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kartlegg.quality.models import Flag
from tests.factories import make_analyst, make_respondent, make_reviewer
from tests.factories.collection import AKERSHUS, BAERUM, BERGEN, make_round
from tests.factories.publishing import make_topic

pytestmark = pytest.mark.django_db

PUBLIC, MEMBER, UNIT, STAFF, ANALYST = "public", "member", "unit", "staff", "analyst"
ROUTES = {
    "home": PUBLIC,
    "healthz": PUBLIC,
    "set_language": PUBLIC,
    "accounts:login": PUBLIC,
    "accounts:logout": PUBLIC,
    "accounts:idporten_login": PUBLIC,
    "accounts:idporten_callback": PUBLIC,
    "geography:units": PUBLIC,
    "surveys:list": PUBLIC,
    "surveys:compare": ANALYST,
    "surveys:detail": PUBLIC,
    "surveys:pdf": PUBLIC,
    "surveys:import": ANALYST,
    "responses:index": MEMBER,
    "responses:round_new": ANALYST,
    "responses:round_detail": STAFF,
    "responses:round_invite": ANALYST,
    "responses:round_remind": ANALYST,
    "responses:round_import": ANALYST,
    "responses:round_import_result": ANALYST,
    "responses:invitation": PUBLIC,
    "responses:form": UNIT,
    "responses:save": UNIT,
    "responses:check": UNIT,
    "responses:state": UNIT,
    "responses:prefill": UNIT,
    "responses:undo": UNIT,
    "responses:colleague": UNIT,
    "responses:submit": UNIT,
    "responses:receipt": UNIT,
    "responses:receipt_pdf": UNIT,
    "responses:reopen": ANALYST,
    "responses:dashboard": STAFF,
    "responses:dashboard_csv": STAFF,
    "responses:dashboard_remind": ANALYST,
    "responses:round_export": ANALYST,
    "responses:workbook": UNIT,
    "responses:workbook_download": UNIT,
    "responses:workbook_confirm": UNIT,
    "responses:section": UNIT,
    "quality:index": ANALYST,
    "quality:queue": ANALYST,
    "quality:bulk": ANALYST,
    "quality:run": ANALYST,
    "quality:export_csv": ANALYST,
    "quality:export_xlsx": ANALYST,
    "quality:lock": ANALYST,
    "quality:versions": ANALYST,
    "quality:flag": ANALYST,
    "quality:query": ANALYST,
    "analytics:explorer": PUBLIC,
    "analytics:variable_search": PUBLIC,
    "analytics:profile": PUBLIC,
    "analytics:figure": PUBLIC,  # the units' details go through the permission check (test_analytics_provenance)
    "analytics:publications": ANALYST,
    "analytics:compute": ANALYST,
    "jobs:index": ANALYST,
    "jobs:progress": ANALYST,
    "jobs:rerun": ANALYST,
    "": PUBLIC,  # favicon.ico
    "portal:contact": PUBLIC,
    "responses:history": UNIT,
    "responses:round_audit": ANALYST,
    "reports:index": PUBLIC,
    "reports:build": ANALYST,
    "reports:detail": PUBLIC,  # published reports are public; a draft is a 404 to others
    "reports:appendix": PUBLIC,
    "reports:profiles": PUBLIC,
    "reports:pdf": PUBLIC,
    "reports:xlsx": PUBLIC,
    "reports:progress": ANALYST,
    "reports:edit": ANALYST,
    "reports:status": ANALYST,
    "freetext:add_code": ANALYST,
    "freetext:add_theme": ANALYST,
    "freetext:agreement": ANALYST,
    "freetext:assign": ANALYST,
    "freetext:codebook": ANALYST,
    "freetext:coder": ANALYST,
    "freetext:download": ANALYST,
    "freetext:edit_code": ANALYST,
    "freetext:export": ANALYST,
    "freetext:history": ANALYST,
    "freetext:import_into": ANALYST,
    "freetext:index": ANALYST,
    "freetext:merge": ANALYST,
    "freetext:quotes": ANALYST,
    "freetext:resolve": ANALYST,
    "freetext:save": ANALYST,
    "freetext:split": ANALYST,
    "freetext:summary": ANALYST,
    "freetext:undo": ANALYST,
    "pulse:index": ANALYST,
    "pulse:new": ANALYST,
    "pulse:series": ANALYST,
    "pulse:trends": ANALYST,
    "pulse:download": ANALYST,
    "pulse:action": ANALYST,
    "pulse:report": PUBLIC,  # a published quick report is public; a draft is a 404 to others
    "pulse:report_pdf": PUBLIC,
    "pulse:report_publish": ANALYST,
    "pulse:report_rebuild": ANALYST,
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:api-root": PUBLIC,
    "api:municipalities": PUBLIC,
    "api:units": PUBLIC,
    "api:list_questionnaires": PUBLIC,
    "api:get_questionnaire": PUBLIC,
    "api:list_rounds": MEMBER,
    "api:list_responses": MEMBER,
    "api:get_response": UNIT,
    "api:put_response": UNIT,
    "api:submit_response": UNIT,
    "api:qa_metrics": ANALYST,
    "api:catalogue": PUBLIC,
    "api:variable_data": PUBLIC,
    "api:year_versions": PUBLIC,
    "api:list_pulse_series": ANALYST,
    "api:pulse_trends": ANALYST,
    "sitemap": PUBLIC,
    "publishing:index": PUBLIC,
    "publishing:feed_rss": PUBLIC,
    "publishing:feed_atom": PUBLIC,
    "publishing:subscribe": PUBLIC,
    "publishing:confirm": PUBLIC,
    "publishing:unsubscribe": PUBLIC,  # the token is the secret (one-click unsubscribe)
    "publishing:manage": ANALYST,
    "publishing:create": ANALYST,
    "publishing:preview": ANALYST,
    "publishing:topic_new": ANALYST,
    "publishing:topic": PUBLIC,
    "publishing:topic_edit": ANALYST,
    "publishing:topic_rss": PUBLIC,
    "publishing:topic_atom": PUBLIC,
    "publishing:detail": PUBLIC,  # a publication under embargo is a 404 to the public
    "publishing:version": PUBLIC,
    "publishing:pdf": PUBLIC,
    "publishing:xlsx": PUBLIC,
    "publishing:edit": ANALYST,
    "publishing:status": ANALYST,
    "publishing:reissue": ANALYST,
    "api:list_publications": PUBLIC,
    "api:get_publication": PUBLIC,
}
ROLES = ("anonymous", "respondent_elsewhere", "reviewer_elsewhere", "analyst")
# Which roles a class lets through, for reading and for writing.
ALLOWED: dict[str, dict[str, set[str]]] = {
    PUBLIC: {"read": set(ROLES), "write": set(ROLES)},
    MEMBER: {"read": set(ROLES) - {"anonymous"}, "write": set(ROLES) - {"anonymous"}},
    UNIT: {"read": {"analyst"}, "write": {"analyst"}},
    STAFF: {"read": {"analyst", "reviewer_elsewhere"}, "write": {"analyst", "reviewer_elsewhere"}},
    ANALYST: {"read": {"analyst"}, "write": {"analyst"}},
}
REFUSED = {401, 403, 404, 405}
# Query strings a route needs to show anything.
QUERIES = {
    "responses:history": "?v=A_navn",
    "analytics:figure": "?variable=arsverk_totalt&level=nation&region=0&year=2024",
}
# Ids the matrix does not create objects for: a 404 for them is the expected answer even for an analyst.
PLACEHOLDERS = ("query_id", "job_id", "flag_id", "pk", "book_id", "code_id", "answer_id", "series_id", "version")


def url_patterns() -> list[tuple[str, str]]:
    """(name, route) for every named route outside the admin, the API's operations included."""
    found: list[tuple[str, str]] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith("admin/"):
                    continue  # Django's admin has its own staff check
                inner = namespace + (pattern.namespace + ":" if pattern.namespace else "")
                walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                found.append((namespace + (pattern.name or ""), prefix + str(pattern.pattern)))

    walk(get_resolver(), "/", "")
    return found


def test_every_route_and_operation_is_classified(client: Client) -> None:
    names = {name for name, _route in url_patterns()}
    spec = client.get("/api/v1/openapi.json").json()
    operations = {
        f"api:{op['operationId'].rsplit('_api_', 1)[-1]}" for item in spec["paths"].values() for op in item.values()
    }
    assert len(names) > 60 and len(operations) >= 12
    unclassified = sorted((names | operations) - set(ROUTES))
    assert not unclassified, f"Routes the role matrix cannot classify (add them to ROUTES): {unclassified}"
    assert not sorted(set(ROUTES) - names - operations), "ROUTES names routes that no longer exist"


@pytest.fixture
def world() -> dict[str, Any]:
    round_obj = make_round()
    flag = Flag.objects.filter(round=round_obj).first()
    return {
        "values": {
            "round_id": round_obj.pk,
            "unit_code": BERGEN,
            "code": BERGEN,
            "version_id": round_obj.version_id,
            "token": "not-a-real-invitation",
            "section": "A",
            "fmt": "csv",
            "flag_id": flag.pk if flag else 999999,
            "query_id": 999999,
            "job_id": 999999,
            "pk": 999999,
            "year": 2024,
            "book_id": 999999,
            "code_id": 999999,
            "answer_id": 999999,
            "variable": "arsverk_voksne",
            "action": "pause",
            "series_id": 999999,
            "slug": make_topic("matrise", "Matrise").slug,  # a topic; no publication has this slug
            "version": 1,
        },
        "users": {
            "anonymous": None,
            "respondent_elsewhere": make_respondent(BAERUM),
            "reviewer_elsewhere": make_reviewer(AKERSHUS),
            "analyst": make_analyst(),
        },
    }


def _concrete(route: str, values: dict[str, Any]) -> str:
    import re

    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def _refused(response: Any) -> bool:
    """Refused, or sent elsewhere (a redirect shows nothing of the object: to the log-in page, or to the user's own
    page)."""
    return response.status_code in REFUSED or 300 <= response.status_code < 400


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(world: dict[str, Any], role: str) -> None:
    client = Client(raise_request_exception=False)
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    problems = []
    seen: set[tuple[str, str]] = set()
    for name, route in url_patterns():
        kind = ROUTES[name]
        url = _concrete(route, world["values"]) + QUERIES.get(name, "")
        for access, method in (("read", "get"), ("write", "put" if name.startswith("api:") else "post")):
            if (url, method) in seen:
                continue
            seen.add((url, method))
            if name == "accounts:logout" or (name == "set_language" and access == "read"):
                continue  # logging out ends the session the rest of the matrix needs
            body = '{"values": {}, "version": 0}'
            kwargs = {"content_type": "application/json", "data": body} if method == "put" else {}
            response = getattr(client, method)(url, **kwargs)
            if response.status_code >= 500:
                problems.append(f"{method.upper()} {url} ({name}) as {role}: {response.status_code}")
                continue
            allowed = role in ALLOWED[kind][access]
            if not allowed and not _refused(response):
                problems.append(
                    f"{method.upper()} {url} ({name}, {kind}) as {role}: {response.status_code}, not refused"
                )
            placeholder = any(f"<int:{key}>" in route or f"<{key}>" in route for key in PLACEHOLDERS)
            expected_404 = response.status_code == 404 and (kind == PUBLIC or placeholder)
            redirected = 300 <= response.status_code < 400
            served = not _refused(response) or redirected or response.status_code == 405 or expected_404
            if allowed and access == "read" and not served:
                problems.append(f"GET {url} ({name}, {kind}) as {role}: refused with {response.status_code}")
    assert not problems, "\n".join(problems)
