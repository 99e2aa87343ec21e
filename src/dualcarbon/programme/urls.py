from django.urls import path

from . import views

app_name = "programme"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:programme_id>/", views.board, name="board"),
    path("<int:programme_id>/lists/<str:kind>/", views.entries, name="list"),
    path("<int:programme_id>/tasks/", views.tasks, name="tasks"),
    path("<int:programme_id>/statistics/", views.statistics, name="statistics"),
    path("<int:programme_id>/report.pdf", views.report_pdf, name="report_pdf"),
    path("<int:programme_id>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("entry/<str:kind>/<int:record_id>/", views.entry, name="entry"),
    path("task/<int:task_id>/", views.task, name="task"),
    path("<int:programme_id>/index/", views.index_runs, name="index_runs"),
    path("index/<int:index_run_id>/", views.index_run, name="index_run"),
    path("inventories/", views.inventory_groups, name="inventory_groups"),
    path("group/<int:org_id>/inventory/", views.group_inventory, name="group_inventory"),
    path("inventory/<int:inventory_id>/", views.inventory_page, name="inventory"),
    path("inventory/<int:inventory_id>/inventory.xlsx", views.inventory_xlsx, name="inventory_xlsx"),
    path("inventory/<int:inventory_id>/inventory.pdf", views.inventory_pdf, name="inventory_pdf"),
    path("inventory/<int:inventory_id>/snapshots/", views.inventory_snapshots, name="inventory_snapshots"),
    path("inventory/<int:inventory_id>/esg/", views.inventory_esg, name="inventory_esg"),
    path("inventory/<int:inventory_id>/esg.xlsx", views.inventory_esg_xlsx, name="inventory_esg_xlsx"),
    path("inventory/<int:inventory_id>/esg.json", views.inventory_esg_json, name="inventory_esg_json"),
    path("<int:programme_id>/groups/", views.groups, name="groups"),
    path("<int:programme_id>/measures/", views.measures, name="measures"),
    path("<int:programme_id>/tasks/new/", views.task_form, name="task_form"),
    path("task/<int:task_id>/evidence/", views.evidence, name="evidence"),
]
