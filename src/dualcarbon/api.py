"""One NinjaAPI assembled from each app's router (OpenAPI docs at /api/docs).

Routers are listed explicitly: an app whose router fails to import fails the start, it never disappears from
the API silently. A new app adds its line here (docs/architecture.md § Adding an app).
"""

from __future__ import annotations

from ninja import NinjaAPI

from dualcarbon.rating.api import router as rating_router
from dualcarbon.reporting.api import router as reporting_router

api = NinjaAPI(
    title="DualCarbon API",
    version="1",
    description="双碳平台系统接口：企业系统报送活动数据、读取碳账户。Token authentication: "
    "`Authorization: Bearer <token>`.",
    urls_namespace="api",
)

api.add_router("/reporting", reporting_router)
api.add_router("/rating", rating_router)
