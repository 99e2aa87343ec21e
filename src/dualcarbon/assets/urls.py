from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("enterprise/<int:org_id>/", views.enterprise, name="enterprise"),
    path("enterprise/<int:org_id>/confirm/", views.confirm, name="confirm"),
    path("enterprise/<int:org_id>/bill/", views.bill, name="bill"),
    path("enterprise/<int:org_id>/payment/", views.payment, name="payment"),
    path("enterprise/<int:org_id>/pledge/", views.pledge, name="pledge"),
    path("enterprise/<int:org_id>/list/", views.list_new, name="list"),
    path("enterprise/<int:org_id>/allocate/", views.allocate, name="allocate"),
    path("enterprise/<int:org_id>/obligation/", views.obligation, name="obligation"),
    path("enterprise/<int:org_id>/surrender/", views.surrender, name="surrender"),
    path("market/", views.market, name="market"),
    path("listing/<int:listing_id>/", views.listing, name="listing"),
    path("listing/<int:listing_id>/bid/", views.listing_action, {"action": "bid"}, name="bid"),
    path("listing/<int:listing_id>/cancel/", views.listing_action, {"action": "cancel"}, name="cancel"),
    path("listing/<int:listing_id>/settle/", views.listing_action, {"action": "settle"}, name="settle"),
    path("listing/<int:listing_id>/decide/", views.listing_action, {"action": "decide"}, name="decide"),
    path("listing/<int:listing_id>/accept/", views.listing_action, {"action": "accept"}, name="accept"),
    path("enterprise/<int:org_id>/lease/", views.lease, name="lease"),
    path("enterprise/<int:org_id>/lease/act/", views.lease_act, name="lease_act"),
    path("enterprise/<int:org_id>/buy-back/", views.buy_back_decide, name="buy_back_decide"),
    path("reserve/", views.reserve_page, name="reserve"),
    path("reserve/buy-back/", views.buy_back, name="buy_back"),
    path("reserve/buy-back/pay/", views.buy_back_pay, name="buy_back_pay"),
    path("reserve/allocate/", views.reserve_allocate, name="reserve_allocate"),
    path("reserve/list/", views.reserve_list, name="reserve_list"),
    path("revenue/", views.revenue_page, name="revenue"),
    path("revenue.xlsx", views.revenue_xlsx, name="revenue_xlsx"),
    path("revenue/use/", views.revenue_use, name="revenue_use"),
    path("region/", views.region, name="region"),
    path("region/standard/", views.standard, name="standard"),
    path("bank/", views.bank, name="bank"),
    path("bank/pledge/<int:pledge_id>/release/", views.release, name="release"),
]
