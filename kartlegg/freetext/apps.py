from django.apps import AppConfig


class FreetextConfig(AppConfig):
    name = "kartlegg.freetext"
    label = "freetext"
    verbose_name = "Fritekstkoding"

    def ready(self) -> None:
        from kartlegg.reports.sources import FREE_TEXT_PROVIDERS

        from .report_provider import coded_free_text

        if coded_free_text not in FREE_TEXT_PROVIDERS:
            FREE_TEXT_PROVIDERS.append(coded_free_text)
