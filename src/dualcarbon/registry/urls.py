from django.urls import path

from . import views

app_name = "registry"

# the register government staff keep (docs/registry.md); the Django admin remains for platform configuration
urlpatterns = [
    path("enterprises/", views.enterprises, name="enterprises"),
    path("enterprises/new/", views.enterprise_new, name="enterprise_new"),
    path("enterprise/<int:org_id>/", views.enterprise, name="enterprise"),
    path("enterprise/<int:org_id>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("enterprise/<int:org_id>/active/", views.enterprise_active, name="enterprise_active"),
    path("enterprise/<int:org_id>/sites/new/", views.site_new, name="site_new"),
    path("site/<int:site_id>/edit/", views.site_edit, name="site_edit"),
    path("site/<int:site_id>/delete/", views.site_delete, name="site_delete"),
    path("enterprise/<int:org_id>/users/new/", views.invite, name="invite"),
    path("membership/<int:membership_id>/active/", views.membership_active, name="membership_active"),
    path("membership/<int:membership_id>/link/", views.membership_link, name="membership_link"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    # public: the one-time link an invited user sets a password with (a signed, single-use token)
    path("welcome/<uidb64>/<token>/", views.set_password, name="set_password"),
    path("enterprise/<int:org_id>/access-log/", views.access_log, name="access_log"),
]
