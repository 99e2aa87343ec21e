from django.urls import path

from . import import_views, meter_views, views

app_name = "reporting"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>/<int:month>/", views.period, name="period"),
    path("<int:year>/<int:month>/edit/", views.edit, name="edit"),
    path("<int:year>/<int:month>/template.xlsx", views.template, name="template"),
    path("<int:year>/<int:month>/upload/", views.upload, name="upload"),
    path("import/<int:job_id>/", import_views.import_job, name="import_job"),
    path("<int:year>/<int:month>/submit/", views.submit, name="submit"),
    path("<int:year>/<int:month>/correct/", views.correct, name="correct"),
    path("submission/<int:pk>/", views.version, name="version"),
    path("submission/<int:pk>/evidence/", views.evidence, name="evidence"),
    path("submission/<int:pk>/verify/", views.verify, name="verify"),
    path("submission/<int:pk>/return/", views.return_submission, name="return"),
    path("submission/<int:pk>/reject/", views.reject, name="reject"),
    path("submission/<int:pk>/lock/", views.lock, name="lock"),
    path("lock/", views.bulk_lock, name="bulk_lock"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
    path("meters/", meter_views.meters, name="meters"),
    path("meters/<str:region>/<int:year>/<int:month>/", meter_views.meter_month, name="meter_month"),
]
