"""Free-text coding pages, mounted at /fritekst/."""

from django.urls import path

from . import views, views_agreement, views_coding, views_summary

app_name = "freetext"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:book_id>/", views.codebook, name="codebook"),
    path("<int:book_id>/tema/", views.add_theme, name="add_theme"),
    path("<int:book_id>/kode/ny/", views.edit_code, name="add_code"),
    path("<int:book_id>/kode/<int:code_id>/", views.edit_code, name="edit_code"),
    path("<int:book_id>/slaa-sammen/", views.merge, name="merge"),
    path("<int:book_id>/del/", views.split, name="split"),
    path("<int:book_id>/import/", views.import_into, name="import_into"),
    path("<int:book_id>/kodebok.yaml", views.export, name="export"),
    path("<int:book_id>/historikk/", views.history, name="history"),
    path("<int:book_id>/runde/<int:round_id>/", views_coding.coder, name="coder"),
    path("<int:book_id>/runde/<int:round_id>/svar/<int:answer_id>/", views_coding.save, name="save"),
    path("<int:book_id>/runde/<int:round_id>/angre/", views_coding.undo, name="undo"),
    path("<int:book_id>/runde/<int:round_id>/samsvar/", views_agreement.agreement, name="agreement"),
    path("<int:book_id>/runde/<int:round_id>/andrekoder/", views_agreement.assign, name="assign"),
    path("<int:book_id>/runde/<int:round_id>/avgjor/<int:answer_id>/", views_agreement.resolve, name="resolve"),
    path("<int:book_id>/runde/<int:round_id>/sammendrag/", views_summary.summary, name="summary"),
    path("<int:book_id>/runde/<int:round_id>/sitater/", views_summary.quotes, name="quotes"),
    path("<int:book_id>/runde/<int:round_id>/sammendrag.<str:fmt>", views_summary.download, name="download"),
]
