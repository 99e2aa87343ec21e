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
    path("sandbox/", views.sandbox_list, name="sandbox"),
    path("sandbox/<int:sandbox_id>/", views.sandbox_draft, name="sandbox_draft"),
    path("sandbox/<int:sandbox_id>/run/", views.sandbox_run, name="sandbox_run"),
    path("sandbox/<int:sandbox_id>/adopt/", views.sandbox_adopt, name="sandbox_adopt"),
    path("sandbox/<int:sandbox_id>/withdraw/", views.sandbox_withdraw, name="sandbox_withdraw"),
    path("sandbox/run/<int:sandbox_run_id>/", views.sandbox_result, name="sandbox_result"),
]
