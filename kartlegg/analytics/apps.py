from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "kartlegg.analytics"
    label = "analytics"
    verbose_name = "Statistikk"
