from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "kartlegg.quality"
    label = "quality"
    verbose_name = "Kvalitetskontroll"

    def ready(self) -> None:
        # Runs the checks when a response is submitted, without the responses app importing upwards.
        from . import signals  # noqa: F401
