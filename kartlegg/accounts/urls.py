from django.urls import path

from . import idporten

app_name = "accounts"

urlpatterns = [
    path("logg-inn/", idporten.LoginView.as_view(), name="login"),
    path("logg-ut/", idporten.LogoutView.as_view(), name="logout"),
    # ID-porten (optional): these answer 404 unless KARTLEGG_IDPORTEN_ENABLED. The callback's absolute address is the
    # redirect URI to register with ID-porten.
    path("idporten/logg-inn/", idporten.AuthenticateView.as_view(), name="idporten_login"),
    path("idporten/callback/", idporten.CallbackView.as_view(), name="idporten_callback"),
]
