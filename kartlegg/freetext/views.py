"""Codebook pages: the list, import and export as YAML, editing themes and codes, merge, split and history.
Analysts only (`get_codebook_for_user` / `require_analyst`); every change goes through services.codebook."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kartlegg.accounts.permissions import require_analyst
from kartlegg.responses.models import Answer, Round

from .codebook_io import CodebookError
from .forms import CodebookForm, CodebookImportForm, CodeForm, MergeForm, SplitForm, ThemeForm
from .models import Codebook
from .services import codebook as services
from .services.codebook import get_codebook_for_user


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "; ".join(exc.messages)


@require_http_methods(["GET", "POST"])
@login_required
def index(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    form = CodebookImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            book = services.import_codebook(form.cleaned_data["file"], request.user, name=form.cleaned_data["name"])
        except CodebookError as exc:
            form.add_error("file", str(exc))
        else:
            services.ensure_other(book)
            messages.success(request, _("Kodeboken er importert."))
            return redirect("freetext:codebook", book.pk)
    books = list(Codebook.objects.all())
    for book in books:
        variables = list(book.questions)
        book.rounds = list(  # type: ignore[attr-defined]
            Round.objects.filter(
                pk__in=Answer.objects.filter(variable__in=variables).values("response__round_id")
            ).order_by("-year", "-id")
        )
    return render(request, "freetext/index.html", {"books": books, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def codebook(request: HttpRequest, book_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    form = CodebookForm(request.POST or None, instance=book, prefix="book")
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            old = {"name": book.name, "questions": list(book.questions)}
            book = form.save(commit=False)
            book.questions = form.cleaned_data["questions_text"]
            book.save()
            services._log(
                "codebook.edit", book, request.user, before=old, after={"name": book.name, "questions": book.questions}
            )
        messages.success(request, _("Kodeboken er lagret."))
        return redirect("freetext:codebook", book.pk)
    rounds = Round.objects.filter(
        pk__in=Answer.objects.filter(variable__in=list(book.questions)).values("response__round_id")
    ).order_by("-year", "-id")
    return render(
        request,
        "freetext/codebook.html",
        {
            "book": book,
            "form": form,
            "themes": book.themes.all(),
            "codes": book.active_codes(),
            "retired": book.codes.filter(active=False).select_related("replaced_by"),
            "rounds": rounds,
            "theme_form": ThemeForm(prefix="theme"),
            "code_form": CodeForm(codebook=book, prefix="code"),
            "merge_form": MergeForm(codebook=book, prefix="merge"),
            "split_form": SplitForm(codebook=book, prefix="split"),
            "import_form": CodebookImportForm(prefix="import"),
        },
    )


@require_POST
@login_required
def add_theme(request: HttpRequest, book_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    form = ThemeForm(request.POST, prefix="theme")
    if form.is_valid():
        try:
            services.save_theme(book, request.user, **form.cleaned_data)
            messages.success(request, _("Temaet er lagret."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, "; ".join(f"{form.fields[f].label}: {e[0]}" for f, e in form.errors.items()))
    return redirect("freetext:codebook", book.pk)


@require_http_methods(["GET", "POST"])
@login_required
def edit_code(request: HttpRequest, book_id: int, code_id: int | None = None) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    code = get_object_or_404(book.codes, pk=code_id) if code_id else None
    form = CodeForm(request.POST or None, codebook=book, code=code, prefix="code")
    if request.method == "POST" and form.is_valid():
        try:
            services.save_code(book, request.user, form.cleaned_data, code)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Koden er lagret."))
            return redirect("freetext:codebook", book.pk)
    return render(request, "freetext/code_form.html", {"book": book, "code": code, "form": form})


@require_POST
@login_required
def merge(request: HttpRequest, book_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    form = MergeForm(request.POST, codebook=book, prefix="merge")
    if form.is_valid():
        try:
            moved = services.merge_codes(
                book, request.user, list(form.cleaned_data["sources"]), form.cleaned_data["target"]
            )
            messages.success(request, _("Kodene er slått sammen; %(n)s kodinger er flyttet.") % {"n": moved})
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, "; ".join(f"{form.fields[f].label}: {e[0]}" for f, e in form.errors.items()))
    return redirect("freetext:codebook", book.pk)


@require_POST
@login_required
def split(request: HttpRequest, book_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    form = SplitForm(request.POST, codebook=book, prefix="split")
    if form.is_valid():
        try:
            services.split_code(book, request.user, form.cleaned_data["source"], form.cleaned_data["parts"])
            messages.success(request, _("Koden er delt."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, "; ".join(f"{form.fields[f].label}: {e[0]}" for f, e in form.errors.items()))
    return redirect("freetext:codebook", book.pk)


@require_POST
@login_required
def import_into(request: HttpRequest, book_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    form = CodebookImportForm(request.POST, request.FILES, prefix="import")
    if form.is_valid():
        try:
            services.import_codebook(form.cleaned_data["file"], request.user, into=book)
            messages.success(request, _("Kodene fra filen er lagt til."))
        except CodebookError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "; ".join(str(e[0]) for e in form.errors.values()))
    return redirect("freetext:codebook", book.pk)


@require_GET
@login_required
def export(request: HttpRequest, book_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    response = HttpResponse(services.export_yaml(book), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kodebok-{book.pk}.yaml"'
    return response


@require_GET
@login_required
def history(request: HttpRequest, book_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    events: Any = services.history(book).exclude(action__startswith="freetext.coding")[:500]
    return render(request, "freetext/history.html", {"book": book, "events": events})
