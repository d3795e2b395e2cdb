"""Questionnaire pages: the list of versions, one version in readable form, a comparison of two versions, the
printable blank questionnaire, and (for analysts) importing a YAML file. Views are thin: access goes through
services.get_version_for_user, and everything else through services/compare/presentation."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kartlegg.accounts.permissions import require_analyst
from kartlegg.surveys.compare import STATUS_LABELS, compare
from kartlegg.surveys.models import QuestionnaireVersion
from kartlegg.surveys.presentation import outline, rule_rows
from kartlegg.surveys.services import (
    QuestionnaireImportError,
    can_see_drafts,
    get_version_for_user,
    import_questionnaire_text,
    visible_versions,
)

MAX_UPLOAD_BYTES = 2_000_000


def _version_or_404(request: HttpRequest, version_id: int) -> QuestionnaireVersion:
    try:
        return get_version_for_user(request.user, version_id)
    except QuestionnaireVersion.DoesNotExist as exc:
        raise Http404(_("Fant ikke skjemaversjonen.")) from exc


def _analyst_or_login(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    require_analyst(request.user)
    return None


@require_GET
def version_list(request: HttpRequest) -> HttpResponse:
    surveys: dict[int, dict] = {}
    for version in visible_versions(request.user).order_by("survey__kind", "survey__code", "-year", "label"):
        entry = surveys.setdefault(version.survey_id, {"survey": version.survey, "versions": []})
        entry["versions"].append(version)
    return render(
        request,
        "surveys/list.html",
        {"surveys": list(surveys.values()), "is_analyst": can_see_drafts(request.user)},
    )


@require_GET
def version_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version_or_404(request, version_id)
    defn = version.definition(get_language())
    return render(
        request,
        "surveys/detail.html",
        {
            "version": version,
            "defn": defn,
            "sections": outline(defn),
            "rules": rule_rows(defn),
            "is_analyst": can_see_drafts(request.user),
        },
    )


@require_GET
def version_compare(request: HttpRequest) -> HttpResponse:
    if (response := _analyst_or_login(request)) is not None:
        return response
    versions = list(visible_versions(request.user).order_by("survey__code", "-year", "label"))
    context: dict = {"versions": versions, "a": request.GET.get("a", ""), "b": request.GET.get("b", "")}
    if not context["a"] or not context["b"]:
        # One side chosen (e.g. from a version's page): show the form with it preselected.
        return render(request, "surveys/compare.html", context)
    chosen = []
    for key in ("a", "b"):
        raw = request.GET.get(key, "")
        match = next((v for v in versions if str(v.pk) == raw.strip()), None) if raw.strip().isdigit() else None
        if match is None:
            context["error"] = _("Velg to skjemaversjoner som finnes.")
            return render(request, "surveys/compare.html", context, status=400)
        chosen.append(match)
    old, new = sorted(chosen, key=lambda v: (v.year, v.imported_at))
    comparison = compare(old.definition(), new.definition())
    groups = [
        (status, STATUS_LABELS[status], comparison.by_status(status))
        for status in ("continued", "changed", "added", "removed", "unchanged")
    ]
    context.update(
        {
            "old": old,
            "new": new,
            "swapped": chosen[0] != old,
            "comparison": comparison,
            "groups": groups,
            "counts": comparison.counts(),
        }
    )
    return render(request, "surveys/compare.html", context)


@require_GET
def version_pdf(request: HttpRequest, version_id: int) -> HttpResponse:
    from kartlegg.surveys.pdf import blank_questionnaire_pdf

    version = _version_or_404(request, version_id)
    content = blank_questionnaire_pdf(version.definition(get_language()))
    filename = slugify(f"skjema-{version.survey.code}-{version.year}-{version.label}") or "skjema"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
def version_import(request: HttpRequest) -> HttpResponse:
    if (response := _analyst_or_login(request)) is not None:
        return response
    context: dict = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        replace = request.POST.get("replace") == "on"
        problems: list[str] = []
        text = ""
        if upload is None:
            problems.append(_("Velg en YAML-fil."))
        elif upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            problems.append(_("Filen er for stor (høyst 2 MB)."))
        else:
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                problems.append(_("Filen må være UTF-8-kodet tekst."))
        if not problems:
            try:
                version = import_questionnaire_text(
                    text, replace=replace, user=request.user, source_name=(upload.name or "") if upload else ""
                )
            except QuestionnaireImportError as exc:
                problems = [str(problem) for problem in exc.problems]
            else:
                return redirect("surveys:detail", version_id=version.pk)
        context = {"problems": problems, "replace": replace, "filename": getattr(upload, "name", "")}
        return render(request, "surveys/import.html", context, status=400)
    return render(request, "surveys/import.html", context)
