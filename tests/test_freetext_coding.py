"""Free text with the database: codebook editing with audit, merge and split, coding with undo, suggestions never
stored, agreement, the summary, quotes, exports, the file commands and who may reach the pages."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from kartlegg.accounts.models import AuditEvent
from kartlegg.freetext.models import Code, Coding
from kartlegg.freetext.services import agreement, coding, suggest
from kartlegg.freetext.services import codebook as services
from kartlegg.freetext.services import summary as summary_services

from .factories import make_analyst, make_respondent, make_reviewer
from .factories.freetext import codebook, korona_round, write_texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():  # type: ignore[no-untyped-def]
    analyst = make_analyst()
    round_obj = korona_round(analyst)
    answers = write_texts(round_obj)
    book = codebook(analyst)
    suggest.clear_cache()
    return analyst, round_obj, answers, book


def test_import_creates_themes_codes_and_the_other_code(setup) -> None:  # type: ignore[no-untyped-def]
    _analyst, _round, _answers, book = setup
    assert book.themes.count() == 4
    assert book.codes.filter(is_other=True, key="annet").count() == 1
    assert AuditEvent.objects.filter(action="freetext.import", object_id=str(book.pk)).exists()
    assert "tjenester.dagtilbud_stengt" in services.export_yaml(book)


def test_editing_a_code_is_audited_with_old_and_new(setup) -> None:  # type: ignore[no-untyped-def]
    analyst, _round, _answers, book = setup
    code = book.codes.get(key="tjenester.video")
    services.save_code(book, analyst, {"label": "Video mangler", "include": "linje en\n\nlinje to"}, code)
    code.refresh_from_db()
    assert code.label == "Video mangler" and code.include == ["linje en", "linje to"]
    event = AuditEvent.objects.get(action="freetext.code.edit")
    assert (
        event.detail["before"]["label"] == "Video ikke alltid på plass"
        and event.detail["after"]["label"] == "Video mangler"
    )
    with pytest.raises(ValidationError, match="finnes fra før"):
        services.save_code(book, analyst, {"key": "tjenester.video", "label": "X"})
    with pytest.raises(ValidationError, match="Ugyldig nøkkel"):
        services.save_code(book, analyst, {"key": "Med mellomrom", "label": "X"})


def test_merge_and_split_keep_the_codes_given(setup) -> None:  # type: ignore[no-untyped-def]
    analyst, _round, answers, book = setup
    coding.set_codes(
        book, answers["4601"], analyst, ["tjenester.dagtilbud_stengt", "tjenester.telefon_ute"], confirm=True
    )
    coding.set_codes(book, answers["1103"], analyst, ["tjenester.omdisponert"], confirm=True)
    target = book.codes.get(key="tjenester.dagtilbud_stengt")
    moved = services.merge_codes(book, analyst, [book.codes.get(key="tjenester.telefon_ute")], target)
    assert moved == 1
    assert coding.final_codes(book)[answers["4601"].pk] == {"tjenester.dagtilbud_stengt"}
    retired = book.codes.get(key="tjenester.telefon_ute")
    assert not retired.active and retired.replaced_by == target
    new = services.split_code(
        book,
        analyst,
        book.codes.get(key="tjenester.omdisponert"),
        [("tjenester.smitte", "Til smittevern"), ("tjenester.annen", "Annet arbeid")],
    )
    assert [c.key for c in new] == ["tjenester.smitte", "tjenester.annen"]
    assert coding.final_codes(book)[answers["1103"].pk] == {"tjenester.smitte"}
    split_event = AuditEvent.objects.get(action="freetext.code.split")
    assert split_event.detail["answers"] == [answers["1103"].pk]
    with pytest.raises(ValidationError):
        services.split_code(book, analyst, new[0], [("bare.en", "En")])


def test_set_codes_undo_and_progress(setup) -> None:  # type: ignore[no-untyped-def]
    analyst, round_obj, answers, book = setup
    answer = answers["4601"]
    coding.set_codes(book, answer, analyst, ["tjenester.dagtilbud_stengt"])
    coding.set_codes(book, answer, analyst, ["tjenester.dagtilbud_stengt", "tjenester.telefon_ute"], confirm=True)
    queue = coding.queue_for(book, round_obj, analyst)
    assert coding.progress(book, queue, analyst).coded == 1 and queue.count() == 5
    assert coding.undo_last(book, analyst) == answer
    mine = coding.coding_of(book, answer, analyst)
    assert {c.key for c in mine.codes.all()} == {"tjenester.dagtilbud_stengt"} and not mine.confirmed
    coding.undo_last(book, analyst)
    assert mine.codes.count() == 0
    assert coding.undo_last(book, analyst) is None
    with pytest.raises(ValidationError, match="Ukjent kode"):
        coding.set_codes(book, answer, analyst, ["finnes.ikke"])


def test_suggestions_are_never_stored(setup) -> None:  # type: ignore[no-untyped-def]
    _analyst, round_obj, answers, book = setup
    preds = suggest.predictions(book, round_obj)
    assert set(preds) == {a.pk for a in answers.values()}
    assert "tjenester.dagtilbud_stengt" in preds[answers["4601"].pk].codes()
    assert "tjenester.dagtilbud_stengt" not in preds[answers["030101"].pk].codes()  # "er ikke stengt"
    assert Coding.objects.count() == 0


def test_second_coder_codes_blind_and_agreement_is_reported(setup) -> None:  # type: ignore[no-untyped-def]
    analyst, round_obj, answers, book = setup
    other = make_analyst(username="koder2")
    for code, text_codes in {
        "4601": ["tjenester.dagtilbud_stengt"],
        "1103": ["tjenester.omdisponert"],
        "5001": ["henvisninger.faerre"],
    }.items():
        coding.set_codes(book, answers[code], analyst, text_codes, confirm=True)
    chosen = agreement.assign_second_coder(book, round_obj, other, 0.6, analyst, seed=1)
    assert len(chosen) == 3 and set(chosen) == {answers[c].pk for c in ("4601", "1103", "5001")}
    assert set(coding.queue_for(book, round_obj, other).values_list("pk", flat=True)) == set(chosen)
    coding.set_codes(book, answers["4601"], other, ["tjenester.dagtilbud_stengt"], confirm=True)
    coding.set_codes(book, answers["1103"], other, ["tjenester.omdisponert"], confirm=True)
    coding.set_codes(book, answers["5001"], other, ["henvisninger.faerre", "brukere.sarbar_ungdom"], confirm=True)
    report = agreement.report(book, round_obj)
    assert report.answers == 3 and report.coders == 2
    per = {c.key: c for c in report.per_code}
    assert per["tjenester.omdisponert"].kappa == 1 and per["brukere.sarbar_ungdom"].either == 1
    assert 0 < report.kappa < 1
    assert "3 av 5 svar" in report.sentence().replace("\xa0", " ")
    disputed = coding.disagreements(book, coding.answers_for(book, round_obj))
    assert [a.pk for a, _ in disputed] == [answers["5001"].pk]
    # The first coder's codes count until the analyst resolves; then the consensus counts.
    assert coding.final_codes(book)[answers["5001"].pk] == {"henvisninger.faerre"}
    agreement.resolve(book, answers["5001"], analyst, ["henvisninger.faerre", "brukere.sarbar_ungdom"])
    assert coding.final_codes(book)[answers["5001"].pk] == {"henvisninger.faerre", "brukere.sarbar_ungdom"}
    assert coding.disagreements(book, coding.answers_for(book, round_obj)) == []
    with pytest.raises(ValidationError):
        agreement.assign_second_coder(book, round_obj, make_respondent("4601"), 0.5, analyst)
    with pytest.raises(ValidationError):
        agreement.assign_second_coder(book, round_obj, other, 1.5, analyst)


def test_summary_quotes_masking_and_exports(setup) -> None:  # type: ignore[no-untyped-def]
    analyst, round_obj, answers, book = setup
    coding.set_codes(
        book, answers["4601"], analyst, ["tjenester.dagtilbud_stengt", "tjenester.telefon_ute"], confirm=True
    )
    coding.set_codes(book, answers["030101"], analyst, ["tjenester.telefon_ute"], confirm=True)
    coding.set_codes(book, answers["3024"], analyst, ["annet"], confirm=True)
    rows = summary_services.quote_candidates(book, round_obj)
    bergen = next(r for r in rows if r["answer"] == answers["4601"])
    assert bergen["auto"].text == "Dagsenteret i [sted] ble stengt, og [navn] fulgte opp brukerne på telefon."
    result = summary_services.summary_for(book, round_obj)
    assert all(not t.quotes for t in result.themes)  # nothing is quoted before the analyst confirms
    summary_services.confirm_quote(book, answers["4601"], analyst, True, bergen["auto"].text)
    result = summary_services.summary_for(book, round_obj)
    assert result.denominator == 2 and "bydeler teller som egne enheter" in result.denominator_text
    services_theme = next(t for t in result.themes if t.key == "tjenester")
    assert services_theme.quotes == [bergen["auto"].text]
    phone = next(c for c in services_theme.codes if c.key == "tjenester.telefon_ute")
    assert phone.count == 2 and phone.quantifier == "nesten alle"
    with pytest.raises(ValidationError):
        summary_services.confirm_quote(book, answers["1103"], analyst, True, "  ")
    from kartlegg.freetext import exports

    assert exports.to_csv(result).decode("utf-8-sig").startswith("# Syntetiske demodata")
    html = exports.to_html(result)
    assert b"Syntetiske demodata" in html and b"<style>" in html and b"Nesten alle kommuner" in html
    assert exports.to_xlsx(result)[:2] == b"PK"


def test_pages_are_for_analysts_only(setup, client: Client) -> None:  # type: ignore[no-untyped-def]
    analyst, round_obj, answers, book = setup
    urls = [
        reverse("freetext:index"),
        reverse("freetext:codebook", args=[book.pk]),
        reverse("freetext:coder", args=[book.pk, round_obj.pk]),
        reverse("freetext:agreement", args=[book.pk, round_obj.pk]),
        reverse("freetext:summary", args=[book.pk, round_obj.pk]),
        reverse("freetext:quotes", args=[book.pk, round_obj.pk]),
        reverse("freetext:download", args=[book.pk, round_obj.pk, "csv"]),
        reverse("freetext:export", args=[book.pk]),
    ]
    for user in (make_respondent("4601"), make_reviewer("46")):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, url
        save = reverse("freetext:save", args=[book.pk, round_obj.pk, answers["4601"].pk])
        assert client.post(save, {"codes": ["annet"], "action": "confirm"}).status_code == 403
    assert not Coding.objects.exists()
    client.logout()
    assert client.get(urls[2]).status_code == 302  # to the login page
    client.force_login(analyst)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_coder_page_saves_at_once_and_confirms(setup, client: Client) -> None:  # type: ignore[no-untyped-def]
    analyst, round_obj, answers, book = setup
    client.force_login(analyst)
    page = client.get(reverse("freetext:coder", args=[book.pk, round_obj.pk]), {"svar": answers["4601"].pk})
    html = page.content.decode()
    assert "Dagsenteret i Bergen" in html and 'id="ft-unit"' in html and "<details" in html
    assert "<script>" not in html and ' style="' not in html and " onclick=" not in html
    save = reverse("freetext:save", args=[book.pk, round_obj.pk, answers["4601"].pk])
    reply = client.post(save, {"codes": ["tjenester.telefon_ute"], "action": "save"}, HTTP_ACCEPT="application/json")
    assert reply.json() == {"ok": True, "codes": ["tjenester.telefon_ute"], "confirmed": False, "coded": 0, "total": 5}
    reply = client.post(save, {"codes": ["tjenester.telefon_ute"], "action": "accept"}, HTTP_ACCEPT="application/json")
    assert "tjenester.dagtilbud_stengt" in reply.json()["codes"]  # the suggestion, accepted by a person
    reply = client.post(save, {"codes": reply.json()["codes"], "action": "confirm"}, HTTP_ACCEPT="application/json")
    assert reply.json()["confirmed"] and reply.json()["coded"] == 1
    bad = client.post(save, {"codes": ["nope"]}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "Ukjent kode" in bad.json()["error"]
    undo = client.post(reverse("freetext:undo", args=[book.pk, round_obj.pk]), HTTP_ACCEPT="application/json")
    assert undo.json()["ok"] and not coding.coding_of(book, answers["4601"], analyst).confirmed
    uncoded = client.get(
        reverse("freetext:coder", args=[book.pk, round_obj.pk]), {"filter": "ukodet", "rekkefolge": "usikker"}
    )
    assert uncoded.context["count"] == 5


def test_codebook_pages_edit_merge_and_import_errors(setup, client: Client) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    analyst, _round, _answers, book = setup
    client.force_login(analyst)
    response = client.post(
        reverse("freetext:add_code", args=[book.pk]),
        {"code-key": "brukere.ny", "code-label": "Ny kode", "code-theme": book.themes.get(key="brukere").pk},
    )
    assert response.status_code == 302 and book.codes.filter(key="brukere.ny").exists()
    bad = client.post(reverse("freetext:index"), {"file": SimpleUploadedFile("b.yaml", b"themes:\n  - key: A B\n")})
    assert "Linje 2: ugyldig nøkkel" in bad.content.decode()
    ok = client.post(
        reverse("freetext:index"), {"file": SimpleUploadedFile("b.yaml", "- a: Første\n- b: Andre\n".encode())}
    )
    assert ok.status_code == 302
    sources = book.codes.filter(key__in=["brukere.ny"]).values_list("pk", flat=True)
    target = book.codes.get(key="brukere.rus")
    client.post(reverse("freetext:merge", args=[book.pk]), {"merge-sources": list(sources), "merge-target": target.pk})
    assert not Code.objects.get(key="brukere.ny", codebook=book).active
    assert "freetext.code.merge" in client.get(reverse("freetext:history", args=[book.pk])).content.decode()


def test_file_commands_suggest_and_summary(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .factories.freetext import CODEBOOK

    train = tmp_path / "coded.jsonl"
    lines = []
    for i in range(20):
        lines.append(
            {
                "id": f"s{i}",
                "text": f"Dagsenteret ble stengt uke {i}.",
                "codes": ["tjenester.dagtilbud_stengt"],
                "publishable": i == 0,
                "county": "46",
            }
        )
        lines.append(
            {
                "id": f"t{i}",
                "text": f"Samtaler på telefon med Kari {i}.",
                "codes": ["tjenester.telefon_ute"],
                "county": "03",
            }
        )
    train.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"id": "x", "text": "Dagsenteret ble stengt."}\n', encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    call_command(
        "freetext_suggest",
        "--codebook",
        str(CODEBOOK),
        "--train",
        str(train),
        "--predict",
        str(answers),
        "--out",
        str(out),
    )
    prediction = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert prediction["id"] == "x" and "tjenester.dagtilbud_stengt" in prediction["codes"]
    assert 0 <= prediction["scores"]["tjenester.video"] <= 1
    summary = tmp_path / "summary.json"
    call_command("freetext_summary", "--codebook", str(CODEBOOK), "--coded", str(train), "--out", str(summary))
    data = json.loads(summary.read_text(encoding="utf-8"))
    closed = data["codes"]["tjenester.dagtilbud_stengt"]
    assert closed["count"] == 20 and closed["share"] == 0.5 and closed["quantifier"] == "mange"
    assert closed["quotes"] == ["Dagsenteret ble stengt uke 0."]
    answers.write_text('{"id": "x", "text": "a"}\n{"id": "y"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="answers.jsonl linje 2: mangler «text»"):
        call_command(
            "freetext_suggest",
            "--codebook",
            str(CODEBOOK),
            "--train",
            str(train),
            "--predict",
            str(answers),
            "--out",
            str(out),
        )
    bad_book = tmp_path / "bad.yaml"
    bad_book.write_text("themes:\n  - key: X Y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="bad.yaml: Linje 2"):
        call_command("freetext_summary", "--codebook", str(bad_book), "--coded", str(train), "--out", str(summary))


def test_export_and_import_commands_round_trip_all_or_nothing(setup, tmp_path) -> None:  # type: ignore[no-untyped-def]
    analyst, round_obj, answers, book = setup
    coding.set_codes(book, answers["4601"], analyst, ["tjenester.video"], confirm=True)
    out = tmp_path / "round.jsonl"
    call_command("freetext_export", "--codebook", str(book.pk), "--round", str(round_obj.pk), "--out", str(out))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5 and next(r for r in rows if r["unit"] == "4601")["codes"] == ["tjenester.video"]
    for row in rows:
        row["codes"] = ["annet"]
    rows[-1]["codes"] = ["ukjent.kode"]
    out.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    other = make_analyst(username="importkoder")
    with pytest.raises(CommandError, match="linje 5: ukjent kode «ukjent.kode»"):
        call_command(
            "freetext_import",
            "--codebook",
            str(book.pk),
            "--round",
            str(round_obj.pk),
            "--in",
            str(out),
            "--coder",
            other.username,
        )
    assert not Coding.objects.filter(coder=other).exists()
    rows[-1]["codes"] = ["annet"]
    original = (rows[0]["id"], rows[0]["unit"])
    rows[0]["id"], rows[0]["unit"] = 999999, "9999"
    out.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    with pytest.raises(CommandError, match="linje 1: fant ikke svaret"):
        call_command(
            "freetext_import",
            "--codebook",
            str(book.pk),
            "--round",
            str(round_obj.pk),
            "--in",
            str(out),
            "--coder",
            other.username,
        )
    assert not Coding.objects.filter(coder=other).exists()
    rows[0]["id"], rows[0]["unit"] = original
    out.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    call_command(
        "freetext_import",
        "--codebook",
        str(book.pk),
        "--round",
        str(round_obj.pk),
        "--in",
        str(out),
        "--coder",
        other.username,
    )
    assert Coding.objects.filter(coder=other, confirmed=True).count() == 5
    with pytest.raises(CommandError, match="ingen analytiker"):
        call_command(
            "freetext_import",
            "--codebook",
            str(book.pk),
            "--round",
            str(round_obj.pk),
            "--in",
            str(out),
            "--coder",
            make_respondent("4601").username,
        )
