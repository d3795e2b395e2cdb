from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kartlegg.accounts"
    label = "accounts"
    verbose_name = "Brukere og tilgang"

    def ready(self) -> None:
        from . import signals

        signals.connect()
