from django.urls import path

app_name = "responses"
urlpatterns: list = []
