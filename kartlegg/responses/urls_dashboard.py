"""URLs of the round dashboard, the response downloads and the helper workbook.

Included by responses/urls.py inside the "responses" namespace, at /innsamling/, before the form's own patterns
(the form's <round>/<unit>/<section>/ would otherwise take "hjelpeskjema" for a section code).
"""

from django.urls import path

from . import views_dashboard, views_workbook

urlpatterns = [
    path("runder/<int:round_id>/oversikt/", views_dashboard.round_dashboard, name="dashboard"),
    path("runder/<int:round_id>/oversikt/status.csv", views_dashboard.status_csv, name="dashboard_csv"),
    path("runder/<int:round_id>/oversikt/paminnelse/", views_dashboard.remind, name="dashboard_remind"),
    path("runder/<int:round_id>/svar.<str:fmt>", views_dashboard.round_export, name="round_export"),
    path("<int:round_id>/<str:unit_code>/hjelpeskjema/", views_workbook.workbook_page, name="workbook"),
    path(
        "<int:round_id>/<str:unit_code>/hjelpeskjema/hjelpeskjema.xlsx",
        views_workbook.workbook_download,
        name="workbook_download",
    ),
    path(
        "<int:round_id>/<str:unit_code>/hjelpeskjema/lagre/", views_workbook.workbook_confirm, name="workbook_confirm"
    ),
]
