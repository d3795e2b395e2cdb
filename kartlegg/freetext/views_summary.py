"""The summary page, its downloads (HTML, XLSX, CSV) and the quotes an analyst confirms. Analysts only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kartlegg.accounts.permissions import Access
from kartlegg.responses import services as responses
from kartlegg.responses.models import Answer

from . import exports
from .services import summary as services
from .services.codebook import get_codebook_for_user

DOWNLOADS = {
    "html": ("text/html; charset=utf-8", exports.to_html),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", exports.to_xlsx),
    "csv": ("text/csv; charset=utf-8", exports.to_csv),
}


@require_GET
@login_required
def summary(request: HttpRequest, book_id: int, round_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    round_obj = responses.get_round_for_user(request.user, round_id, Access.EDIT)
    result = services.summary_for(book, round_obj)
    return render(
        request,
        "freetext/summary.html",
        {"book": book, "round": round_obj, "summary": result, "groups": exports.group_table(result)},
    )


@require_GET
@login_required
def download(request: HttpRequest, book_id: int, round_id: int, fmt: str) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    round_obj = responses.get_round_for_user(request.user, round_id, Access.EDIT)
    if fmt not in DOWNLOADS:
        raise Http404(_("Ukjent format."))
    content_type, render_file = DOWNLOADS[fmt]
    response = HttpResponse(render_file(services.summary_for(book, round_obj)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="fritekst-{book.pk}-{round_obj.year}.{fmt}"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def quotes(request: HttpRequest, book_id: int, round_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    round_obj = responses.get_round_for_user(request.user, round_id, Access.EDIT)
    theme = request.GET.get("tema", "")
    if request.method == "POST":
        answer = get_object_or_404(
            Answer.objects.select_related("response__unit"),
            pk=request.POST.get("answer") or 0,
            response__round=round_obj,
        )
        try:
            services.confirm_quote(
                book, answer, request.user, request.POST.get("publishable") == "1", request.POST.get("masked_text", "")
            )
            messages.success(request, _("Sitatet er lagret."))
        except ValidationError as exc:
            messages.error(request, "; ".join(m for msgs in exc.message_dict.values() for m in msgs))
        return redirect(request.get_full_path())
    return render(
        request,
        "freetext/quotes.html",
        {
            "book": book,
            "round": round_obj,
            "rows": services.quote_candidates(book, round_obj, theme),
            "themes": book.themes.all(),
            "theme": theme,
        },
    )
