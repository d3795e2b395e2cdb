from django.urls import path

from . import feeds, views, views_edit

app_name = "publishing"

urlpatterns = [
    path("", views.index, name="index"),
    path("rss/", feeds.PublicationsRss(), name="feed_rss"),
    path("atom/", feeds.PublicationsAtom(), name="feed_atom"),
    path("varsler/", views.subscribe, name="subscribe"),
    path("varsler/bekreft/<str:token>/", views.confirm, name="confirm"),
    path("varsler/avmeld/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("redaksjon/", views_edit.manage, name="manage"),
    path("redaksjon/ny/", views_edit.create, name="create"),
    path("redaksjon/forhandsvis/", views_edit.preview, name="preview"),
    path("tema/ny/", views_edit.topic_edit, name="topic_new"),
    path("tema/<slug:slug>/", views.topic, name="topic"),
    path("tema/<slug:slug>/rediger/", views_edit.topic_edit, name="topic_edit"),
    path("tema/<slug:slug>/rss/", feeds.PublicationsRss(), name="topic_rss"),
    path("tema/<slug:slug>/atom/", feeds.PublicationsAtom(), name="topic_atom"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/v<int:version>/", views.version, name="version"),
    path("<slug:slug>/v<int:version>/rapport.pdf", views.pdf, name="pdf"),
    path("<slug:slug>/v<int:version>/rapport.xlsx", views.xlsx, name="xlsx"),
    path("<slug:slug>/v<int:version>/rediger/", views_edit.edit, name="edit"),
    path("<slug:slug>/v<int:version>/status/", views_edit.status, name="status"),
    path("<slug:slug>/v<int:version>/ny-utgave/", views_edit.reissue_view, name="reissue"),
]
