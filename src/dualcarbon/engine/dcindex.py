"""The dual-carbon index (双碳指数): a composite score of areas (counties, or cities when a province runs it) from
documented indicators in four dimensions — energy structure, socio-economic structure, emission level, emission
trend (docs/methods.md § 17).

A *method* is versioned configuration (``reference/dcindex/methods.toml``): its dimensions and their weights, its
indicators (dimension, unit, direction, weight within the dimension, normalisation) and its classes. Nothing
about a method is written in this module; a method read from another file computes by that file.

For each indicator every area's value is normalised to a 0–100 scale (higher = better whatever the indicator's
direction):

* ``minmax`` — (v − min) / (max − min) × 100, or (max − v) / (max − min) × 100 when lower is better; the areas
  computed together give min and max;
* ``zscore`` — a T-score 50 + 10·z, z = ±(v − mean) / σ (σ the population standard deviation of the areas);
* ``target`` — (v − floor) / (target − floor) × 100 held within 0–100 (the threshold reached scores 100, the
  floor 0), independent of the other areas.

When every area has the same value of a relative indicator (σ = 0, or max = min) each gets 50. A dimension's score
is the weighted mean of its indicators' normalised values; the area's score the weighted mean of its dimensions'
scores (weights divided by their sum at each level). Rank 1 is the highest score; equal scores share a rank
(1, 2, 2, 4). The class is the first class (best first) whose ``min`` the score reaches. All arithmetic is Decimal
(28 significant digits); scores are rounded to 2 decimals only for display.
"""

from __future__ import annotations

import csv
import dataclasses
import decimal
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from . import numbers

METHODS_FILE = Path(__file__).resolve().parent.parent / "reference" / "dcindex" / "methods.toml"
DEFAULT_METHOD = "ccni-structure"
NORMALISATIONS = ("minmax", "zscore", "target")
HUNDRED = Decimal(100)
FIFTY = Decimal(50)
TEN = Decimal(10)
TWO_PLACES = Decimal("0.01")
#: ±10 % of a weight, the sensitivity test the issue asks for
SENSITIVITY_STEP = Decimal("0.1")
_CTX = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)

MESSAGES: dict[str, dict[str, str]] = {
    "missing_column": {"zh": "缺少指标列 {column}（{hint}）", "en": "indicator column {column} ({hint}) is missing"},
    "missing_area_column": {"zh": "缺少地区列 area", "en": "the area column “area” is missing"},
    "required": {"zh": "数值为空", "en": "the value is empty"},
    "not_a_number": {"zh": "“{value}” 不是数字", "en": "“{value}” is not a number"},
    "too_large": {"zh": "“{value}” 超出可接受的范围", "en": "“{value}” is out of range"},
    "percent_unit": {
        "zh": "“{value}” 带有 %，但该指标的单位是 {hint}",
        "en": "“{value}” carries a %, but this indicator's unit is {hint}",
    },
    "empty_area": {"zh": "地区名称为空", "en": "the area name is empty"},
    "duplicate_area": {
        "zh": "地区 “{value}” 重复（第 {hint} 行已有）",
        "en": "area “{value}” is repeated (already on row {hint})",
    },
    "too_few_areas": {
        "zh": "方法 {hint} 按地区间相对位置标准化，至少需要 2 个地区，实际为 {value} 个",
        "en": "method {hint} normalises areas against each other and needs at least 2 areas; found {value}",
    },
    "empty_file": {"zh": "文件中没有数据行", "en": "the file has no data rows"},
    "unreadable": {"zh": "无法读取文件：{value}", "en": "cannot read the file: {value}"},
    "unknown_method": {
        "zh": "未知的指数方法 “{value}”；可用：{hint}",
        "en": "unknown index method “{value}”; use one of: {hint}",
    },
    "bad_config": {"zh": "指数方法配置有误：{value}", "en": "the index method configuration is wrong: {value}"},
}


@dataclass(frozen=True)
class IndexProblem:
    """A located problem: row as the user sees it in the file (header = row 1), column, value, rule."""

    rule: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    hint: str | None = None
    sheet: str | None = None

    def message(self, lang: str = "zh") -> str:
        zh = not lang.startswith("en")
        body = MESSAGES[self.rule]["zh" if zh else "en"].format(
            column=self.column or "", value=self.value or "", hint=self.hint or ""
        )
        where = []
        if self.sheet:
            where.append(f"工作表 {self.sheet}" if zh else f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"第 {self.row} 行" if zh else f"row {self.row}")
        if self.column and self.rule != "missing_column":
            where.append(f"列 {self.column}" if zh else f"column “{self.column}”")
        loc = ("，" if zh else ", ").join(where)
        return f"{loc}{'：' if zh else ': '}{body}" if loc else body

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "message": self.message(lang),
        }


class DcIndexError(ValueError):
    """Bad input or configuration: every problem found; nothing is computed."""

    def __init__(self, problems: list[IndexProblem]):
        self.problems = problems
        super().__init__(self.render("en"))

    def render(self, lang: str = "zh") -> str:
        return "\n".join(p.message(lang) for p in self.problems)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Dimension:
    code: str
    name_zh: str
    name_en: str
    weight: Decimal
    source: str = ""

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    dimension: str
    unit: str
    higher_is_better: bool
    weight: Decimal
    normalisation: str
    floor: Decimal | None = None
    target: Decimal | None = None

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name(lang),
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "dimension": self.dimension,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "weight": str(self.weight),
            "normalisation": self.normalisation,
        }
        if self.normalisation == "target":
            out["floor"], out["target"] = str(self.floor), str(self.target)
        return out


@dataclass(frozen=True)
class IndexClass:
    min: Decimal
    code: str
    name_zh: str
    name_en: str

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh


@dataclass(frozen=True)
class Method:
    name: str
    version: str
    title_zh: str
    title_en: str
    source: str
    source_en: str
    convention: str
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    classes: tuple[IndexClass, ...]

    @property
    def relative(self) -> bool:
        """Whether any indicator is normalised against the other areas (then at least two areas are needed)."""
        return any(i.normalisation != "target" for i in self.indicators)

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang.startswith("en") else self.title_zh

    def indicator(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)

    def with_weights(
        self, dimensions: Mapping[str, Decimal] | None = None, indicators: Mapping[str, Decimal] | None = None
    ) -> Method:
        """The same method with some weights replaced (the sensitivity test; a what-if)."""
        dims = tuple(dataclasses.replace(d, weight=(dimensions or {}).get(d.code, d.weight)) for d in self.dimensions)
        inds = tuple(dataclasses.replace(i, weight=(indicators or {}).get(i.code, i.weight)) for i in self.indicators)
        return dataclasses.replace(self, dimensions=dims, indicators=inds)

    def describe(self, lang: str = "zh") -> dict[str, Any]:
        en = lang.startswith("en")
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title(lang),
            "source": self.source_en if en else self.source,
            "convention": self.convention,
            "dimensions": [
                {"code": d.code, "name": d.name(lang), "weight": str(d.weight), "source": d.source}
                for d in self.dimensions
            ],
            "classes": [{"min": str(c.min), "code": c.code, "name": c.name(lang)} for c in self.classes],
        }


def _dec(value: object, where: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except decimal.InvalidOperation:
        raise _config(f"{where}: “{value}” is not a number") from None
    if not out.is_finite():
        raise _config(f"{where}: “{value}” is not a number")
    return out


def _config(text: str) -> DcIndexError:
    return DcIndexError([IndexProblem("bad_config", value=text)])


def _method(name: str, spec: Mapping[str, Any]) -> Method:
    try:
        dims = tuple(
            Dimension(
                d["code"], d["name_zh"], d["name_en"], _dec(d["weight"], f"{name}.{d['code']}"), d.get("source", "")
            )
            for d in spec["dimensions"]
        )
        inds = []
        for i in spec["indicators"]:
            norm = i["normalisation"]
            floor = _dec(i["floor"], f"{name}.{i['code']}.floor") if "floor" in i else None
            target = _dec(i["target"], f"{name}.{i['code']}.target") if "target" in i else None
            inds.append(
                Indicator(
                    i["code"],
                    i["name_zh"],
                    i["name_en"],
                    i["dimension"],
                    i["unit"],
                    i["higher_is_better"],
                    _dec(i["weight"], f"{name}.{i['code']}.weight"),
                    norm,
                    floor,
                    target,
                )
            )
        classes = tuple(
            IndexClass(_dec(c["min"], f"{name}.{c['code']}.min"), c["code"], c["name_zh"], c["name_en"])
            for c in spec["classes"]
        )
        method = Method(
            name,
            str(spec["version"]),
            spec["title_zh"],
            spec["title_en"],
            spec["source"],
            spec.get("source_en", spec["source"]),
            spec.get("convention", ""),
            dims,
            tuple(inds),
            classes,
        )
    except KeyError as exc:
        raise _config(f"{name}: {exc.args[0]} is missing") from None
    _check_method(method)
    return method


def _check_method(m: Method) -> None:
    codes = [d.code for d in m.dimensions]
    if not codes or len(set(codes)) != len(codes):
        raise _config(f"{m.name}: dimensions must be present and unique")
    if any(d.weight < 0 for d in m.dimensions) or sum(d.weight for d in m.dimensions) <= 0:
        raise _config(f"{m.name}: dimension weights must be ≥ 0 with a positive sum")
    seen: set[str] = set()
    for i in m.indicators:
        if i.code in seen or i.code == "area":
            raise _config(f"{m.name}: indicator {i.code} is repeated or reserved")
        seen.add(i.code)
        if i.dimension not in codes:
            raise _config(f"{m.name}.{i.code}: unknown dimension {i.dimension}")
        if i.normalisation not in NORMALISATIONS:
            raise _config(f"{m.name}.{i.code}: normalisation must be one of {', '.join(NORMALISATIONS)}")
        if not isinstance(i.higher_is_better, bool):
            raise _config(f"{m.name}.{i.code}: higher_is_better must be true or false")
        if i.weight < 0:
            raise _config(f"{m.name}.{i.code}: weight must be ≥ 0")
        if i.normalisation == "target":
            if i.floor is None or i.target is None or i.floor == i.target:
                raise _config(f"{m.name}.{i.code}: target normalisation needs a floor and a different target")
            if (i.target > i.floor) != i.higher_is_better:
                raise _config(f"{m.name}.{i.code}: the target must lie on the better side of the floor")
    for d in m.dimensions:
        if sum((i.weight for i in m.indicators if i.dimension == d.code), Decimal(0)) <= 0:
            raise _config(f"{m.name}.{d.code}: the dimension's indicator weights must have a positive sum")
    if not m.classes or list(m.classes) != sorted(m.classes, key=lambda c: c.min, reverse=True):
        raise _config(f"{m.name}: classes must be listed best first (descending min)")


def load_methods(path: Path | str | None = None) -> dict[str, Method]:
    """Every method of a methods file (default: the platform's ``reference/dcindex/methods.toml``)."""
    src = Path(path) if path is not None else METHODS_FILE
    try:
        data = tomllib.loads(src.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise _config(f"{src.name}: {exc}") from None
    return {name: _method(name, spec) for name, spec in data.get("methods", {}).items()}


def get_method(name: str | None = None, path: Path | str | None = None) -> Method:
    methods = load_methods(path)
    key = name or DEFAULT_METHOD
    if key not in methods:
        raise DcIndexError([IndexProblem("unknown_method", value=key, hint=", ".join(methods))])
    return methods[key]


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class AreaRow:
    area: str
    values: Mapping[str, Decimal]
    row: int = 0


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    text = str(value).strip()
    return text or None


def _rows_of(path: Path) -> tuple[list[str], list[tuple[int, list[str | None]]], str | None]:
    """The header and the data rows (row number as the user sees it), of a CSV (UTF-8 or GB18030) or the first
    sheet of an XLSX."""
    head = path.read_bytes()[:4]
    if head == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # a damaged package: openpyxl raises many kinds
            raise DcIndexError([IndexProblem("unreadable", value=f"{path.name} ({type(exc).__name__})")]) from None
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [_cell(v) or "" for v in next(it, ())]
        rows = [(n, [_cell(v) for v in r]) for n, r in enumerate(it, start=2)]
        sheet = ws.title
        wb.close()
        return header, rows, sheet
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    reader = csv.reader(text.splitlines())
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    return header, [(n, [_cell(v) for v in r]) for n, r in enumerate(reader, start=2)], None


def read_areas(path: Path | str, method: Method) -> list[AreaRow]:
    """The areas of a CSV or XLSX file: a column ``area`` and one column per indicator code of ``method``
    (other columns are ignored). Raises :class:`DcIndexError` with every problem, located by row and column."""
    src = Path(path)
    try:
        header, rows, sheet = _rows_of(src)
    except OSError as exc:
        raise DcIndexError([IndexProblem("unreadable", value=f"{src.name}: {exc.strerror}")]) from None
    names = [h.strip() for h in header]
    problems: list[IndexProblem] = []
    if "area" not in names:
        problems.append(IndexProblem("missing_area_column", row=1, column="area", sheet=sheet))
    for ind in method.indicators:
        if ind.code not in names:
            problems.append(IndexProblem("missing_column", row=1, column=ind.code, hint=ind.name_zh, sheet=sheet))
    if problems:
        raise DcIndexError(problems)
    pos = {name: names.index(name) for name in ["area", *(i.code for i in method.indicators)]}
    out: list[AreaRow] = []
    first_row: dict[str, int] = {}
    for n, cells in rows:
        if not any(cells):
            continue  # a blank line
        cells = cells + [None] * (len(names) - len(cells))
        area = cells[pos["area"]]
        if area is None:
            problems.append(IndexProblem("empty_area", row=n, column="area", sheet=sheet))
        elif area in first_row:
            problems.append(
                IndexProblem("duplicate_area", row=n, column="area", value=area, hint=str(first_row[area]), sheet=sheet)
            )
        else:
            first_row[area] = n
        values: dict[str, Decimal] = {}
        for ind in method.indicators:
            text = cells[pos[ind.code]]
            if text is None:
                problems.append(IndexProblem("required", row=n, column=ind.code, sheet=sheet))
                continue
            shown = text
            if text.rstrip().endswith(("%", "％")):
                if ind.unit != "%":
                    problems.append(IndexProblem("percent_unit", n, ind.code, shown, ind.unit, sheet))
                    continue
                text = text.rstrip()[:-1]
            try:
                number = numbers.parse_number(text)
            except numbers.NumberError as exc:
                rule = "too_large" if exc.problem().rule == "too_large" else "not_a_number"
                problems.append(IndexProblem(rule, row=n, column=ind.code, value=shown, sheet=sheet))
                continue
            if number is None:
                problems.append(IndexProblem("required", row=n, column=ind.code, sheet=sheet))
                continue
            values[ind.code] = number
        out.append(AreaRow(area or "", values, n))
    if problems:
        raise DcIndexError(problems)
    if not out:
        raise DcIndexError([IndexProblem("empty_file", sheet=sheet)])
    return out


# --------------------------------------------------------------------------- computation


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    value: Decimal
    normalised: Decimal
    weight: Decimal  # the indicator's share of its dimension (weights divided by their sum)


@dataclass(frozen=True)
class DimensionScore:
    code: str
    score: Decimal
    weight: Decimal  # the dimension's share of the index
    indicators: tuple[IndicatorScore, ...]


@dataclass(frozen=True)
class AreaScore:
    area: str
    score: Decimal
    rank: int
    index_class: IndexClass
    dimensions: tuple[DimensionScore, ...]
    row: int = 0

    @property
    def shown(self) -> Decimal:
        return _round(self.score)


@dataclass
class IndexResult:
    method: Method
    areas: list[AreaScore]
    #: per indicator, how its values were normalised (min/max, mean/σ, floor/target)
    basis: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def by_area(self) -> dict[str, AreaScore]:
        return {a.area: a for a in self.areas}

    def ranks(self) -> dict[str, int]:
        return {a.area: a.rank for a in self.areas}

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        m = self.method
        return {
            "method": m.describe(lang),
            "indicators": [
                {**m.indicator(code).as_dict(lang), "basis": {k: _num(v) for k, v in b.items()}}
                for code, b in self.basis.items()
            ],
            "areas": [
                {
                    "area": a.area,
                    "score": _num(a.score),
                    "rank": a.rank,
                    "class": a.index_class.name(lang),
                    "class_code": a.index_class.code,
                    "dimensions": {
                        d.code: {
                            "name": next(x for x in m.dimensions if x.code == d.code).name(lang),
                            "score": _num(d.score),
                            "weight": _num(d.weight, 6),
                            "indicators": {
                                i.code: {
                                    "value": f"{i.value.normalize(_CTX):f}",
                                    "normalised": _num(i.normalised),
                                    "weight": _num(i.weight, 6),
                                }
                                for i in d.indicators
                            },
                        }
                        for d in a.dimensions
                    },
                }
                for a in self.areas
            ],
        }


def _round(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_CTX)


def _num(value: Decimal, places: int = 2) -> float:
    """A rounded Decimal for JSON: the float of a 2-decimal value prints as those decimals (71.23 → 71.23)."""
    return float(_round(value, places))


def _shares(weights: Sequence[Decimal]) -> list[Decimal]:
    total = sum(weights, Decimal(0))
    return [_CTX.divide(w, total) for w in weights]


def _normalise(ind: Indicator, values: Sequence[Decimal]) -> tuple[list[Decimal], dict[str, Decimal]]:
    c = _CTX
    if ind.normalisation == "target":
        assert ind.floor is not None and ind.target is not None
        span = c.subtract(ind.target, ind.floor)
        out = [
            min(HUNDRED, max(Decimal(0), c.multiply(c.divide(c.subtract(v, ind.floor), span), HUNDRED))) for v in values
        ]
        return out, {"floor": ind.floor, "target": ind.target}
    if ind.normalisation == "minmax":
        lo, hi = min(values), max(values)
        basis = {"min": lo, "max": hi}
        if lo == hi:
            return [FIFTY for _ in values], basis
        span = c.subtract(hi, lo)
        if ind.higher_is_better:
            return [c.multiply(c.divide(c.subtract(v, lo), span), HUNDRED) for v in values], basis
        return [c.multiply(c.divide(c.subtract(hi, v), span), HUNDRED) for v in values], basis
    n = Decimal(len(values))
    mean = c.divide(sum(values, Decimal(0)), n)
    variance = c.divide(sum((c.power(c.subtract(v, mean), 2) for v in values), Decimal(0)), n)
    sd = variance.sqrt(c)
    basis = {"mean": mean, "sd": sd}
    if sd == 0:
        return [FIFTY for _ in values], basis
    sign = 1 if ind.higher_is_better else -1
    return [c.add(FIFTY, c.multiply(TEN, c.divide(c.multiply(sign, c.subtract(v, mean)), sd))) for v in values], basis


def compute(method: Method, areas: Sequence[AreaRow]) -> IndexResult:
    """Score, rank and class every area by ``method`` (see the module's doc for the arithmetic)."""
    if method.relative and len(areas) < 2:
        raise DcIndexError([IndexProblem("too_few_areas", value=str(len(areas)), hint=method.name)])
    normalised: dict[str, list[Decimal]] = {}
    basis: dict[str, dict[str, Decimal]] = {}
    for ind in method.indicators:
        normalised[ind.code], basis[ind.code] = _normalise(ind, [a.values[ind.code] for a in areas])
    dim_shares = dict(
        zip((d.code for d in method.dimensions), _shares([d.weight for d in method.dimensions]), strict=True)
    )
    ind_shares: dict[str, Decimal] = {}
    for d in method.dimensions:
        members = [i for i in method.indicators if i.dimension == d.code]
        ind_shares.update(zip((i.code for i in members), _shares([i.weight for i in members]), strict=True))
    scored: list[tuple[AreaRow, Decimal, tuple[DimensionScore, ...]]] = []
    for k, area in enumerate(areas):
        dims = []
        total = Decimal(0)
        for d in method.dimensions:
            parts = tuple(
                IndicatorScore(i.code, area.values[i.code], normalised[i.code][k], ind_shares[i.code])
                for i in method.indicators
                if i.dimension == d.code
            )
            dscore = sum((_CTX.multiply(p.weight, p.normalised) for p in parts), Decimal(0))
            dims.append(DimensionScore(d.code, dscore, dim_shares[d.code], parts))
            total = _CTX.add(total, _CTX.multiply(dim_shares[d.code], dscore))
        scored.append((area, total, tuple(dims)))
    ordered = sorted(scored, key=lambda s: s[1], reverse=True)
    out: list[AreaScore] = []
    for pos, (row, score, parts_by_dim) in enumerate(ordered, start=1):
        rank = out[-1].rank if out and out[-1].score == score else pos
        cls = next((c for c in method.classes if score >= c.min), method.classes[-1])
        out.append(AreaScore(row.area, score, rank, cls, parts_by_dim, row.row))
    return IndexResult(method, out, basis)


# --------------------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class Perturbation:
    """One weight moved by ±step (the others kept; weights are renormalised) and the ranks that moved."""

    level: str  # "dimension" or "indicator"
    code: str
    factor: Decimal  # 1.1 or 0.9
    moves: dict[str, int]  # area → new rank − old rank (only the areas that moved)

    @property
    def max_change(self) -> int:
        return max((abs(v) for v in self.moves.values()), default=0)

    def as_dict(self) -> dict[str, Any]:
        pct = _CTX.multiply(_CTX.subtract(self.factor, 1), HUNDRED).normalize()
        return {
            "level": self.level,
            "weight": self.code,
            "change": f"{'+' if pct > 0 else ''}{pct:f}%",
            "max_rank_change": self.max_change,
            "moves": self.moves,
        }


@dataclass
class Sensitivity:
    step: Decimal
    perturbations: list[Perturbation]
    base: dict[str, int]

    def max_by_area(self) -> dict[str, int]:
        """Per area, the largest rank change any single ±step weight move causes (0: its rank never moves)."""
        out = dict.fromkeys(self.base, 0)
        for p in self.perturbations:
            for area, delta in p.moves.items():
                out[area] = max(out[area], abs(delta))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": f"±{_CTX.multiply(self.step, HUNDRED).normalize():f}%",
            "weights": [p.as_dict() for p in self.perturbations],
            "max_rank_change_by_area": self.max_by_area(),
        }


def sensitivity(method: Method, areas: Sequence[AreaRow], step: Decimal = SENSITIVITY_STEP) -> Sensitivity:
    """Every dimension weight and every indicator weight moved by +step and −step in turn (×1.1, ×0.9), the index
    recomputed, and each area's rank change recorded."""
    base = compute(method, areas).ranks()
    out: list[Perturbation] = []
    factors = (_CTX.add(1, step), _CTX.subtract(1, step))
    targets: list[tuple[str, str, Decimal]] = [("dimension", d.code, d.weight) for d in method.dimensions]
    targets += [("indicator", i.code, i.weight) for i in method.indicators]
    for level, code, weight in targets:
        for f in factors:
            moved = _CTX.multiply(weight, f)
            m = (
                method.with_weights(dimensions={code: moved})
                if level == "dimension"
                else method.with_weights(indicators={code: moved})
            )
            ranks = compute(m, areas).ranks()
            out.append(Perturbation(level, code, f, {a: ranks[a] - r for a, r in base.items() if ranks[a] != r}))
    return Sensitivity(step, out, base)


def compute_file(
    path: Path | str, method_name: str | None = None, methods_path: Path | str | None = None
) -> IndexResult:
    method = get_method(method_name, methods_path)
    return compute(method, read_areas(path, method))


def rows_from(records: Iterable[Mapping[str, object]]) -> list[AreaRow]:
    """Areas from plain records (``{"area": …, code: number …}``), numbers read exactly (for callers that hold the
    data already, e.g. the platform's accounts)."""
    out = []
    for n, rec in enumerate(records, start=2):
        values = {k: Decimal(str(v)) for k, v in rec.items() if k != "area"}
        out.append(AreaRow(str(rec["area"]), values, n))
    return out
