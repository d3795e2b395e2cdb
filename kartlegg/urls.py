from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from kartlegg.api import api
from kartlegg.lib.health import healthz

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("konto/", include("kartlegg.accounts.urls")),
    path("geografi/", include("kartlegg.geography.urls")),
    path("skjema/", include("kartlegg.surveys.urls")),
    path("innsamling/", include("kartlegg.responses.urls")),
    path("kvalitet/", include("kartlegg.quality.urls")),
    path("statistikk/", include("kartlegg.analytics.urls")),
    path("oppgaver/", include("kartlegg.jobs.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
