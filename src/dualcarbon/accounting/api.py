"""Accounts API (mounted at /api/accounts; token auth; thin over queries and scoping): an enterprise's system, or a
bank the enterprise consented to, reads carbon accounts — the years and months with their totals, one month's
account with its emission lines and each line's lineage, the factor sets with their citations, the claim lines.

Scoped exactly as the account pages are (:mod:`.scoping`): the token acts as its user; a bank reads only
consenting enterprises and only the consented months, and every read it makes is written to the bank read log
(``registry.audit.record_read``, channel ``api``). Bank tokens are accepted here (``ApiTokenAuth(banks=True)``), not
by the reporting and rating routers. Out of scope answers exactly like missing: 404.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router, Status

from dualcarbon.engine.reference import item_source
from dualcarbon.registry.api_tokens import ApiTokenAuth
from dualcarbon.registry.audit import Resource, record_read
from dualcarbon.registry.models import Organisation
from dualcarbon.reporting.schemas import ERRORS

from . import queries, scoping
from .models import AccountEntry, ClaimLine, EmissionLine
from .schemas import MonthOut, YearOut, YearsOut

router = Router(tags=["accounts"], auth=ApiTokenAuth(banks=True))

#: ids are 64-bit: a larger one is a 422, not a database overflow
MAX_ID = 2**63 - 1
ORG_ID = Path(..., ge=1, le=MAX_ID, description="the enterprise's id")
#: a reporting month: outside these, or not a number, answers 400 「报告期无效」 (dualcarbon/api.py)
YEAR = Path(..., ge=2000, le=2100, description="2000–2100")
MONTH = Path(..., ge=1, le=12, description="1–12")


def _enterprise(request: HttpRequest, org_id: int) -> Organisation:
    user = request.auth.user  # type: ignore[attr-defined]
    org = scoping.enterprises(user).select_related("region", "industry").filter(pk=org_id).first()
    if org is None:  # out of scope answers exactly like a missing id
        raise Http404(_("企业不存在"))
    return org


def _ref(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "uscc": org.uscc,
        "region_code": org.region_id,
        "industry_code": org.industry_id,
    }


def _tiers(entries: list[AccountEntry]) -> list[dict[str, Any]]:
    merged: dict[str, float] = defaultdict(float)
    for e in entries:
        for k, v in (e.by_tier or {}).items():
            merged[str(k)] += float(v or 0.0)
    whole = sum(merged.values())
    return [
        {"tier": t, "tco2e": merged.get(str(t), 0.0), "share": merged.get(str(t), 0.0) / whole if whole else None}
        for t in (1, 2, 3)
    ]


def _totals(qs: QuerySet[AccountEntry], entries: list[AccountEntry]) -> dict[str, Any]:
    """Sums in the database (as the pages' ``queries._totals``), the tiers and recovery from the entries' JSON."""
    agg = qs.aggregate(
        months=Count("pk"),
        total=Sum("total_tco2e"),
        scope1=Sum("scope1_tco2e"),
        scope2=Sum("scope2_tco2e"),
        scope2_market=Sum("scope2_market_tco2e"),
        total_market=Sum("total_market_tco2e"),
        market_missing=Count("pk", filter=Q(scope2_market_tco2e__isnull=True)),
        exported=Sum("exported_tco2e"),
        biomass=Sum("biomass_co2_t"),
        energy=Sum("energy_tce"),
        va=Sum("value_added"),
        total_with_va=Sum("total_tco2e", filter=Q(value_added__gt=0)),
    )
    va = agg["va"]
    missing = bool(agg["market_missing"])
    return {
        "months": agg["months"],
        "total_tco2e": agg["total"],
        "scope1_tco2e": agg["scope1"],
        "scope2_tco2e": agg["scope2"],
        "scope2_market_tco2e": None if missing else agg["scope2_market"],
        "total_market_tco2e": None if missing else agg["total_market"],
        "exported_tco2e": agg["exported"],
        "recovery_tco2e": sum(float((e.by_source or {}).get("co2_recovery") or 0.0) for e in entries),
        "biomass_co2_t": agg["biomass"],
        "energy_tce": agg["energy"],
        "value_added": float(va) if va is not None else None,
        "intensity": (agg["total_with_va"] or 0.0) / float(va) if va else None,
        "tiers": _tiers(entries),
    }


def _one(e: AccountEntry) -> dict[str, Any]:
    """One month's figures in the shape of :func:`_totals` (no query)."""
    va = float(e.value_added) if e.value_added is not None else None
    return {
        "months": 1,
        "total_tco2e": e.total_tco2e,
        "scope1_tco2e": e.scope1_tco2e,
        "scope2_tco2e": e.scope2_tco2e,
        "scope2_market_tco2e": e.scope2_market_tco2e,
        "total_market_tco2e": e.total_market_tco2e if e.scope2_market_tco2e is not None else None,
        "exported_tco2e": e.exported_tco2e,
        "recovery_tco2e": float((e.by_source or {}).get("co2_recovery") or 0.0),
        "biomass_co2_t": e.biomass_co2_t,
        "energy_tce": e.energy_tce,
        "value_added": va,
        "intensity": e.intensity,
        "tiers": _tiers([e]),
    }


def _current(user: Any, org: Organisation) -> QuerySet[AccountEntry]:
    return scoping.account_entries(user).filter(enterprise=org, is_current=True)


def _factor_set(used: Any) -> dict[str, Any]:
    return {
        "name": used.name,
        "version": used.version,
        "title": used.title,
        "publisher": used.publisher,
        "document": used.document,
        "published": used.published,
        "url": used.url,
        "official": used.official,
        "citation_zh": used.citation_zh,
        "citation_en": used.citation_en,
    }


@router.get(
    "/enterprises/{org_id}",
    operation_id="account_years",
    response={200: YearsOut, **ERRORS},
    summary="碳账户年度 / an enterprise's account years and months, with totals",
    description="Every year with a readable monthly account (a bank: the consented months only), newest first, "
    "with the months and the year's totals. 404: no such enterprise, or one the token may not read.",
)
def account_years(request: HttpRequest, org_id: int = ORG_ID) -> Any:
    org = _enterprise(request, org_id)
    user = request.auth.user  # type: ignore[attr-defined]
    qs = _current(user, org)
    entries = list(qs.order_by("-year", "month"))
    by_year: dict[int, list[AccountEntry]] = defaultdict(list)
    for e in entries:
        by_year[e.year].append(e)
    years = [
        {"year": y, "months": [e.month for e in rows], "totals": _totals(qs.filter(year=y), rows)}
        for y, rows in sorted(by_year.items(), reverse=True)
    ]
    record_read(request, org, Resource.ACCOUNT, "years " + ", ".join(str(y) for y in sorted(by_year)))
    return Status(200, {"enterprise": _ref(org), "years": years})


@router.get(
    "/enterprises/{org_id}/years/{year}",
    operation_id="account_year",
    response={200: YearOut, **ERRORS},
    summary="一年的碳账户 / one year: totals and the twelve months",
    description="The year's totals and each month's status and figures. A bank sees the months its consent does "
    "not cover as not_covered (whether they were reported is not the bank's to know). A year outside 2000–2100 "
    "answers 400 「报告期无效」; 404: no such enterprise, or one the token may not read.",
)
def account_year(request: HttpRequest, org_id: int = ORG_ID, year: int = YEAR) -> Any:
    org = _enterprise(request, org_id)
    user = request.auth.user  # type: ignore[attr-defined]
    account = queries.account_year(user, org, year)
    qs = _current(user, org).filter(year=year)
    months = []
    for row in account.months:
        entry = row.entry
        months.append(
            {
                "month": row.month,
                "status": row.status,
                "version": row.version,
                "entry_id": entry.pk if entry is not None else None,
                "totals": _one(entry) if entry is not None else None,
            }
        )
    record_read(request, org, Resource.ACCOUNT, year=year)
    return Status(
        200,
        {
            "enterprise": _ref(org),
            "year": year,
            "totals": _totals(qs, account.entries),
            "months": months,
            "factor_sets": [_factor_set(u) for u in account.factor_sets],
        },
    )


def _line(ln: EmissionLine, formulas: dict[str, dict[str, str]], sets: dict[str, Any]) -> dict[str, Any]:
    a = ln.activity
    name = ln.factor_set or ""
    source = {"zh": "", "en": ""}
    if name and not name.startswith("(") and ln.formula not in ("direct_factor", "electricity_grid"):
        source = {lang: item_source(name, ln.item, lang) for lang in ("zh", "en")}
    electricity = ln.source_type in ("purchased_electricity", "exported_electricity")
    return {
        "id": ln.pk,
        "input": {
            "id": a.pk,
            "line_no": a.line_no,
            "source_type": a.source_type,
            "item": a.item,
            "quantity": float(a.quantity),
            "unit": a.unit,
            "source_sheet": a.source_sheet,
            "source_row": a.source_row,
        },
        "source_type": ln.source_type,
        "scope": ln.scope,
        "item": ln.item,
        "item_name": ln.item_name,
        "gas": ln.gas,
        "quantity": ln.quantity,
        "activity_unit": ln.activity_unit,
        "unit_factor": ln.unit_factor,
        "ncv": {"value": ln.ncv, "origin": ln.ncv_origin},
        "carbon_content": {"value": ln.carbon_content, "origin": ln.carbon_content_origin},
        "oxidation_rate": {"value": ln.oxidation_rate, "origin": ln.oxidation_rate_origin},
        "factor": {"value": ln.factor, "origin": ln.factor_origin},
        "factor_ref": ln.factor_ref,
        "emission_factor": ln.emission_factor,
        "formula": formulas.get(ln.formula) or {"code": ln.formula, "expression": "", "standard": ""},
        "emission_t": ln.emission_t,
        "gwp": ln.gwp,
        "gwp_table": ln.gwp_table,
        "tco2e": ln.tco2e,
        "market_factor": ln.market_factor,
        "market_ref": ln.market_ref,
        "market_tco2e": ln.market_tco2e,
        "biomass_co2_t": ln.biomass_co2_t,
        "energy_tce": ln.energy_tce,
        "energy_method": ln.energy_method,
        "factor_set": sets.get(name),
        "source_zh": source["zh"],
        "source_en": source["en"],
        "grid_factor_source": ln.factor_ref if electricity else "",
        "quality_tier": ln.quality_tier,
    }


def _claim(c: ClaimLine) -> dict[str, Any]:
    return {
        "id": c.pk,
        "record": c.record,
        "kind": c.kind,
        "use": c.use,
        "technology": c.technology,
        "origin": c.origin,
        "status": c.status,
        "reference": c.reference,
        "quantity": c.quantity,
        "unit": c.unit,
        "measure": c.measure,
        "amount": c.amount,
        "moved": c.moved,
        "rule": c.rule,
        "countable": c.countable,
        "grid_factor": c.grid_factor,
        "grid_ref": c.grid_ref,
        "factor_set": c.factor_set,
        "factor_set_version": c.factor_set_version,
        "avoided_tco2": c.avoided_tco2,
    }


@router.get(
    "/enterprises/{org_id}/months/{year}/{month}",
    operation_id="account_month",
    response={200: MonthOut, **ERRORS},
    summary="一个月的碳账户与溯源 / one month's account, its lines with their lineage, its claim lines",
    description="The month's current account: totals, gases, sources, the factor sets with their citations, every "
    "emission line with its input record, parameters and their origin, formula, factor set and grid factor "
    "source, and the neutrality claim lines. 400 「报告期无效」 for a month outside 2000-01…2100-12; 404: no "
    "account for that month, a month outside a bank's consent, or an enterprise the token may not read (alike).",
)
def account_month(request: HttpRequest, org_id: int = ORG_ID, year: int = YEAR, month: int = MONTH) -> Any:
    org = _enterprise(request, org_id)
    user = request.auth.user  # type: ignore[attr-defined]
    qs = _current(user, org).filter(year=year, month=month)
    entry = qs.select_related("run", "submission").first()
    if entry is None:
        raise Http404(_("未找到"))  # no account that month, or one outside a bank's consent: alike
    run = entry.run
    # the lines of a run the user may read (the entry came through scoping.account_entries), as the lineage page
    lines = list(
        EmissionLine.objects.filter(run_id=run.pk).select_related("activity").order_by("activity__line_no", "gas")
    )
    claims = list(ClaimLine.objects.filter(run_id=run.pk).order_by("pk"))
    used = queries.factor_sets_used(run.factor_sets or {})
    sets = {u.name: _factor_set(u) for u in used}
    formulas = {
        r["code"]: {"code": r["code"], "expression": r["expression"], "standard": r["standard"]}
        for r in queries.formula_rows([ln.formula for ln in lines])
    }
    record_read(request, org, Resource.LINEAGE, f"#{entry.pk} {year}-{month:02d}", year=year)
    return Status(
        200,
        {
            "enterprise": _ref(org),
            "entry_id": entry.pk,
            "year": year,
            "month": month,
            "version": entry.submission.version,
            "status": entry.submission.status,
            "reason": run.reason,
            "computed_at": run.created_at,
            "engine_version": run.engine_version,
            "options": run.options or {},
            "totals": _one(entry),
            "gases": {
                "co2": entry.co2_tco2e,
                "ch4": entry.ch4_tco2e,
                "n2o": entry.n2o_tco2e,
                "fgas": entry.fgas_tco2e,
            },
            "by_source": {str(k): float(v or 0.0) for k, v in (entry.by_source or {}).items()},
            "factor_sets": list(sets.values()),
            "lines": [_line(ln, formulas, sets) for ln in lines],
            "claim_lines": [_claim(c) for c in claims],
        },
    )
