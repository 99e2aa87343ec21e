"""The dual-carbon index (双碳指数) in the platform (docs/programme.md § Dual-carbon index): a government uploads a
statistical table for a year (CSV or XLSX, the columns ``dualcarbon index compute`` reads: ``area`` and one per
indicator code), the platform fills the indicators it has from its own accounts, computes the index of the city's
counties with a chosen method version (engine/dcindex.py) and stores the run — method, version, inputs with their
sources, results, sensitivity — so it can be reopened.

**From the accounts.** ``co2_intensity`` (tCO2e per 万元 of value added) and ``co2_growth`` (% on the year
before) are computed from the county's current monthly account entries (through ``accounting.services``) when
the uploaded table leaves their column out; a column present in the table is what is computed (the statistics
office's figure covers the whole county, the accounts only the enterprises on the platform). Each value says
where it came from.

All or nothing: every problem of the table is reported with its row and column (in both languages) and nothing
is stored.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import services as accounting
from dualcarbon.engine import dcindex
from dualcarbon.registry.models import Region

from . import scoping
from .models import IndexRun, Programme
from .services import _read_table, _refuse, _user_or_none

#: the indicators the platform computes from its accounts when the table leaves their column out
ACCOUNT_INDICATORS = ("co2_intensity", "co2_growth")
MAX_BYTES = 5 * 1024 * 1024


def methods() -> dict[str, dcindex.Method]:
    """The methods of the platform's methods file (reference/dcindex/methods.toml), by name."""
    return dcindex.load_methods()


def _lazy_problem(problem: dcindex.IndexProblem) -> Any:
    """An engine problem as a message rendered in the language active when it is shown (the API renders both)."""
    return lazy(lambda: problem.message(get_language() or "zh-hans"), str)()


def _refused(problems: list[dcindex.IndexProblem]) -> ValidationError:
    return ValidationError({"file": [ValidationError(_lazy_problem(p)) for p in problems]})


def counties(programme: Programme) -> list[Region]:
    """The counties (districts) of the programme's city."""
    return list(
        Region.objects.filter(code__startswith=programme.region.prefix, level=Region.Level.COUNTY).order_by("code")
    )


@dataclasses.dataclass
class CountyAccounts:
    """What a county's current monthly account entries give for a year (Σ over the enterprises on the platform)."""

    months: int = 0
    total: Decimal = Decimal(0)
    va: Decimal = Decimal(0)
    va_total: Decimal = Decimal(0)
    #: enterprise-months reported in both the year and the year before (like for like)
    pairs: int = 0
    pair_now: Decimal = Decimal(0)
    pair_before: Decimal = Decimal(0)

    def intensity(self) -> Decimal | None:
        return self.va_total / self.va if self.va > 0 else None

    def growth(self) -> Decimal | None:
        return (self.pair_now - self.pair_before) / self.pair_before * 100 if self.pair_before > 0 else None


def county_accounts(programme: Programme, year: int) -> dict[str, CountyAccounts]:
    """Per county code, the figures of its current monthly account entries of ``year`` (and the year before, for
    the like-for-like growth)."""
    out: dict[str, CountyAccounts] = {}
    now: dict[tuple[str, int, int], Decimal] = {}
    before: dict[tuple[str, int, int], Decimal] = {}
    for row in accounting.current_entries(programme.region.prefix, [year, year - 1]):
        if row["month"] == 0:
            continue
        code = str(row["region_code"])[:6]
        t = Decimal(str(row["total_tco2e"] or 0))
        key = (code, row["enterprise_id"], row["month"])
        if row["year"] == year:
            acc = out.setdefault(code, CountyAccounts())
            acc.months += 1
            acc.total += t
            v = Decimal(str(row["value_added"] or 0))
            if v > 0:
                acc.va += v
                acc.va_total += t
            now[key] = t
        else:
            before[key] = t
    for key, t in now.items():
        if key in before:
            acc = out[key[0]]
            acc.pairs += 1
            acc.pair_now += t
            acc.pair_before += before[key]
    return out


def _account_value(code: str, acc: CountyAccounts | None, county: Region, year: int) -> tuple[Decimal | None, str, str]:
    """An indicator from the accounts: the value (None: the accounts cannot give it) and its lineage."""
    if acc is None:
        return None, "", ""
    if code == "co2_intensity":
        value = acc.intensity()
        zh = (
            f"平台碳账户：{county.name} {year} 年有增加值的企业月度账户 Σ排放 {acc.va_total.quantize(Decimal('0.01'))} "
            f"tCO2e ÷ Σ增加值 {acc.va.quantize(Decimal('0.01'))} 万元（当前版本，{acc.months} 个企业月度账户）"
        )
        en = (
            f"platform accounts: {county.name} {year}, Σ tCO2e {acc.va_total.quantize(Decimal('0.01'))} "
            "÷ Σ value added "
            f"{acc.va.quantize(Decimal('0.01'))} 万元 of the enterprise-month accounts with value added "
            f"(current versions, {acc.months} accounts)"
        )
        return value, zh, en
    value = acc.growth()
    zh = (
        f"平台碳账户：{county.name} 同一企业同一月份两年均有账户的 {acc.pairs} 个企业月度：{year} 年 Σ "
        f"{acc.pair_now.quantize(Decimal('0.01'))} tCO2e 对 {year - 1} 年 Σ {acc.pair_before.quantize(Decimal('0.01'))}"
        " tCO2e 的增速（%）"
    )
    en = (
        f"platform accounts: {county.name}, the {acc.pairs} enterprise-months reported in both years: Σ {year} "
        f"{acc.pair_now.quantize(Decimal('0.01'))} tCO2e against Σ {year - 1} "
        f"{acc.pair_before.quantize(Decimal('0.01'))} tCO2e, growth in %"
    )
    return value, zh, en


def _header(name: str, content: bytes) -> list[str]:
    rows = [r for r in _read_table(name, content) if any(c for c in r)]
    return [h.strip() for h in rows[0]] if rows else []


def _d(value: Decimal) -> str:
    """A decimal as typed, without trailing zeros or exponent (31.50000000 → 31.5, 7.2E+2 → 720)."""
    return f"{value.normalize():f}"


@transaction.atomic
def compute_index(
    user: Any, programme: Programme, year: Any, method_name: Any, name: str, content: bytes, note: str = ""
) -> IndexRun:
    """Compute and store the index of the programme's counties for ``year`` from an uploaded table (see the
    module's doc). Refused (nothing stored): a user outside the coordinating groups (PermissionDenied); a year
    outside the programme, an unknown method, a file that is not CSV/XLSX, and every problem of the table located
    by row and column (ValidationError)."""
    if not scoping.can_coordinate(user, programme.pk):
        raise PermissionDenied(_("只有领导小组、工作专班可以计算双碳指数"))
    try:
        year = int(year)
        if not programme.start_year - 10 <= year <= programme.end_year:
            raise ValueError
    except (TypeError, ValueError):
        raise _refuse("year", _("“%(value)s”不是方案期内的年份"), value=year) from None
    all_methods = methods()
    method = all_methods.get(str(method_name or dcindex.DEFAULT_METHOD))
    if method is None:
        raise _refuse(
            "method", _("未知的指数方法“%(value)s”；可用：%(names)s"), value=method_name, names=", ".join(all_methods)
        )
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _refuse("file", _("文件“%(name)s”须为 .csv 或 .xlsx"), name=name)
    if len(content) > MAX_BYTES:
        raise _refuse("file", _("文件“%(name)s”超过 5 MB"), name=name)
    header = _header(name, content)
    from_accounts = [c for c in ACCOUNT_INDICATORS if c not in header and any(i.code == c for i in method.indicators)]
    table_method = dataclasses.replace(
        method, indicators=tuple(i for i in method.indicators if i.code not in from_accounts)
    )
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        tmp.write(content)
        tmp.flush()
        try:
            rows = dcindex.read_areas(tmp.name, table_method)
        except dcindex.DcIndexError as exc:
            raise _refused(exc.problems) from None
    by_name = {c.name: c for c in counties(programme)} | {c.code: c for c in counties(programme)}
    accounts = county_accounts(programme, year) if from_accounts else {}
    errors: list[ValidationError] = []
    areas: list[dcindex.AreaRow] = []
    inputs: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for r in rows:
        county = by_name.get(r.area)
        if county is None:
            errors.append(
                ValidationError(
                    _("第 %(row)d 行，列 area：“%(value)s”不是%(city)s的县（区）名称或行政区划代码"),
                    params={"row": r.row, "value": r.area, "city": programme.region.name},
                )
            )
            continue
        if county.code in seen:
            errors.append(
                ValidationError(
                    _("第 %(row)d 行，列 area：%(value)s 与第 %(first)d 行是同一县（区）"),
                    params={"row": r.row, "value": r.area, "first": seen[county.code]},
                )
            )
            continue
        seen[county.code] = r.row
        values = dict(r.values)
        record: dict[str, Any] = {}
        for code, v in r.values.items():
            record[code] = {
                "value": _d(v),
                "source": "upload",
                "row": r.row,
                "lineage": f"上传统计表：{name} 第 {r.row} 行，列 {code}",
                "lineage_en": f"uploaded table: {name} row {r.row}, column {code}",
            }
        for code in from_accounts:
            value, zh, en = _account_value(code, accounts.get(county.code), county, year)
            if value is None:
                errors.append(
                    ValidationError(
                        _(
                            "第 %(row)d 行，列 %(column)s：文件未提供该列，"
                            "平台账户中也没有%(area)s %(year)d 年可用的数据；请在文件中加入该列"
                        ),
                        params={"row": r.row, "column": code, "area": county.name, "year": year},
                    )
                )
                continue
            value = value.quantize(Decimal("0.0001"), ROUND_HALF_UP)
            values[code] = value
            record[code] = {"value": _d(value), "source": "accounts", "row": None, "lineage": zh, "lineage_en": en}
        areas.append(dcindex.AreaRow(county.code, values, r.row))
        inputs[county.code] = {"name": county.name, "row": r.row, "values": record}
    if errors:
        raise ValidationError({"file": errors})
    try:
        result = dcindex.compute(method, areas)
        sens = dcindex.sensitivity(method, areas)
    except dcindex.DcIndexError as exc:
        raise _refused(exc.problems) from None
    return IndexRun.objects.create(
        programme=programme,
        year=year,
        method=method.name,
        method_version=method.version,
        method_spec=method_spec(method),
        file_name=name[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        inputs=inputs,
        results=results_json(result, inputs),
        sensitivity=sens.as_dict(),
        created_by=_user_or_none(user),
        note=str(note or "")[:300],
    )


def method_spec(method: dcindex.Method) -> dict[str, Any]:
    """The method as it was computed, in both languages (a later version of the methods file changes nothing of a
    stored run)."""
    zh, en = method.describe("zh"), method.describe("en")
    return {
        "name": method.name,
        "version": method.version,
        "title_zh": zh["title"],
        "title_en": en["title"],
        "source": zh["source"],
        "source_en": en["source"],
        "convention": method.convention,
        "dimensions": [
            {"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en, "weight": str(d.weight), "source": d.source}
            for d in method.dimensions
        ],
        "indicators": [i.as_dict("zh") for i in method.indicators],
        "classes": [
            {"min": str(c.min), "code": c.code, "name_zh": c.name_zh, "name_en": c.name_en} for c in method.classes
        ],
    }


def results_json(result: dcindex.IndexResult, inputs: dict[str, Any]) -> dict[str, Any]:
    """The results with every figure as an exact decimal string: per area its score, rank, class and dimensions,
    per indicator its value, normalised value, weight within the dimension and contribution to the score (index
    points: dimension weight × indicator weight × normalised value; the contributions add up to the score)."""
    areas = []
    for a in result.areas:
        dims = []
        for d in a.dimensions:
            dims.append(
                {
                    "code": d.code,
                    "score": str(d.score),
                    "weight": str(d.weight),
                    "indicators": [
                        {
                            "code": i.code,
                            "value": _d(i.value),
                            "normalised": str(i.normalised),
                            "weight": str(i.weight),
                            "contribution": str(d.weight * i.weight * i.normalised),
                        }
                        for i in d.indicators
                    ],
                }
            )
        areas.append(
            {
                "area": a.area,
                "name": inputs[a.area]["name"],
                "row": a.row,
                "score": str(a.score),
                "rank": a.rank,
                "class": a.index_class.code,
                "class_zh": a.index_class.name_zh,
                "class_en": a.index_class.name_en,
                "dimensions": dims,
            }
        )
    basis = {code: {k: str(v) for k, v in b.items()} for code, b in result.basis.items()}
    return {"basis": basis, "areas": areas}


def shown(value: Any, places: int = 2) -> Decimal:
    """A stored decimal string rounded for display (ranks and sums use the exact value)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


@dataclasses.dataclass
class RunView:
    """A stored run as a page shows it, in the page's language."""

    run: IndexRun
    lang: str
    dimensions: list[dict[str, Any]]
    indicators: dict[str, dict[str, Any]]
    areas: list[dict[str, Any]]
    sensitivity: list[dict[str, Any]]
    moved_by_area: dict[str, int]

    @property
    def moved(self) -> list[dict[str, Any]]:
        """The weight moves that change some rank."""
        return [p for p in self.sensitivity if p["moves"]]

    @property
    def unmoved(self) -> int:
        return len(self.sensitivity) - len(self.moved)

    def area(self, code: str) -> dict[str, Any] | None:
        return next((a for a in self.areas if a["area"] == code), None)


def view(run: IndexRun, lang: str) -> RunView:
    en = lang.startswith("en")
    spec = run.method_spec
    dims = [
        {**d, "name": d["name_en"] if en else d["name_zh"], "weight_shown": shown(d["weight"], 4)}
        for d in spec["dimensions"]
    ]
    inds = {i["code"]: {**i, "name": i["name_en"] if en else i["name_zh"]} for i in spec["indicators"]}
    basis = run.results.get("basis", {})
    names = {code: v["name"] for code, v in run.inputs.items()}
    areas = []
    for a in run.results.get("areas", []):
        dscores = {d["code"]: shown(d["score"]) for d in a["dimensions"]}
        detail = []
        for d in a["dimensions"]:
            dim = next(x for x in dims if x["code"] == d["code"])
            rows = []
            for i in d["indicators"]:
                src = run.inputs[a["area"]]["values"].get(i["code"], {})
                rows.append(
                    {
                        **i,
                        "value": _d(Decimal(i["value"])),
                        "indicator": inds[i["code"]],
                        "normalised_shown": shown(i["normalised"]),
                        "weight_shown": shown(i["weight"], 4),
                        "contribution_shown": shown(i["contribution"], 4),
                        "source": src.get("source", ""),
                        "lineage": src.get("lineage_en" if en else "lineage", ""),
                        "basis": {k: shown(v, 4) for k, v in basis.get(i["code"], {}).items()},
                    }
                )
            detail.append(
                {
                    "code": d["code"],
                    "name": dim["name"],
                    "score": shown(d["score"]),
                    "weight": shown(d["weight"], 4),
                    "rows": rows,
                }
            )
        areas.append(
            {
                **a,
                "score_shown": shown(a["score"]),
                "class_name": a["class_en"] if en else a["class_zh"],
                "dimension_scores": [dscores[d["code"]] for d in dims],
                "detail": detail,
            }
        )
    sens = []
    for p in run.sensitivity.get("weights", []):
        label = (
            next((d["name"] for d in dims if d["code"] == p["weight"]), p["weight"])
            if p["level"] == "dimension"
            else inds.get(p["weight"], {}).get("name", p["weight"])
        )
        moves = [(names.get(k, k), v) for k, v in p["moves"].items()]
        sens.append({**p, "label": label, "moves_named": moves})
    by_area = {names.get(k, k): v for k, v in run.sensitivity.get("max_rank_change_by_area", {}).items()}
    return RunView(run, lang, dims, inds, areas, sens, by_area)


def today_year() -> int:
    return datetime.date.today().year
