from django.urls import path

from . import views

app_name = "policy"

urlpatterns = [
    path("", views.packages, name="packages"),
    path("package/<int:package_id>/", views.package, name="package"),
    path("package/<int:package_id>/policy/new/", views.policy_new, name="policy_new"),
    path("policy/<int:policy_id>/edit/", views.policy_edit, name="policy_edit"),
    path("matches/", views.matches, name="matches"),
    path("enterprise/<int:org_id>/", views.enterprise, name="enterprise"),
]
