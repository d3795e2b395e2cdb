"""The query page, /kvalitet/sporsmal/<id>/: the unit reads the analyst's question, answers in text and/or corrects
the values it is about. Reached only through services.get_query_for_user (the responses permission gate)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kartlegg.accounts.permissions import Access, can_access_unit
from kartlegg.responses import services as responses

from . import services
from .checks import check_labels
from .forms import ReplyForm
from .services.queries import query_variables


def _variables(query: Any) -> list[tuple[str, str, Any, Any]]:
    """(code, label, question, current value) for each variable the query is about."""
    from .checks import layout_for

    definition = query.round.version.definition()
    layout = layout_for(definition)
    values, _comments = responses.stored_values(query.response, definition)
    return [
        (code, layout.label(code), definition.question_for(code), values.get(code)) for code in query_variables(query)
    ]


@require_http_methods(["GET", "POST"])
@login_required
def query_page(request: HttpRequest, query_id: int) -> HttpResponse:
    user: Any = request.user
    access = Access.EDIT if request.method == "POST" else Access.VIEW
    query = services.get_query_for_user(user, query_id, access)
    response = query.response
    may_answer = can_access_unit(user, query.unit.code, query.unit.county_code, Access.EDIT)
    blocked = responses.writable_reason(response, user) if may_answer else ""
    editable = may_answer and not blocked
    variables = _variables(query)
    form = ReplyForm(
        request.POST if request.method == "POST" else None,
        variables=variables,
        editable=editable,
        initial={"version": response.version},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        raw = form.changed_values() if editable else {}
        try:
            result = services.reply(query, user, form.cleaned_data["text"], raw, form.cleaned_data.get("version"))
        except services.QueryError as exc:
            form.add_error(None, str(exc))
        except responses.StaleVersion:
            form.add_error(
                None, _("Noen andre har lagret skjemaet siden du åpnet siden. Last siden på nytt og prøv igjen.")
            )
            status = 409
        except responses.NotWritable as exc:
            form.add_error(None, str(exc))
        else:
            if result.errors:
                for code, message in result.errors.items():
                    name = "v_" + code
                    if name in form.fields:
                        form.add_error(name, message)
                    else:
                        form.add_error(None, message)
            else:
                messages.success(request, _("Takk! Svaret er sendt."))
                if result.message:
                    messages.warning(request, result.message)
                return redirect("quality:query", query.pk)
    if form.errors and status == 200:
        status = 400
    bound_values = [form[name] for name in form.value_fields]
    return render(
        request,
        "quality/query.html",
        {
            "query": query,
            "round": query.round,
            "unit": query.unit,
            "flags": query.flags.all(),
            "thread": query.messages.select_related("author"),
            "form": form,
            "value_fields": bound_values,
            "may_answer": may_answer,
            "blocked": blocked,
            "labels": check_labels(),
            "is_analyst": getattr(user, "is_analyst", False),
        },
        status=status,
    )
