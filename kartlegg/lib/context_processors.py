from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {"demo_mode": settings.KARTLEGG_DEMO_MODE, "contact_email": settings.KARTLEGG_CONTACT_EMAIL}
