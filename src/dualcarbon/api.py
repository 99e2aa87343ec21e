"""One NinjaAPI assembled from each app's router (OpenAPI docs at /api/docs)."""

from __future__ import annotations

import importlib

from ninja import NinjaAPI

api = NinjaAPI(
    title="DualCarbon API",
    version="1",
    description="双碳平台系统接口：企业系统报送活动数据、读取碳账户。Token authentication: "
    "`Authorization: Bearer <token>`.",
    urls_namespace="api",
)

for module, prefix in (
    ("dualcarbon.reporting.api", "/reporting"),
    ("dualcarbon.accounting.api", "/accounts"),
    ("dualcarbon.rating.api", "/rating"),
):
    try:
        router = importlib.import_module(module).router
    except ModuleNotFoundError:
        continue
    api.add_router(prefix, router)
