from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The site's own pages on top of every app: the start page per role, contact, and the error pages."""

    name = "kartlegg.portal"
    label = "portal"
