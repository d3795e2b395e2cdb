from django.apps import AppConfig


class FreetextConfig(AppConfig):
    name = "kartlegg.freetext"
    label = "freetext"
    verbose_name = "Fritekstkoding"
