from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import RedirectView

from kartlegg.api import api
from kartlegg.ops.health import healthz
from kartlegg.portal import views as portal
from kartlegg.publishing.sitemaps import SITEMAPS

urlpatterns = [
    path("", portal.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("", include("kartlegg.portal.urls")),
    path("favicon.ico", RedirectView.as_view(url="/static/favicon.svg", permanent=True)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("konto/", include("kartlegg.accounts.urls")),
    path("geografi/", include("kartlegg.geography.urls")),
    path("skjema/", include("kartlegg.surveys.urls")),
    path("innsamling/", include("kartlegg.responses.urls")),
    path("kvalitet/", include("kartlegg.quality.urls")),
    path("fritekst/", include("kartlegg.freetext.urls")),
    path("statistikk/", include("kartlegg.analytics.urls")),
    path("oppgaver/", include("kartlegg.jobs.urls")),
    path("rapporter/", include("kartlegg.reports.urls")),
    path("publikasjoner/", include("kartlegg.publishing.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("puls/", include("kartlegg.pulse.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler403 = "kartlegg.portal.views.forbidden"
handler404 = "kartlegg.portal.views.not_found"
handler500 = "kartlegg.portal.views.server_error"
