from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("enterprise/<int:org_id>/access-log/", views.access_log, name="access_log"),
]
