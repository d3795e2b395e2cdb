from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "kartlegg.lib"
    label = "lib"
