from django.urls import path

from . import cert_views as cv
from . import kpi_views as kv
from . import lending_views as lv
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
    # products, applications, loans, needs and statistics (docs/finance.md)
    path("bank/products/", lv.bank_products, name="bank_products"),
    path("bank/products/<int:product_id>/", lv.bank_product, name="bank_product"),
    path("bank/applications/", lv.bank_applications, name="bank_applications"),
    path("bank/applications/<int:application_id>/", lv.bank_application, name="bank_application"),
    path("bank/loans/<int:loan_id>/", lv.bank_loan, name="bank_loan"),
    path("bank/needs/", lv.bank_needs, name="bank_needs"),
    path("enterprise/<int:org_id>/products/", lv.offers, name="offers"),
    path("enterprise/<int:org_id>/loans/", lv.loans, name="loans"),
    path(
        "enterprise/<int:org_id>/applications/<int:application_id>/withdraw/",
        lv.application_withdraw,
        name="application_withdraw",
    ),
    path("enterprise/<int:org_id>/needs/", lv.needs, name="needs"),
    path("needs/", lv.region_needs, name="region_needs"),
    path("statistics/", lv.statistics, name="statistics"),
    # transition certification and libraries (docs/finance.md § Transition certification)
    path("enterprise/<int:org_id>/certifications/", cv.enterprise, name="cert_enterprise"),
    path("enterprise/<int:org_id>/certifications/<int:cert_id>/", cv.application, name="cert_application"),
    path("certifications/reviews/", cv.reviews, name="cert_reviews"),
    path("certifications/reviews/<int:cert_id>/", cv.review, name="cert_review"),
    path("certifications/rulers/", cv.rulers, name="cert_rulers"),
    path("certifications/", cv.region, name="cert_region"),
    path("certifications/<int:cert_id>/", cv.decide, name="cert_decide"),
    path("bank/certifications/", cv.bank, name="cert_bank"),
    path(
        "enterprise/<int:org_id>/certifications/<int:cert_id>/disclosure/", cv.disclosure, name="cert_disclosure"
    ),
    # KPI-linked loans, the bank's alerts, CERF and PCAF (docs/finance.md § KPI-linked loans, § CERF, § PCAF)
    path("bank/loans/<int:loan_id>/kpis/", kv.bank_loan_kpis, name="bank_loan_kpis"),
    path("bank/loans/<int:loan_id>/scores/", kv.kpi_score, name="kpi_score"),
    path("bank/loans/<int:loan_id>/project/", kv.loan_project, name="loan_project"),
    path("bank/alerts/", kv.bank_alerts, name="bank_alerts"),
    path("bank/cerf/", kv.cerf, name="cerf"),
    path("bank/pcaf/", kv.pcaf, name="pcaf"),
    path("enterprise/<int:org_id>/loans/<int:loan_id>/kpis/", kv.enterprise_loan_kpis, name="loan_kpis"),
]
