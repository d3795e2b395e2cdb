"""QA pages, mounted at /kvalitet/."""

from django.urls import path

from . import views, views_query, views_versions

app_name = "quality"

urlpatterns = [
    path("", views.index, name="index"),
    path("runder/<int:round_id>/", views.queue, name="queue"),
    path("runder/<int:round_id>/handling/", views.bulk, name="bulk"),
    path("runder/<int:round_id>/kjor/", views.run, name="run"),
    path("runder/<int:round_id>/flagg.csv", views.export_csv, name="export_csv"),
    path("runder/<int:round_id>/flagg.xlsx", views.export_xlsx, name="export_xlsx"),
    path("runder/<int:round_id>/las/", views_versions.lock, name="lock"),
    path("runder/<int:round_id>/versjoner/", views_versions.versions, name="versions"),
    path("flagg/<int:flag_id>/", views.flag_detail, name="flag"),
    path("sporsmal/<int:query_id>/", views_query.query_page, name="query"),
]
