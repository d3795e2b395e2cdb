from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    name = "kartlegg.responses"
    label = "responses"
    verbose_name = "Innsamling"
