from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kartlegg.demo"
    label = "demo"
    verbose_name = "Demodata"
