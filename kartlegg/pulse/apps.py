from django.apps import AppConfig


class PulseConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kartlegg.pulse"
    verbose_name = "Pulsundersøkelser"
