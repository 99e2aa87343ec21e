from django.urls import path

from . import views

app_name = "rating"

urlpatterns = [
    path("enterprise/<int:org_id>/", views.enterprise, name="enterprise"),
    path("enterprise/<int:org_id>/appeal/", views.appeal, name="appeal"),
    path("enterprise/<int:org_id>/appeal/finish/", views.appeal_finish, name="appeal_finish"),
    path("enterprise/<int:org_id>/label/", views.label, name="label"),
    path("enterprise/<int:org_id>/label.svg", views.label_svg, name="label_svg"),
    path("enterprise/<int:org_id>/label.png", views.label_png, name="label_png"),
    path("region/", views.region, name="region"),
    path("bank/", views.bank, name="bank"),
]
