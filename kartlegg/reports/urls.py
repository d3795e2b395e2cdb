from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("bygg/", views.build, name="build"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/framdrift/", views.progress, name="progress"),
    path("<int:pk>/vedlegg/", views.appendix, name="appendix"),
    path("<int:pk>/profiler/", views.profiles, name="profiles"),
    path("<int:pk>/rapport.pdf", views.pdf, name="pdf"),
    path("<int:pk>/rapport.xlsx", views.xlsx, name="xlsx"),
    path("<int:pk>/avsnitt/", views.edit, name="edit"),
    path("<int:pk>/status/", views.status, name="status"),
]
