from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running kartlegg in production: health check, the worker's heartbeat, backup and restore."""

    name = "kartlegg.ops"
    label = "ops"
    verbose_name = "Drift"
