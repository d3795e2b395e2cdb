"""Background jobs, mounted at /oppgaver/."""

from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:job_id>/framdrift/", views.progress, name="progress"),
    path("<int:job_id>/kjor-igjen/", views.rerun, name="rerun"),
]
