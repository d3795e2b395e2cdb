"""Pulse pages, mounted at /puls/."""

from django.urls import path

from . import views, views_trends

app_name = "pulse"

urlpatterns = [
    path("", views.index, name="index"),
    path("ny/", views.new, name="new"),
    path("<int:pk>/", views.series_page, name="series"),
    path("<int:pk>/trender/", views_trends.trends_page, name="trends"),
    path("<int:pk>/trender/last-ned/", views_trends.download, name="download"),
    path("<int:pk>/<str:action>/", views.action, name="action"),
    path("rapport/<int:pk>/", views.report, name="report"),
    path("rapport/<int:pk>/pdf/", views.report_pdf, name="report_pdf"),
    path("rapport/<int:pk>/publiser/", views.report_publish, name="report_publish"),
    path("rapport/<int:pk>/bygg/", views.report_rebuild, name="report_rebuild"),
]
