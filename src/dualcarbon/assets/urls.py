from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("enterprise/<int:org_id>/", views.enterprise, name="enterprise"),
    path("enterprise/<int:org_id>/confirm/", views.confirm, name="confirm"),
    path("enterprise/<int:org_id>/bill/", views.bill, name="bill"),
    path("enterprise/<int:org_id>/payment/", views.payment, name="payment"),
    path("enterprise/<int:org_id>/pledge/", views.pledge, name="pledge"),
    path("region/", views.region, name="region"),
    path("region/standard/", views.standard, name="standard"),
    path("bank/", views.bank, name="bank"),
    path("bank/pledge/<int:pledge_id>/release/", views.release, name="release"),
]
