from django.urls import path

from . import views

app_name = "registry"

# organisations, users and memberships are maintained in the Django admin for now
urlpatterns = [
    path("enterprise/<int:org_id>/access-log/", views.access_log, name="access_log"),
]
