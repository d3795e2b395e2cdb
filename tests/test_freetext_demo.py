"""The free-text demo step: the 2020 question half coded by one coder, 40 answers double-coded, a summary with
bullets like the brief's, and agreement measured."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from kartlegg.freetext.models import Codebook, Coding, Quote, SecondCoder
from kartlegg.freetext.services import agreement, coding
from kartlegg.freetext.services.summary import summary_for
from kartlegg.responses.models import Round

from .factories import make_analyst

pytestmark = pytest.mark.django_db


def test_demo_codes_half_of_2020_and_double_codes_forty(tmp_path: Path) -> None:
    make_analyst(username="analytiker")
    call_command("make_demo_data", "--years", "2020", "--no-progress", "--errors-file", str(tmp_path / "e.json"))
    book = Codebook.objects.get(name="Konsekvenser av koronasituasjonen 2020")
    round_obj = Round.objects.get(pk=Coding.objects.filter(codebook=book).first().answer.response.round_id)
    answers = coding.answers_for(book, round_obj)
    total = answers.count()
    assert 250 <= total <= 320  # the responders of 2020 (about 285 municipalities and bydeler)
    primary = Coding.objects.filter(codebook=book, coder__username="analytiker", confirmed=True).count()
    assert primary == round(total / 2)
    assert SecondCoder.objects.filter(codebook=book).count() == 40
    assert Coding.objects.filter(codebook=book, coder__username="koder2", confirmed=True).count() == 40
    report = agreement.report(book, round_obj)
    assert report.answers == 40 and 0.6 < report.kappa < 1
    assert Quote.objects.filter(codebook=book, publishable=True).count() == 10
    result = summary_for(book, round_obj)
    sentences = [s for _theme, bullets in result.bullets() for s in bullets]
    assert any(s.endswith("beskriver at dag- og gruppetilbud ble stengt.") and "kommune" in s for s in sentences), (
        sentences
    )
    assert result.denominator > 100 and result.method.startswith("40 av")
    # A rerun replaces the demo codebook instead of adding a second one.
    call_command("make_demo_data", "--years", "2020", "--no-progress", "--errors-file", str(tmp_path / "e.json"))
    assert Codebook.objects.filter(name=book.name).count() == 1
