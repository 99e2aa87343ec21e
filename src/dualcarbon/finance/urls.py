from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("enterprise/<int:org_id>/consents/", views.consents, name="consents"),
    path("enterprise/<int:org_id>/consents/<int:consent_id>/change/", views.consent_change, name="consent_change"),
    path("enterprise/<int:org_id>/consents/<int:consent_id>/revoke/", views.consent_revoke, name="consent_revoke"),
    path("enterprise/<int:org_id>/requests/<int:request_id>/accept/", views.request_accept, name="request_accept"),
    path("enterprise/<int:org_id>/requests/<int:request_id>/decline/", views.request_decline, name="request_decline"),
    path("bank/", views.bank, name="bank"),
    path("bank/requests/new/", views.request_new, name="request_new"),
    path("bank/enterprises/<int:org_id>/credit-report/", views.credit_report_new, name="credit_report_new"),
    path("bank/credit-reports/<str:number>/", views.credit_report, name="credit_report"),
    path("bank/credit-reports/<str:number>/pdf/", views.credit_report_pdf, name="credit_report_pdf"),
    # public (no login): the page a credit report's QR code links to
    path("reports/verify/<str:number>/", views.report_verify, name="report_verify"),
    path("bank/requests/<int:request_id>/withdraw/", views.request_withdraw, name="request_withdraw"),
]
