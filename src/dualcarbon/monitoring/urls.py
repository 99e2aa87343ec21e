from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("completeness/", views.completeness, name="completeness"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("notifications/", views.notifications, name="notifications"),
    path("nowcast/", views.nowcast, name="nowcast"),
    path("report/<int:year>/<int:month>.pdf", views.report_pdf, name="report_pdf"),
    path("report/<int:year>/<int:month>.xlsx", views.report_xlsx, name="report_xlsx"),
]
