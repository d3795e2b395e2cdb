from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "kartlegg.jobs"
    label = "jobs"
    verbose_name = "Bakgrunnsoppgaver"
