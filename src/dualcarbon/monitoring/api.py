"""Monitoring API (mounted at /api/monitoring; thin over :mod:`.nowcast`): the electricity-carbon nowcast of a month
by district and industry, with its derivation (the loads and the grid factors used).

Government staff (their jurisdiction) and the admin through their signed-in session; anyone else gets 404, like a
missing page (an enterprise's token included).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from dualcarbon.registry.api_tokens import request_user, token_or_session
from dualcarbon.reporting.schemas import ERRORS

from . import nowcast as nowcasts
from . import scoping

router = Router(tags=["monitoring"], auth=token_or_session())


class NowcastGroupOut(Schema):
    key: str = Field(..., description="county code, industry division, or the region's code for the total")
    name: str
    units: int = Field(..., description="reporting units: active enterprises registered in the group")
    metered: int = Field(..., description="enterprises with a metered total of the month")
    reported: int = Field(..., description="of the metered, those with a reported version of the month")
    kwh: Decimal
    tco2e: Decimal
    coverage: Decimal | None = Field(..., description="metered / units")
    reported_kwh: Decimal = Field(..., description="purchased electricity reported by the metered that reported")
    metered_reported_kwh: Decimal = Field(..., description="the metered import kWh of the same enterprises")
    difference: Decimal | None = Field(..., description="(reported − metered) / metered")


class NowcastLoadOut(Schema):
    id: int
    region: str
    file_name: str
    file_sha256: str
    loaded_by: str
    loaded_at: datetime.datetime
    enterprises: int


class NowcastFactorOut(Schema):
    grid_factor: Decimal
    grid_unit: str
    grid_ref: str
    grid_set: str
    grid_version: str
    grid_choice: str
    enterprises: int


class NowcastOut(Schema):
    region: str
    period: str = Field(..., description="YYYY-MM ('' when no meter data was loaded)")
    periods: list[str] = Field(..., description="months with metered totals, latest first")
    total: NowcastGroupOut
    districts: list[NowcastGroupOut]
    industries: list[NowcastGroupOut]
    loads: list[NowcastLoadOut]
    factors: list[NowcastFactorOut]


@router.get(
    "/nowcast",
    operation_id="monitoring_nowcast",
    url_name="monitoring_nowcast",
    response={200: NowcastOut, **ERRORS},
    summary="电碳快报：由计量电量推算的月度用电与排放 / the electricity-carbon nowcast of a month",
)
def nowcast(
    request: HttpRequest,
    region: str = Query("", max_length=12, description="a region code of the caller's jurisdiction"),
    period: str = Query("", max_length=7, description="YYYY-MM (default: the latest loaded)"),
) -> Any:
    user = request_user(request)
    if not scoping.can_see_monitoring(user):
        raise Http404
    view = nowcasts.nowcast(user, region, period)
    if view is None or view.region is None:
        raise Http404
    return {
        "region": view.region.code,
        "period": view.period,
        "periods": view.periods,
        "total": view.total.as_dict(),
        "districts": [g.as_dict() for g in view.districts],
        "industries": [g.as_dict() for g in view.industries],
        "loads": [
            {
                "id": x.pk,
                "region": x.region_id,
                "file_name": x.file_name,
                "file_sha256": x.file_sha256,
                "loaded_by": x.loaded_by.get_username(),
                "loaded_at": x.loaded_at,
                "enterprises": x.enterprises,
            }
            for x in view.loads
        ],
        "factors": view.factors,
    }
