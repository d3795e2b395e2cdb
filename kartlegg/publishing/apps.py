from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kartlegg.publishing"
    verbose_name = _("Publisering")

    def ready(self) -> None:
        # A report that belongs to a publication under embargo stays hidden from the public on /rapporter/ too.
        from kartlegg.publishing.services.access import hide_embargoed_reports
        from kartlegg.reports import services as reports

        if hide_embargoed_reports not in reports.PUBLIC_FILTERS:
            reports.PUBLIC_FILTERS.append(hide_embargoed_reports)
