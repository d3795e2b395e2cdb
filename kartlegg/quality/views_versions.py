"""Locking a round and its data versions: confirm and lock, list the versions with their change logs, and correct a
value after the lock (a new data version). Analysts only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import services
from .forms import CorrectionForm, LockForm
from .models import DataVersion, Flag
from .states import ACTIVE
from .views import _round


@require_http_methods(["GET", "POST"])
@login_required
def lock(request: HttpRequest, round_id: int) -> HttpResponse:
    round_obj = _round(request, round_id)
    form = LockForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        version = services.lock_round(round_obj, request.user, form.cleaned_data["note"])
        messages.success(request, _("Runden er låst. Dataversjon %(n)s er lagret.") % {"n": version.number})
        return redirect("quality:versions", round_obj.pk)
    return render(
        request,
        "quality/lock.html",
        {
            "round": round_obj,
            "form": form,
            "active": Flag.objects.filter(round=round_obj, state__in=list(ACTIVE)).count(),
            "version": services.current_data_version(round_obj),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def versions(request: HttpRequest, round_id: int) -> HttpResponse:
    round_obj = _round(request, round_id)
    form = CorrectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.correct_locked(
                round_obj, data["unit"].strip(), {data["variable"].strip(): data["value"]}, data["reason"], request.user
            )
        except services.VersionError as exc:
            form.add_error(None, str(exc))
            for code, message in exc.errors.items():
                form.add_error(None, f"{code}: {message}")
        except Http404:
            form.add_error("unit", _("Enheten er ikke med i runden."))
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Verdien er rettet. Dataversjon %(n)s er lagret.") % {"n": version.number})
            return redirect("quality:versions", round_obj.pk)
    all_versions = list(
        DataVersion.objects.filter(round=round_obj).select_related("created_by").prefetch_related("changes__user")
    )
    return render(
        request,
        "quality/versions.html",
        {
            "round": round_obj,
            "versions": [(v, services.verify_version(v)) for v in all_versions],
            "form": form,
            "current": all_versions[0] if all_versions else None,
        },
        status=400 if form.errors else 200,
    )
