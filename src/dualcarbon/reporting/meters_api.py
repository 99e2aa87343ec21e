"""Meter data API (mounted at /api/reporting/meters; thin over :mod:`.meter_data`): a region's government loads a
month of interval readings (multipart: the file, the region code, optionally the month) and reads its loads; the
metered monthly totals are read by whoever reads the enterprise's raw records (its own system with its token, its
government, its assigned verifier, the admin; never a bank).

Government staff through their signed-in session (CSRF-checked), enterprises with their token. A load or a list
the caller may not see answers 404, like a missing one; a bad file 422 with the located errors (both languages);
nothing is written then.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from dualcarbon.registry import access
from dualcarbon.registry.api_tokens import request_user, token_or_session

from . import meter_data, scoping
from .models import MeteredMonth, MeterLoad
from .schemas import ERRORS, unknown_query

router = Router(tags=["reporting"], auth=token_or_session())


class MeterLoadOut(Schema):
    id: int
    region: str
    period: str = Field(..., description="YYYY-MM")
    file_name: str
    file_sha256: str
    file_size: int
    loaded_by: str
    loaded_at: datetime.datetime
    channel: str = Field(..., description="cli | web | api")
    readings: int
    enterprises: int
    unknown_entities: int
    is_current: bool
    replaced_by: int | None
    findings: dict[str, Any] = Field(..., description="counts per finding; items (first 500); unknown entities")
    options: dict[str, Any] = Field(..., description="the engine's options and grid choices used")


class MeteredTotalOut(Schema):
    enterprise_id: int
    uscc: str
    period: str
    region: str = Field(..., description="the enterprise's county when loaded")
    industry: str
    kwh: Decimal = Field(..., description="net: import − export")
    import_kwh: Decimal
    export_kwh: Decimal
    tco2e: Decimal
    grid_factor: Decimal = Field(..., description="tCO2/MWh, as the account engine chooses it")
    grid_ref: str
    grid_set: str
    grid_version: str
    meters: int
    readings: int
    missing_intervals: int
    duplicate_readings: int
    conflicting_intervals: int
    load_id: int
    load_file: str
    load_file_sha256: str


def _load_out(load: MeterLoad) -> dict[str, Any]:
    return {
        "id": load.pk,
        "region": load.region_id,
        "period": load.label,
        "file_name": load.file_name,
        "file_sha256": load.file_sha256,
        "file_size": load.file_size,
        "loaded_by": load.loaded_by.get_username(),
        "loaded_at": load.loaded_at,
        "channel": load.channel,
        "readings": load.readings,
        "enterprises": load.enterprises,
        "unknown_entities": load.unknown_entities,
        "is_current": load.is_current,
        "replaced_by": load.replaced_by_id,
        "findings": load.findings or {},
        "options": load.options or {},
    }


def _error(request: HttpRequest, status: int, detail: str, errors: list[dict[str, Any]]) -> Status[dict[str, Any]]:
    return Status(status, {"detail": detail, "errors": errors, "request_id": getattr(request, "request_id", None)})


@router.post(
    "/loads",
    operation_id="reporting_meter_load",
    url_name="reporting_meter_load",
    response={201: MeterLoadOut, **ERRORS},
    summary="导入一个月的电表读数 / load a month of a region's meter readings",
)
def create_load(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
    region: str = Form(..., max_length=12),
    period: str = Form("", max_length=7, description="YYYY-MM (optional: the file's one month)"),
) -> Any:
    user = request_user(request)
    if not access.can_see_region(user):
        raise Http404
    try:
        load = meter_data.load_upload(user, file, region_code=region, period=period or None, channel="api")
    except PermissionDenied:
        raise Http404 from None
    except meter_data.MeterLoadInvalid as exc:
        en = (get_language() or "zh").startswith("en")
        errors = [
            {
                "severity": "error",
                "rule": e.rule,
                "sheet": e.file,
                "row": e.row,
                "column": e.column,
                "message": e.message_en if en else e.message_zh,
                "message_zh": e.message_zh,
                "message_en": e.message_en,
            }
            for e in exc.errors
        ]
        return _error(request, 422, _("有 %(n)d 处错误，未导入任何数据") % {"n": exc.total}, errors)
    return Status(201, _load_out(load))


@router.get(
    "/loads",
    operation_id="reporting_meter_loads",
    url_name="reporting_meter_loads",
    response={200: list[MeterLoadOut], **ERRORS},
    summary="辖区的电表数据导入记录 / the meter data loads of the caller's jurisdiction",
)
def loads(request: HttpRequest, period: str = Query("", max_length=7)) -> Any:
    user = request_user(request)
    if not access.can_see_region(user):
        raise Http404
    qs = scoping.meter_loads(user).select_related("loaded_by")
    if period:
        try:
            parsed = meter_data.parse_period(period)
        except ValueError:
            raise Http404 from None
        if parsed:
            qs = qs.filter(year=parsed[0], month=parsed[1])
    return [_load_out(x) for x in qs[:200]]


@router.get(
    "/totals",
    operation_id="reporting_meter_totals",
    url_name="reporting_meter_totals",
    response={200: list[MeteredTotalOut], **ERRORS},
    summary="企业月度计量电量及排放量 / metered monthly totals (current loads) the caller may read",
)
def totals(
    request: HttpRequest,
    period: str = Query("", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM (default: every month loaded)"),
) -> Any:
    unknown = unknown_query(request, ("period",))
    if unknown is not None:
        return unknown
    user = request_user(request)
    actor = access.actor_for(user)
    if not (actor.is_admin or actor.region_prefixes or actor.enterprise_ids or actor.verifier_ids):
        raise Http404  # banks read accounts, never meter data
    rows = scoping.metered_months(user).filter(is_current=True)
    if period:
        try:
            parsed = meter_data.parse_period(period)
        except ValueError:
            raise Http404 from None
        if parsed:
            rows = rows.filter(year=parsed[0], month=parsed[1])
    rows = rows.select_related("load").order_by("-year", "-month", "region_code", "entity")
    return [_total_out(m) for m in rows[:5000]]


def _total_out(m: MeteredMonth) -> dict[str, Any]:
    return {
        "enterprise_id": m.enterprise_id,
        "uscc": m.entity,
        "period": m.label,
        "region": m.region_code,
        "industry": m.industry_code,
        "kwh": m.kwh,
        "import_kwh": m.import_kwh,
        "export_kwh": m.export_kwh,
        "tco2e": m.tco2e,
        "grid_factor": m.grid_factor,
        "grid_ref": m.grid_ref,
        "grid_set": m.grid_set,
        "grid_version": m.grid_version,
        "meters": m.meters,
        "readings": m.readings,
        "missing_intervals": m.missing_intervals,
        "duplicate_readings": m.duplicate_readings,
        "conflicting_intervals": m.conflicting_intervals,
        "load_id": m.load_id,
        "load_file": m.load.file_name,
        "load_file_sha256": m.load.file_sha256,
    }
