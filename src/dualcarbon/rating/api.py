"""Rating API (mounted at /api/rating; token auth; thin over queries): an enterprise system reads its grades."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router, Schema, Status

from dualcarbon.registry.api_tokens import ApiTokenAuth
from dualcarbon.registry.audit import Resource, record_read
from dualcarbon.reporting.schemas import ERRORS

from . import scoping

router = Router(tags=["rating"], auth=ApiTokenAuth())

#: ids are 64-bit: a larger one is a 422, not a database overflow
MAX_ID = 2**63 - 1


class ExplanationItem(Schema):
    code: str
    zh: str
    en: str


class RatingOut(Schema):
    year: int
    month: int
    scheme: str
    scheme_version: int
    status: str
    grade: int | None
    colour: str
    level: str
    intensity_l: float | None
    k_value: float | None
    benchmark_value: float | None
    benchmark_group: str
    neutrality_rate: float | None = None
    neutrality_reason: str = ""
    is_current: bool
    computed_at: datetime.datetime
    valid_from: datetime.date | None
    valid_until: datetime.date | None
    explanation: list[ExplanationItem]


def _out(r: Any) -> dict[str, Any]:
    b = r.benchmark
    return {
        "year": r.year,
        "month": r.month,
        "scheme": r.scheme.code,
        "scheme_version": r.scheme.version,
        "status": r.status,
        "grade": r.grade,
        "colour": r.mark_colour,
        "level": r.level,
        "intensity_l": r.intensity_l,
        "k_value": r.k_value,
        "benchmark_value": b.value if b else None,
        "benchmark_group": f"{b.level}:{b.code}" if b else "",
        "neutrality_rate": r.neutrality_rate,
        "neutrality_reason": str(((r.inputs or {}).get("neutrality") or {}).get("reason") or ""),
        "is_current": r.is_current,
        "computed_at": r.computed_at,
        "valid_from": r.valid_from,
        "valid_until": r.valid_until,
        "explanation": [
            {"code": i.get("code", ""), "zh": i.get("zh", ""), "en": i.get("en", "")} for i in r.explanation
        ],
    }


@router.get(
    "/enterprises/{org_id}/ratings",
    operation_id="ratings",
    response={200: list[RatingOut], **ERRORS},
    summary="评级结果与历史 / grades and history",
    description="404: no such enterprise, or one the token may not read (the two answer alike).",
)
def ratings(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request.auth.user  # type: ignore[attr-defined]
    enterprise = scoping.enterprises(user).filter(pk=org_id).first()
    if enterprise is None:
        raise Http404(_("企业不存在"))
    qs = (
        scoping.rating_results(user)
        .filter(enterprise=enterprise)
        .select_related("scheme", "benchmark")
        .order_by("-year", "-month", "-computed_at", "-pk")
    )
    out = [_out(r) for r in qs]
    record_read(request, enterprise, Resource.RATING, ", ".join(sorted({str(r["year"]) for r in out})))
    return Status(200, out)
