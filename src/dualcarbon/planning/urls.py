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
]
