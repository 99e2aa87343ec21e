from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

from dualcarbon.api import api
from dualcarbon.monitoring import views as monitoring_views
from dualcarbon.rating import views as rating_views

# the admin names the platform, not Django (English in web/locale)
admin.site.site_header = _("双碳平台管理")
admin.site.site_title = _("双碳平台管理")
admin.site.index_title = _("平台配置与数据")

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("report/", include("dualcarbon.reporting.urls")),
    path("accounts/", include("dualcarbon.accounting.urls")),
    path("registry/", include("dualcarbon.registry.urls")),
    path("rating/", include("dualcarbon.rating.urls")),
    path("monitoring/", include("dualcarbon.monitoring.urls")),
    path("finance/", include("dualcarbon.finance.urls")),
    path("planning/", include("dualcarbon.planning.urls")),
    path("policy/", include("dualcarbon.policy.urls")),
    path("assets/", include("dualcarbon.assets.urls")),
    path("programme/", include("dualcarbon.programme.urls")),
    # public (no login): aggregate statistics with small groups suppressed
    path("stats/", monitoring_views.public_stats, name="public-stats"),
    # public (no login): the accounting methods every figure is computed by (docs/methods.md)
    path("methods/", monitoring_views.public_methods, name="public-methods"),
    # public (no login): the page a rating QR label links to
    path("verify/<str:token>/", rating_views.verify, name="rating-verify"),
    path("", include("dualcarbon.web.urls")),
]
# Uploaded files (evidence, workbooks) are never served as plain media URLs: they are private and
# reachable only through scoped views such as reporting:evidence_file.

# Error pages: styled, in the visitor's language, never Django's debug pages (DEBUG is off in production);
# JSON ({"detail", "errors", "request_id"}) under /api/. The 500 page shows the request id its log record carries.
handler403 = "dualcarbon.web.views.permission_denied"
handler404 = "dualcarbon.web.views.page_not_found"
handler500 = "dualcarbon.web.views.server_error"
