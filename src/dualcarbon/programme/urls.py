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
]
