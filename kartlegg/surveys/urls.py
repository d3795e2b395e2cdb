from django.urls import path

from kartlegg.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.version_list, name="list"),
    path("sammenlign/", views.version_compare, name="compare"),
    path("importer/", views.version_import, name="import"),
    path("<int:version_id>/", views.version_detail, name="detail"),
    path("<int:version_id>/blankett.pdf", views.version_pdf, name="pdf"),
]
