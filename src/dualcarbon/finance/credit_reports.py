"""The carbon account credit report (碳账户信用报告): what a bank generates for a consenting enterprise
(docs/finance.md § The credit report).

The report is built only within the consent it is generated under: its data period (the months, and for grades
the whole years, it covers) and its scope items — the account section needs 账户汇总 ``summary`` (or the monthly
lines ``accounts``), the grade history 评级及其说明 ``grade``, the certification status 认定状态 ``certification``;
the report itself needs 碳信用报告 ``credit_report``. Accounting and rating are read through their queries with the
bank's own user, so the access predicates (``registry.access``) bound every figure as well.

Every figure is stored as printed (a string), with the methods it was made by; the content's SHA-256 (canonical
JSON) is stored at generation and printed with a QR code linking to the public verification page. Each generation
and each later read is written to the bank read log (``registry.audit.record_read``, resource ``credit_report``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from dualcarbon.accounting import queries as accounting
from dualcarbon.rating import queries as rating
from dualcarbon.registry.models import Consent, Organisation
from dualcarbon.ui import names

from . import scoping
from .models import CreditReport

#: the report's format; a change of the content's shape changes it (the hash covers it)
FORMAT = "dualcarbon-credit-report/1"

#: how each figure is made, printed with the report (docs/finance.md § The credit report)
METHOD_NOTES: list[dict[str, str]] = [
    {
        "zh": "排放总量 = 范围一 + 范围二（位置法）− 输出扣减，为授权期间内各月当前版本"
        "碳账户之和（tCO2e，保留两位小数）。",
        "en": "Total = scope 1 + scope 2 (location-based) − exported, the sum of the current account of each month "
        "of the consented period (tCO2e, 2 dp).",
    },
    {
        "zh": "范围二市场法：按企业报送的绿证、绿电交易扣减后的购入电力排放；有月份在市场法上线"
        "前核算时不汇总（显示“—”）。",
        "en": "Scope 2 market-based: purchased electricity net of green certificates and green power contracts; not "
        "summed when a month was accounted before the market-based view existed (shown as “—”).",
    },
    {
        "zh": "碳排放强度 = 有工业增加值月份的排放量之和 ÷ 工业增加值之和（tCO2e/万元）；变化率与报告中上一年度相比。",
        "en": "Intensity = Σ tCO2e of the months with value added ÷ Σ value added (tCO2e per 10,000 yuan); the change "
        "is against the previous year of the report.",
    },
    {
        "zh": "数据质量等级构成：各等级数据所对应排放量（绝对值）占全年的比例（一级：实测或标准"
        "因子；二级：企业声明参数；三级：因子库缺省值）。",
        "en": "Data-quality tier mix: the share of the year's |tCO2e| from tier 1 (measured or standard factors), "
        "tier 2 (declared parameters) and tier 3 (default factors).",
    },
    {
        "zh": "评级为年度碳效评级（工业碳效码），仅列出授权数据期间覆盖全年各月的年度；说明为评"
        "级引擎逐项给出的计算过程。",
        "en": "Grades are the annual carbon-efficiency grades, for the years whose every month the consent covers; "
        "the explanation is the rating engine's own, item by item.",
    },
]

#: the certification status of an enterprise never certified (docs/finance.md § Transition certification)
CERTIFICATION_NONE = {
    "available": False,
    "zh": "暂无：本企业尚无降碳转型升级项目/企业认定。",
    "en": "None: the enterprise has no transition project or enterprise certification.",
    "entries": [],
}


def _certification_section(enterprise: Organisation) -> dict[str, Any]:
    """The enterprise's certifications decided by its government (certified, flagged, revoked, expired) with their
    validity, as of the report's generation (docs/finance.md § Transition certification)."""
    from .models import CertApplication

    S = CertApplication.Status
    rows = (
        CertApplication.objects.filter(enterprise=enterprise, status__in=[S.CERTIFIED, S.REVOKED, S.EXPIRED])
        .select_related("ruler")
        .order_by("kind", "pk")
    )
    entries = []
    for a in rows:
        with override("en"):
            kind_en, status_en = str(a.get_kind_display()), str(a.get_status_display())
        with override("zh-hans"):
            kind_zh, status_zh = str(a.get_kind_display()), str(a.get_status_display())
        entries.append(
            {
                "name": a.name,
                "kind": a.kind,
                "kind_zh": kind_zh,
                "kind_en": kind_en,
                "sector": f"{a.ruler.sector_name}（{a.ruler.industry_code}）",
                "status": a.status,
                "status_zh": status_zh,
                "status_en": status_en,
                "valid_from": a.valid_from.isoformat() if a.valid_from else "",
                "valid_until": a.valid_until.isoformat() if a.valid_until else "",
                "major_event": a.major_event,
                "expected_reduction_tco2": str(a.expected_reduction_tco2),
            }
        )
    if not entries:
        return dict(CERTIFICATION_NONE)
    live = sum(1 for e in entries if e["status"] == S.CERTIFIED)
    return {
        "available": True,
        "zh": f"降碳转型升级认定 {len(entries)} 项，其中有效 {live} 项。",
        "en": f"{len(entries)} transition certification(s), {live} in force.",
        "entries": entries,
    }

SECTION_LABELS = {
    "summary": _("碳账户（授权期间）"),
    "grade": _("碳效评级及其说明"),
    "certification": _("认定状态"),
}


def canonical(content: dict[str, Any]) -> bytes:
    """The bytes the hash covers: JSON with sorted keys, no whitespace, UTF-8."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def _f(value: Any, places: int) -> str | None:
    """A figure as printed (None: not available)."""
    return None if value is None else f"{float(value):.{places}f}"


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.1f}"


def _period(value: str) -> tuple[int, int]:
    y, m = (int(x) for x in value.split("-"))
    return y, m


def _account_section(user: Any, enterprise: Organisation, first: tuple[int, int], last: tuple[int, int]) -> list[Any]:
    rows: list[dict[str, Any]] = []
    previous: float | None = None
    for y in accounting.account_summaries(user, enterprise, first, last):
        t = y.totals
        intensity = t.get("intensity") if t.get("months") else None
        change = (intensity / previous - 1) if intensity is not None and previous else None
        rows.append(
            {
                "year": y.year,
                "months_in_period": len(y.months_in_period),
                "months_accounted": y.months_accounted,
                "complete": y.complete,
                "total_tco2e": _f(t.get("total"), 2) if t.get("months") else None,
                "scope1_tco2e": _f(t.get("scope1"), 2) if t.get("months") else None,
                "scope2_location_tco2e": _f(t.get("scope2"), 2) if t.get("months") else None,
                "scope2_market_tco2e": _f(t.get("scope2_market"), 2) if t.get("months") else None,
                "exported_tco2e": _f(t.get("exported"), 2) if t.get("months") else None,
                "energy_tce": _f(t.get("energy"), 3) if t.get("months") else None,
                "intensity_tco2e_per_10k_yuan": _f(intensity, 4),
                "intensity_change_pct": _pct(change),
                "tier_mix_pct": {str(k): _pct(v) for k, v in y.tiers.items()},
                "months": [{"month": m, "status": s} for m, s in sorted(y.month_status.items())],
            }
        )
        previous = intensity if intensity is not None else previous
    return rows


def _grade_section(user: Any, enterprise: Organisation, first: tuple[int, int], last: tuple[int, int]) -> list[Any]:
    first_year = first[0] if first[1] == 1 else first[0] + 1
    last_year = last[0] if last[1] == 12 else last[0] - 1
    results = (
        rating.visible_results(user)
        .filter(enterprise=enterprise, is_current=True, month=0, year__gte=first_year, year__lte=last_year)
        .order_by("year")
    )
    out = []
    for r in results:
        out.append(
            {
                "year": r.year,
                "status": r.status,
                "grade": r.grade,
                "level": r.level,
                "colour": r.colour,
                "score": _f(r.score, 2),
                "computed_at": timezone.localtime(r.computed_at).isoformat(timespec="seconds"),
                "explanation": [
                    {"code": i.get("code", ""), "zh": i.get("zh", ""), "en": i.get("en", "") or i.get("zh", "")}
                    for i in (r.explanation or [])
                ],
            }
        )
    return out


def build_content(
    user: Any, enterprise: Organisation, consent: Consent, number: str, generated: datetime.datetime
) -> dict[str, Any]:
    """The report's content: only what the consent names, over its data period (see the module's docstring)."""
    first, last = _period(consent.data_from), _period(consent.data_until)
    sections = [s for s in ("summary", "grade", "certification") if scoping.consent_allows(consent, s)]
    industry = enterprise.industry
    content: dict[str, Any] = {
        "format": FORMAT,
        "number": number,
        "generated_at": timezone.localtime(generated).isoformat(timespec="seconds"),
        "enterprise": {
            "name": enterprise.name,
            "uscc": enterprise.uscc or "",
            "industry_code": industry.code if industry else "",
            "industry_name": industry.name_zh if industry else "",
            "region": enterprise.region.name if enterprise.region else "",
        },
        "bank": {"name": consent.bank.name},
        "consent": {
            "id": consent.pk,
            "purpose_code": consent.purpose_code,
            "scope": consent.scopes,
            "data_from": consent.data_from,
            "data_until": consent.data_until,
            "valid_until": consent.valid_until.isoformat(),
        },
        "sections": sections,
        "account": _account_section(user, enterprise, first, last) if "summary" in sections else None,
        "grades": _grade_section(user, enterprise, first, last) if "grade" in sections else None,
        "certification": _certification_section(enterprise) if "certification" in sections else None,
        "methods": METHOD_NOTES,
    }
    return content


def _number(day: datetime.date) -> str:
    """碳账户信用报告 number: XYBG-<date>-<10 random hex digits> (unguessable: the verification page is public)."""
    return f"XYBG-{day:%Y%m%d}-{secrets.token_hex(5).upper()}"


def reportable_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose credit report the user's banks may generate (an active consent names the credit report)."""
    return scoping.report_enterprises(user)


@transaction.atomic
def generate(user: Any, enterprise: Organisation) -> CreditReport:
    """A bank's staff generate the enterprise's credit report under its active consent naming the credit report
    (the latest, when several). Refused (PermissionDenied) for anyone else. The caller logs the read."""
    consent = scoping.report_consent(user, enterprise)
    if consent is None:
        raise PermissionDenied(_("没有包含碳信用报告的有效授权"))
    generated = timezone.now()
    number = _number(timezone.localdate(generated))
    with override("zh-hans"):
        content = build_content(user, enterprise, consent, number, generated)
    return CreditReport.objects.create(
        number=number,
        enterprise=enterprise,
        bank=consent.bank,
        consent=consent,
        generated_by=user,
        generated_at=generated,
        content=content,
        content_hash=content_hash(content),
    )


# --------------------------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Verification:
    """What the public verification page shows: nothing about the enterprise unless the hash matches."""

    number: str
    presented: str
    matches: bool
    enterprise_name: str = ""
    generated_at: datetime.datetime | None = None


def verify_url(request: HttpRequest, report: CreditReport) -> str:
    """The absolute address the report's QR code carries: the public verification page with the content hash."""
    url = request.build_absolute_uri(reverse("finance:report_verify", args=[report.number]))
    return f"{url}?h={report.content_hash}"


def verify(number: str, presented: str) -> Verification:
    """Whether ``presented`` is the hash stored for report ``number`` (an unknown number: no match)."""
    presented = (presented or "").strip().lower()
    report = CreditReport.objects.select_related("enterprise").filter(number=number).first()
    if report is None or not presented or not secrets.compare_digest(presented, report.content_hash):
        return Verification(number, presented, False)
    return Verification(number, presented, True, report.enterprise.name, report.generated_at)


# --------------------------------------------------------------------------------------------- display


def labels(report: CreditReport) -> dict[str, Any]:
    """The stored codes of a report in the reader's language (month statuses, grade marks, levels)."""
    from dualcarbon.rating.models import COLOUR_LABELS, LEVEL_LABELS

    c = report.content
    account = [
        {**y, "months": [{**m, "label": accounting.status_label(m["status"])} for m in y["months"]]}
        for y in (c.get("account") or [])
    ]
    grades = [
        {
            **g,
            "level_label": str(LEVEL_LABELS.get(g["level"], "")) if g.get("level") else "",
            "colour_label": str(COLOUR_LABELS.get(g["colour"], "")) if g.get("colour") else "",
        }
        for g in (c.get("grades") or [])
    ]
    generated = timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")
    e = c.get("enterprise") or {}
    industry = names.industry_name(e.get("industry_code", ""), e.get("industry_name", ""))
    return {"account": account, "grades": grades, "generated_label": generated, "industry_label": industry}


def pdf_html(report: CreditReport, verify_url: str) -> str:
    import segno

    qr_svg = segno.make(verify_url, error="m").svg_inline(scale=3, border=2)
    with override("zh-hans"):
        return render_to_string(
            "finance/credit_report_pdf.html",
            {"report": report, "c": report.content, **labels(report), "qr_svg": qr_svg, "verify_url": verify_url},
        )


def pdf(report: CreditReport, verify_url: str) -> bytes:
    """The Chinese PDF (A4) with the report's verification QR code."""
    from weasyprint import HTML

    data = HTML(string=pdf_html(report, verify_url)).write_pdf()  # no base URL: nothing is fetched
    assert data is not None
    return bytes(data)
