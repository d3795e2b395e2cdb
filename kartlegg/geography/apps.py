from django.apps import AppConfig


class GeographyConfig(AppConfig):
    name = "kartlegg.geography"
    label = "geography"
    verbose_name = "Geografi"
