"""Collection services: parsing and saving answers, optimistic locking, the audit trail, submit and reopen, last
year's answers across code changes, and fill-in from them (with undo)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kartlegg.accounts.models import AuditEvent, Channel
from kartlegg.geography.models import ReportingUnit
from kartlegg.responses import services
from kartlegg.responses.models import Answer, Response, ResponseStatus
from tests.factories.responses import open_round, questionnaire, response_for

from .factories import make_analyst, make_respondent

pytestmark = pytest.mark.django_db

CELL = "B_arsverk.ledelse.lege"


@pytest.fixture
def analyst():  # type: ignore[no-untyped-def]
    return make_analyst()


@pytest.fixture
def round_2024(analyst):  # type: ignore[no-untyped-def]
    return open_round(year=2024, analyst=analyst)


@pytest.fixture
def resp(round_2024):  # type: ignore[no-untyped-def]
    return response_for(round_2024, "4601")


@pytest.fixture
def respondent():  # type: ignore[no-untyped-def]
    return make_respondent("4601")


def stored(response: Response, code: str) -> Answer | None:
    return Answer.objects.filter(response=response, variable=code).first()


def test_opening_a_round_creates_one_response_per_reporting_unit(round_2024) -> None:  # type: ignore[no-untyped-def]
    units = ReportingUnit.objects.filter(year=2024)
    responses = Response.objects.filter(round=round_2024)
    assert responses.count() == units.count() > 300
    assert set(responses.values_list("status", flat=True)) == {ResponseStatus.NOT_STARTED}
    codes = set(responses.values_list("unit__code", flat=True))
    assert "0301" not in codes and "030101" in codes  # Oslo reports through its bydeler


def test_opening_a_round_needs_an_analyst() -> None:
    version = questionnaire(2024)
    with pytest.raises(PermissionDenied):
        open_round(version, analyst=make_respondent("4601"))


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("2,5", "2.5"),
        ("2.5", "2.5"),
        ("1\u00a0234,5", "1234.5"),
        ("1 234,5", "1234.5"),
        ("0", "0"),
        ("0,25", "0.25"),
    ],
)
def test_numbers_are_read_as_norwegians_type_them(resp, respondent, raw, text) -> None:  # type: ignore[no-untyped-def]
    result = services.save_values(resp, {CELL: raw}, {}, resp.version, respondent, Channel.FORM)
    assert result.ok, result.errors
    answer = stored(resp, CELL)
    assert answer is not None and answer.value_text == text
    assert answer.value_num == Decimal(text)


@pytest.mark.parametrize(
    ("code", "raw"),
    [
        (CELL, "50 %"),
        (CELL, "abc"),
        (CELL, "1,234"),  # three decimals where two are allowed
        (CELL, "1e308"),
        (CELL, "NaN"),
        (CELL, "-1"),  # a grid of FTEs has min 0
        (CELL, "1,2,3"),
        ("A_antall", "2,5"),  # an integer
        ("A_andel", "101"),  # a percentage above 100
        ("A_dato", "31.02.2024"),
        ("A_org", "noe annet"),
        ("A_har_team", "kanskje"),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_is_saved(resp, respondent, code, raw) -> None:  # type: ignore[no-untyped-def]
    before = resp.version
    result = services.save_values(resp, {code: raw, "A_navn": "Kari"}, {}, resp.version, respondent, Channel.FORM)
    assert not result.ok
    assert set(result.errors) == {code}
    assert result.errors[code]  # a message in Norwegian, not an empty string
    assert not Answer.objects.filter(response=resp).exists()  # all or nothing: A_navn was not saved either
    resp.refresh_from_db()
    assert resp.version == before and resp.status == ResponseStatus.NOT_STARTED


def test_a_negative_number_is_kept_where_negatives_are_allowed(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    result = services.save_values(resp, {"A_endring": "−2,5"}, {}, resp.version, respondent, Channel.FORM)
    assert result.ok, result.errors
    assert stored(resp, "A_endring").value_num == Decimal("-2.5")  # type: ignore[union-attr]


def test_every_bad_variable_is_reported_at_once(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    result = services.save_values(
        resp, {CELL: "x", "A_antall": "-3", "nope": "1"}, {}, resp.version, respondent, Channel.FORM
    )
    assert set(result.errors) == {CELL, "A_antall", "nope"}
    assert "nope" in result.errors["nope"]


def test_blank_stays_blank_and_zero_stays_zero(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    other = "B_arsverk.bolig.lege"
    result = services.save_values(resp, {CELL: "0", other: ""}, {}, resp.version, respondent, Channel.FORM)
    assert result.values[CELL] == Decimal(0)
    assert result.values.get(other) is None
    assert stored(resp, other) is None  # nothing to store for a field never filled in
    # Clearing a value stores a blank, never 0.
    services.save_values(resp, {CELL: ""}, {}, result.version, respondent, Channel.FORM)
    answer = stored(resp, CELL)
    assert answer is not None and answer.value_text is None and answer.value_num is None
    values, _comments = services.stored_values(resp)
    assert values[CELL] is None


def test_free_text_keeps_sami_emoji_and_markup_literally(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    text = "Guovdageaidnu ja Kárášjohka: ŋ, đ, ŧ, č – bra 🙂 <script>alert(1)</script>"
    result = services.save_values(resp, {"A_fritekst": text}, {}, resp.version, respondent, Channel.FORM)
    assert result.ok
    assert stored(resp, "A_fritekst").value_text == text  # type: ignore[union-attr]


def test_too_long_text_is_refused(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    result = services.save_values(resp, {"A_fritekst": "x" * 100_000}, {}, resp.version, respondent, Channel.FORM)
    assert "A_fritekst" in result.errors
    assert stored(resp, "A_fritekst") is None


def test_stale_version_raises_with_both_values(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    colleague = make_respondent("4601")
    first = services.save_values(resp, {CELL: "1,5"}, {}, resp.version, respondent, Channel.FORM)
    services.save_values(resp, {CELL: "3"}, {}, first.version, colleague, Channel.FORM)
    with pytest.raises(services.StaleVersion) as caught:
        services.save_values(resp, {CELL: "2", "A_navn": "Kari"}, {}, first.version, respondent, Channel.FORM)
    conflict = caught.value.conflicts[CELL]
    assert conflict.stored == Decimal(3) and conflict.submitted == Decimal(2)
    assert caught.value.current_version == first.version + 1
    assert "A_navn" not in caught.value.conflicts  # nobody else touched it: not a conflict
    assert stored(resp, CELL).value_text == "3"  # type: ignore[union-attr]
    assert stored(resp, "A_navn") is None


def test_only_changes_are_written_and_each_is_audited(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    first = services.save_values(resp, {CELL: "1,5", "A_navn": "Kari"}, {}, resp.version, respondent, Channel.FORM)
    assert sorted(first.changed) == sorted([CELL, "A_navn"])
    assert first.version == 1
    resp.refresh_from_db()
    assert resp.status == ResponseStatus.DRAFT
    events = AuditEvent.objects.filter(object_id=str(resp.pk), action="answer.changed")
    assert events.count() == 2
    cell_event = events.get(variable=CELL)
    assert (cell_event.old_value, cell_event.new_value, cell_event.channel) == (None, "1.5", Channel.FORM)
    assert cell_event.user == respondent and cell_event.unit_code == "4601"
    # The same values again (written differently) change nothing: no write, no audit, no new version.
    again = services.save_values(resp, {CELL: "1,50", "A_navn": "Kari"}, {}, first.version, respondent, Channel.FORM)
    assert again.changed == [] and again.version == first.version
    assert AuditEvent.objects.filter(object_id=str(resp.pk), action="answer.changed").count() == 2
    # A change through the API is audited with that channel and the old value.
    services.save_values(resp, {CELL: "2"}, {}, None, respondent, Channel.API)
    last = AuditEvent.objects.filter(object_id=str(resp.pk), variable=CELL).order_by("-id").first()
    assert (last.old_value, last.new_value, last.channel) == ("1.5", "2", Channel.API)  # type: ignore[union-attr]


def test_comments_are_stored_and_audited(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    services.save_values(resp, {CELL: "50"}, {CELL: "Riktig: 50 årsverk"}, resp.version, respondent, Channel.FORM)
    assert stored(resp, CELL).comment == "Riktig: 50 årsverk"  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="answer.comment", variable=CELL).count() == 1
    result = services.save_values(resp, {}, {"nope": "x"}, None, respondent, Channel.FORM)
    assert "nope" in result.errors


def test_submit_blocks_on_errors_and_unexplained_warnings(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    # Required A_navn is missing.
    result = services.submit(resp, respondent)
    assert not result.submitted and result.validation is not None and result.validation.errors
    services.save_values(resp, {"A_navn": "Kari", CELL: "50"}, {}, None, respondent, Channel.FORM)
    result = services.submit(resp, respondent)
    assert not result.submitted
    assert [w.rule_code for w in result.validation.unexplained_warnings] == ["B_prosent"]  # type: ignore[union-attr]
    services.save_values(resp, {}, {CELL: "Det er riktig, vi har 50 årsverk."}, None, respondent, Channel.FORM)
    result = services.submit(resp, respondent)
    assert result.submitted and not result.already
    resp.refresh_from_db()
    assert resp.status == ResponseStatus.SUBMITTED and resp.submitted_by == respondent and resp.submitted_at


def test_double_submit_is_harmless(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    services.save_values(resp, {"A_navn": "Kari"}, {}, None, respondent, Channel.FORM)
    assert services.submit(resp, respondent).submitted
    version = Response.objects.get(pk=resp.pk).version
    again = services.submit(resp, respondent)
    assert again.submitted and again.already
    assert "allerede sendt inn" in again.message
    assert Response.objects.get(pk=resp.pk).version == version
    assert AuditEvent.objects.filter(action="response.submitted", object_id=str(resp.pk)).count() == 1


def test_submitted_response_is_closed_to_respondents_until_reopened(resp, respondent, analyst) -> None:  # type: ignore[no-untyped-def]
    services.save_values(resp, {"A_navn": "Kari"}, {}, None, respondent, Channel.FORM)
    services.submit(resp, respondent)
    with pytest.raises(services.NotWritable):
        services.save_values(resp, {"A_navn": "Ola"}, {}, None, respondent, Channel.FORM)
    with pytest.raises(PermissionDenied):
        services.reopen(resp, respondent)
    assert services.reopen(resp, analyst, reason="Feil i B")
    resp.refresh_from_db()
    assert resp.status == ResponseStatus.REOPENED and resp.reopened_by == analyst
    assert services.save_values(resp, {"A_navn": "Ola"}, {}, None, respondent, Channel.FORM).ok
    assert not services.reopen(resp, analyst)  # not submitted any more: nothing to reopen


def test_locked_round_refuses_everyone(resp, respondent, analyst, round_2024) -> None:  # type: ignore[no-untyped-def]
    services.lock_round(round_2024, analyst)
    resp.refresh_from_db()
    for user in (respondent, analyst):
        with pytest.raises(services.NotWritable):
            services.save_values(resp, {"A_navn": "Kari"}, {}, None, user, Channel.FORM)


def test_previous_values_follow_continues_links(analyst, respondent) -> None:  # type: ignore[no-untyped-def]
    old_version = questionnaire(2023, grid_code="B_arsverk_2023")
    old_round = open_round(old_version, year=2023, analyst=analyst)
    old = response_for(old_round, "4601")
    services.save_values(old, {"B_arsverk_2023.ledelse.lege": "2,5", "A_navn": "Kari"}, {}, None, analyst, Channel.FORM)
    new_round = open_round(questionnaire(2024, continues="B_arsverk_2023"), year=2024, analyst=analyst)
    new = response_for(new_round, "4601")
    previous = services.previous_values(new)
    assert previous.values == {CELL: Decimal("2.5"), "A_navn": "Kari"}
    assert previous.round == old_round and not previous.estimated
    # Another unit with no answers last year has nothing to show.
    assert not services.previous_values(response_for(new_round, "4602"))


def test_previous_values_after_a_split_are_estimated_by_population(analyst) -> None:  # type: ignore[no-untyped-def]
    old_round = open_round(questionnaire(2023), year=2023, analyst=analyst)
    old = response_for(old_round, "1507")  # Ålesund before the split in 2024
    services.save_values(old, {CELL: "10", "A_org": "samlet"}, {}, None, analyst, Channel.FORM)
    new_round = open_round(questionnaire(2024, grid_code="B_arsverk"), year=2024, analyst=analyst)
    alesund = services.previous_values(response_for(new_round, "1508"))
    haram = services.previous_values(response_for(new_round, "1580"))
    assert alesund.estimated and alesund.source_codes == ["1507"]
    assert Decimal(0) < haram.values[CELL] < alesund.values[CELL] < Decimal(10)
    assert abs(alesund.values[CELL] + haram.values[CELL] - Decimal(10)) <= Decimal("0.02")
    assert alesund.values["A_org"] == "samlet"


def test_previous_values_after_a_merge_are_summed(analyst) -> None:  # type: ignore[no-untyped-def]
    old_round = open_round(questionnaire(2019), year=2019, analyst=analyst)
    services.save_values(response_for(old_round, "5001"), {CELL: "2"}, {}, None, analyst, Channel.FORM)
    services.save_values(response_for(old_round, "5030"), {CELL: "1,25"}, {}, None, analyst, Channel.FORM)
    new_round = open_round(questionnaire(2020), year=2020, analyst=analyst)
    trondheim = services.previous_values(response_for(new_round, "5001"))  # Trondheim and Klæbu merged in 2020
    assert trondheim.values[CELL] == Decimal("3.25")
    assert sorted(trondheim.source_codes) == ["5001", "5030"] and not trondheim.estimated


def test_prefill_fills_only_blanks_and_can_be_undone(analyst, respondent) -> None:  # type: ignore[no-untyped-def]
    old_round = open_round(questionnaire(2023), year=2023, analyst=analyst)
    old = response_for(old_round, "4601")
    services.save_values(old, {CELL: "2,5", "A_navn": "Kari", "A_antall": "7"}, {}, None, analyst, Channel.FORM)
    new = response_for(open_round(questionnaire(2024), year=2024, analyst=analyst), "4601")
    services.save_values(new, {"A_navn": "Ola"}, {}, None, respondent, Channel.FORM)
    result = services.prefill_from_previous(new, respondent)
    assert sorted(result.changed) == sorted([CELL, "A_antall"])
    values, _ = services.stored_values(new)
    assert values["A_navn"] == "Ola" and values[CELL] == Decimal("2.5")
    assert AuditEvent.objects.filter(action="answer.prefilled", object_id=str(new.pk)).count() == 2
    # The respondent changes one prefilled value; undo puts back only the untouched one.
    services.save_values(new, {"A_antall": "9"}, {}, None, respondent, Channel.FORM)
    services.undo_batch(new, result.batch, respondent)
    values, _ = services.stored_values(new)
    assert values[CELL] is None and values["A_antall"] == Decimal(9) and values["A_navn"] == "Ola"


def test_saves_return_the_verdicts_of_a_full_validation(resp, respondent) -> None:  # type: ignore[no-untyped-def]
    """A save validates only what it changed (services.validating keeps the last validation); its verdicts must be
    those of validating the stored answers in full, also after a write this process did not see."""
    import random

    from kartlegg.surveys import engine

    defn = resp.round.version.definition()
    grid = defn.questions["B_arsverk"].cell_codes()
    rng = random.Random(18)
    services.forget_validations()
    version = resp.version
    seen: set[str] = set()
    for step in range(16):
        values: dict[str, object] = {code: rng.choice(["", "0", "1,5", "30", "75"]) for code in rng.sample(grid, 2)}
        values["A_har_team"] = rng.choice(["ja", "nei", ""])
        values["A_antall"] = rng.choice(["", "2", "2000"])
        if step == 8:
            # Behind the service's back (an import in another process): the kept validation no longer matches.
            Answer.objects.filter(response=resp, variable__in=grid).update(value_text="50", value_num=50)
        _locked, result = services.save_for_user(respondent, resp.round_id, "4601", values, {}, version)
        assert result.ok, result.errors
        version = result.version
        stored_values, comments = services.stored_values(Response.objects.get(pk=resp.pk), defn)
        full = engine.validate(defn, stored_values, comments, services.validation_context(resp))
        assert result.validation is not None
        assert (result.validation.errors, result.validation.warnings) == (full.errors, full.warnings)
        seen.update(issue.rule_code for issue in full.errors + full.warnings)
    assert {"B_prosent", "A_antall_maks"} <= seen
