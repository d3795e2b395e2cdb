from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "kartlegg.surveys"
    label = "surveys"
    verbose_name = "Spørreskjema"
