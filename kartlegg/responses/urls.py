"""Collection, mounted at /innsamling/. The form's fixed sub-pages come before the section pattern so that a section
can never shadow them."""

from django.urls import include, path, register_converter

from . import views_form, views_form_actions, views_history, views_import, views_rounds


class UnitCodeConverter:
    """A municipality (4 digits) or bydel (6 digits) number; anything else is not a URL of ours."""

    regex = r"[0-9]{4}(?:[0-9]{2})?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UnitCodeConverter, "unit")

app_name = "responses"

form = "<int:round_id>/<unit:unit_code>/"

urlpatterns = [
    path("", views_rounds.index, name="index"),
    path("runder/ny/", views_rounds.round_new, name="round_new"),
    path("runder/<int:round_id>/", views_rounds.round_detail, name="round_detail"),
    path("runder/<int:round_id>/inviter/", views_rounds.round_invite, name="round_invite"),
    path("runder/<int:round_id>/paminn/", views_rounds.round_remind, name="round_remind"),
    path("runder/<int:round_id>/importer/", views_import.round_import, name="round_import"),
    path("runder/<int:round_id>/importer/<int:pk>/", views_import.round_import_result, name="round_import_result"),
    path("invitasjon/<str:token>/", views_rounds.follow_invitation, name="invitation"),
    path(form, views_form.overview, name="form"),
    path(form + "lagre/", views_form.save, name="save"),
    path(form + "sjekk/", views_form.check, name="check"),
    path(form + "tilstand/", views_form.state_view, name="state"),
    path(form + "fjorarets-svar/", views_form_actions.prefill, name="prefill"),
    path(form + "angre/", views_form_actions.undo, name="undo"),
    path(form + "inviter-kollega/", views_form_actions.colleague, name="colleague"),
    path(form + "send-inn/", views_form_actions.submit, name="submit"),
    path(form + "kvittering/", views_form_actions.receipt_page, name="receipt"),
    path(form + "kvittering.pdf", views_form_actions.receipt_pdf, name="receipt_pdf"),
    path(form + "gjenapne/", views_form_actions.reopen, name="reopen"),
    path(form + "historikk/", views_history.field_history, name="history"),
    path("runder/<int:round_id>/endringslogg.csv", views_history.round_audit, name="round_audit"),
    # The dashboard's pages come before the section pattern, which would otherwise take their sub-paths for sections.
    path("", include("kartlegg.responses.urls_dashboard")),
    path(form + "<str:section>/", views_form.section_page, name="section"),
]
