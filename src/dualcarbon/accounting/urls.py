from django.urls import path

from . import views

app_name = "accounting"

urlpatterns = [
    path("enterprise/<int:org_id>/", views.enterprise_account, name="enterprise"),
    path("enterprise/<int:org_id>/export.xlsx", views.enterprise_export, name="export"),
    path("enterprise/<int:org_id>/report.pdf", views.enterprise_report, name="report"),
    path("entry/<int:entry_id>/", views.entry_lineage, name="entry"),
    path("region/", views.region, name="region"),
]
