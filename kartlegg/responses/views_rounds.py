"""Rounds for analysts (open a round, invite units, remind by hand), the list of a user's forms, and the page an
invitation link lands on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kartlegg.accounts import idporten
from kartlegg.accounts.permissions import Access, is_staff_reader, require_analyst, unit_filter
from kartlegg.geography.services import county_choices

from . import invitations, services
from .forms import InviteForm, OpenRoundForm, RemindForm
from .models import Invitation, Response, ResponseStatus, Round
from .services.rounds import RoundError

ROUND_PAGE_SIZE = 50


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Analysts and reviewers see rounds; respondents see the forms of their units."""
    user: Any = request.user
    rounds = list(Round.objects.select_related("version__survey"))
    rows = []
    for round_obj in rounds:
        visible = services.responses_for_user(user, round_obj)
        if not user.is_analyst and not visible.exists():
            continue
        rows.append({"round": round_obj, "counts": services.round_status_counts(round_obj, visible)})
    mine = []
    if user.is_respondent:
        mine = list(
            Response.objects.filter(unit_filter(user, Access.VIEW))
            .select_related("round", "unit")
            .order_by("-round__opens_at", "unit__code")
        )
    return render(
        request,
        "responses/index.html",
        {"rounds": rows, "mine": mine, "is_analyst": user.is_analyst, "is_staff_reader": is_staff_reader(user)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    form = OpenRoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_obj = services.open_round(
                data["version"],
                name=data["name"],
                year=data["year"],
                opens_at=OpenRoundForm.start_of(data["opens_at"]),
                deadline=data["deadline"],
                closes_at=OpenRoundForm.end_of(data["closes_at"]) if data.get("closes_at") else None,
                user=request.user,
            )
        except RoundError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Runden er åpnet med %(n)s enheter.") % {"n": round_obj.responses.count()},
            )
            return redirect("responses:round_detail", round_obj.pk)
    return render(request, "responses/round_new.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
@login_required
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    """A round's units and their status; analysts get the actions, reviewers a read-only list of their county."""
    user: Any = request.user
    round_obj = services.get_round_for_user(user, round_id, Access.VIEW)
    if not is_staff_reader(user):
        return redirect("responses:index")
    visible = services.responses_for_user(user, round_obj)
    filter_form = RemindForm(request.GET or None, counties=county_choices(round_obj.year))
    responses = visible
    if filter_form.is_valid():
        responses = filter_form.filter(visible)
    page = Paginator(responses.order_by("unit__code"), ROUND_PAGE_SIZE).get_page(request.GET.get("side"))
    query = request.GET.copy()
    query.pop("side", None)
    return render(
        request,
        "responses/round_detail.html",
        {
            "round": round_obj,
            "counts": services.round_status_counts(round_obj, visible),
            "responses": page.object_list,
            "page": page,
            "page_query": query.urlencode(),
            "filter_form": filter_form,
            "is_analyst": user.is_analyst,
            "statuses": ResponseStatus,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def round_invite(request: HttpRequest, round_id: int) -> HttpResponse:
    round_obj = services.get_round_for_user(request.user, round_id, Access.EDIT)
    form = InviteForm(request.POST or None, counties=county_choices(round_obj.year))
    if request.method == "POST" and form.is_valid():
        targets = form.filter(services.responses_for_user(request.user, round_obj))
        units = {r.unit.code: r.unit for r in targets}
        pairs: list[tuple[Any, str]] = []
        for code, email in form.cleaned_data["addresses"]:
            if code in units:
                pairs.append((units[code], email))
        if form.cleaned_data["known_contacts"]:
            for unit in units.values():
                pairs.extend((unit, email) for email in invitations.unit_addresses(round_obj, unit))
        seen: set[tuple[str, str]] = set()
        base_url = request.build_absolute_uri("/")
        for unit, email in pairs:
            key = (unit.code, email.lower())
            if key in seen:
                continue
            seen.add(key)
            invitations.invite(
                round_obj,
                unit,
                email,
                invited_by=request.user,
                base_url=base_url,
                language=form.cleaned_data["language"] or None,
            )
        skipped = [code for code, _email in form.cleaned_data["addresses"] if code not in units]
        messages.success(request, _("%(n)s invitasjoner er sendt.") % {"n": len(seen)})
        if skipped:
            messages.warning(
                request,
                _("Disse enhetene er ikke med i utvalget og fikk ingen invitasjon: %(codes)s")
                % {"codes": ", ".join(sorted(set(skipped)))},
            )
        return redirect("responses:round_detail", round_obj.pk)
    return render(
        request, "responses/round_invite.html", {"round": round_obj, "form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@login_required
def round_remind(request: HttpRequest, round_id: int) -> HttpResponse:
    """Preview who would be reminded (GET), then remind them (POST). Units that submitted get nothing."""
    round_obj = services.get_round_for_user(request.user, round_id, Access.EDIT)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = RemindForm(data, counties=county_choices(round_obj.year))
    preview = None
    if form.is_valid():
        targets = form.filter(services.responses_for_user(request.user, round_obj)).order_by("unit__code")
        if request.method == "POST":
            report = invitations.remind(round_obj, targets, user=request.user, base_url=request.build_absolute_uri("/"))
            messages.success(
                request,
                _("%(units)s enheter fikk påminnelse (%(emails)s e-poster). %(already)s var allerede påminnet i dag.")
                % {"units": len(report.sent), "emails": report.emails, "already": len(report.already_today)},
            )
            if report.no_address:
                messages.warning(
                    request,
                    _("%(n)s enheter har ingen kjent e-postadresse: %(codes)s")
                    % {"n": len(report.no_address), "codes": ", ".join(report.no_address[:30])},
                )
            return redirect("responses:round_detail", round_obj.pk)
        preview = invitations.remind(round_obj, targets, user=request.user, dry_run=True)
    return render(request, "responses/round_remind.html", {"round": round_obj, "form": form, "preview": preview})


@require_GET
def follow_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Log the holder of a valid link in as a respondent for the invited unit, and open the form."""
    if idporten.enabled():
        return _follow_invitation_idporten(request, token)
    try:
        invitation, user = invitations.redeem(token)
    except invitations.InvitationInvalid as exc:
        status = 410 if exc.reason == "expired" else 404
        return render(request, "responses/invitation_invalid.html", {"reason": exc.reason}, status=status)
    current: Any = request.user
    if current.is_authenticated and current.pk != user.pk and current.is_analyst:
        # An analyst testing a link keeps their own session rather than becoming the respondent.
        messages.info(request, _("Du er allerede logget inn som analytiker; lenken ble ikke brukt til innlogging."))
        return redirect("responses:form", invitation.round_id, invitation.unit.code)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return _to_form(invitation)


def _to_form(invitation: Invitation) -> HttpResponse:
    """The link opens the form in the invitation's language (the language switcher changes it afterwards)."""
    response = redirect("responses:form", invitation.round_id, invitation.unit.code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        invitation.language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )
    return response


def _follow_invitation_idporten(request: HttpRequest, token: str) -> HttpResponse:
    """With ID-porten on, the link no longer logs anyone in: it names the form. The holder is sent to ID-porten with
    the link as the place to come back to (kept in the session meanwhile), and on return the invitation binds the
    person who logged in there, not the account of the e-mail address."""
    try:
        invitation = invitations.find_invitation(token)
    except invitations.InvitationInvalid as exc:
        return _invalid_link(request, exc)
    current: Any = request.user
    if current.is_authenticated and current.is_analyst:
        messages.info(request, _("Du er allerede logget inn som analytiker; lenken ble ikke brukt til innlogging."))
        return redirect("responses:form", invitation.round_id, invitation.unit.code)
    if not idporten.logged_in_with_idporten(request):
        return redirect(idporten.login_url(request.get_full_path()))
    try:
        with transaction.atomic():
            # redeem() binds the invitation's user when one is set; setting it to the person who logged in makes the
            # link bind them.
            Invitation.objects.filter(pk=invitation.pk).update(user=current)
            invitation, _user = invitations.redeem(token)
    except invitations.InvitationInvalid as exc:
        return _invalid_link(request, exc)
    return _to_form(invitation)


def _invalid_link(request: HttpRequest, exc: invitations.InvitationInvalid) -> HttpResponse:
    status = 410 if exc.reason == "expired" else 404
    return render(request, "responses/invitation_invalid.html", {"reason": exc.reason}, status=status)
