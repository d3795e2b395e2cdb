from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "kartlegg.analytics"
    label = "analytics"
    verbose_name = "Statistikk"

    def ready(self) -> None:
        # Queues a recompute when answers or data versions change, without the apps below importing upwards.
        from .services import hooks

        hooks.connect()
