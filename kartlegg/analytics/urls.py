from django.urls import path

from . import views, views_jobs, views_provenance

app_name = "analytics"

urlpatterns = [
    path("", views.explorer, name="explorer"),
    path("variabler/", views.variable_search, name="variable_search"),
    path("tall/", views_provenance.figure, name="figure"),
    path("enhet/<path:code>/", views.profile, name="profile"),
    path("publisering/", views.publications, name="publications"),
    path("publisering/beregn/", views_jobs.compute, name="compute"),
]
