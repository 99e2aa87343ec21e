from django.urls import path

from . import views

app_name = "planning"

urlpatterns = [
    path("enterprise/<int:org_id>/plans/", views.plans, name="plans"),
    path("plans/<int:plan_id>/", views.plan, name="plan"),
    path("plans/<int:plan_id>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:plan_id>/items/", views.item_add, name="item_add"),
    path("plans/<int:plan_id>/items/<int:item_id>/remove/", views.item_remove, name="item_remove"),
    path("plans/<int:plan_id>/pdf/", views.plan_pdf, name="plan_pdf"),
    path("measures/", views.measures, name="measures"),
    path("region/", views.pathways_page, name="pathways"),
    path("scenarios/<int:scenario_id>/", views.scenario, name="scenario"),
    path("scenarios/<int:scenario_id>/edit/", views.scenario_edit, name="scenario_edit"),
    path("scenarios/<int:scenario_id>/assumptions/", views.scenario_assumption, name="scenario_assumption"),
    path("scenarios/<int:scenario_id>/pdf/", views.scenario_pdf, name="scenario_pdf"),
]
