"""A rating scheme's parameters (``RatingScheme.params`` JSON) and the codes the rating uses.

Only codes live here; their names in Chinese and English are in the message catalogue
(:mod:`dualcarbon.rating.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

METHOD_EFFICIENCY_CODE = "efficiency_code"
METHOD_THREE_DIM = "three_dim_four_colour"
METHODS = (METHOD_EFFICIENCY_CODE, METHOD_THREE_DIM)

#: benchmark group levels, most specific first
LEVELS = ("division", "section", "region")
#: the column holding each group level's code (the region level is the population itself)
LEVEL_COLUMN = {"division": "division", "section": "section", "region": "population"}
PERIOD_KEYS = ["population", "year", "month"]
AVERAGES = ("ratio_of_sums", "mean_of_ratios")

#: 碳效等级 levels by L (bands of ``level_bounds``)
LEVEL_KEYS = ("low", "medium", "high")
#: 三维四色 dimensions
DIMENSIONS = ("advancement", "contribution", "decline")
#: why a rated enterprise is left out of its benchmark (results' ``excl_<code>`` columns)
EXCLUSIONS = ("tier3", "non_positive", "outlier")
#: why a result has no grade or colour (results' ``reason`` column)
NOT_RATED = ("insufficient_months", "value_added_missing", "group_too_small", "dimension_missing")
#: why the carbon-neutrality rate is not computed (NaN) or is 0 (results' ``neutrality_reason``)
NEUTRALITY_REASONS = (
    "insufficient_months",
    "no_grid_factor",
    "emissions_not_positive",
    "no_declarations",
    "not_provided",
)


class ParamsError(ValueError):
    """A scheme's parameters are incomplete or inconsistent (message names the parameter)."""


@dataclass(frozen=True)
class BenchmarkRule:
    average: str = "ratio_of_sums"
    group: str = "division"
    fallback: tuple[str, ...] = ("section", "region")
    min_group_size: int = 5
    outlier_method: str = "iqr"
    outlier_k: float = 3.0
    outlier_side: str = "upper"
    max_tier3_share: float | None = 0.5
    exclude_non_positive: bool = True

    @property
    def chain(self) -> tuple[str, ...]:
        return (self.group, *[lvl for lvl in self.fallback if lvl != self.group])


@dataclass(frozen=True)
class NeutralityRule:
    """How the carbon-neutrality rate is computed (scheme ``params.neutrality``; every key optional).

    ``denominator``: ``total`` (the accounts' total emissions, default) or ``basis`` (the scheme's
    emission basis, as L uses). ``count_held``: certificates held but not retired count too (default
    no). ``cap_certificates``: green certificates and green-power trades count at most the emissions of
    the electricity bought from the grid (default yes). ``net_of_exported``: generation fed to the grid
    counts only beyond the exported electricity already deducted from the emissions (default yes).
    """

    denominator: str = "total"
    count_held: bool = False
    cap_certificates: bool = True
    net_of_exported: bool = True


@dataclass(frozen=True)
class Dimension:
    key: str
    weight: float
    bounds: tuple[float, ...]
    scores: tuple[float, ...]
    #: contribution: intensity_ratio | share; decline: previous_year | mean_3y
    metric: str = ""


@dataclass(frozen=True)
class Params:
    method: str
    plus: tuple[str, ...]
    minus: tuple[str, ...] = ()
    min_months: int = 12
    level_bounds: tuple[float, ...] = ()
    grade_bounds: tuple[float, ...] = ()
    benchmark: BenchmarkRule = field(default_factory=BenchmarkRule)
    dimensions: tuple[Dimension, ...] = ()
    required_dimensions: tuple[str, ...] = ("advancement",)
    colour_bounds: tuple[float, ...] = ()
    colours: tuple[str, ...] = ("dark_green", "light_green", "yellow", "red")
    compare_decimals: int = 9
    validity_years: int = 1
    neutrality: NeutralityRule = field(default_factory=NeutralityRule)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Params:
        """Read (and check) a scheme's ``params`` JSON."""
        method = str(raw.get("method", ""))
        if method not in METHODS:
            raise ParamsError(f"method must be one of {', '.join(METHODS)} (found {method!r})")
        basis = raw.get("emission_basis") or {}
        plus = tuple(str(s) for s in basis.get("plus", ()))
        if not plus:
            raise ParamsError("emission_basis.plus must list at least one source type")
        b = raw.get("benchmark") or {}
        outliers = b.get("outliers") or {}
        tier3 = b.get("max_tier3_share", 0.5)
        rule = BenchmarkRule(
            average=str(b.get("average", "ratio_of_sums")),
            group=str(b.get("group", "division")),
            fallback=tuple(str(x) for x in b.get("fallback", ("section", "region"))),
            min_group_size=int(b.get("min_group_size", 5)),
            outlier_method=str(outliers.get("method", "iqr")),
            outlier_k=float(outliers.get("k", 3.0)),
            outlier_side=str(outliers.get("side", "upper")),
            max_tier3_share=None if tier3 is None else float(tier3),
            exclude_non_positive=bool(b.get("exclude_non_positive", True)),
        )
        if rule.average not in AVERAGES:
            raise ParamsError(f"benchmark.average must be one of {', '.join(AVERAGES)}")
        if any(lvl not in LEVELS for lvl in rule.chain):
            raise ParamsError(f"benchmark.group/fallback must be among {', '.join(LEVELS)}")
        if rule.min_group_size < 1:
            raise ParamsError("benchmark.min_group_size must be at least 1")
        if rule.outlier_method not in ("iqr", "none") or rule.outlier_side not in ("upper", "both"):
            raise ParamsError("benchmark.outliers: method iqr|none, side upper|both")
        dims = tuple(
            Dimension(
                key=str(k),
                weight=float(d.get("weight", 1.0)),
                bounds=_ascending(d.get("bounds", ()), f"dimensions.{k}.bounds"),
                scores=tuple(float(s) for s in d.get("scores", ())),
                metric=str(d.get("metric", "")),
            )
            for k, d in (raw.get("dimensions") or {}).items()
        )
        nr = raw.get("neutrality") or {}
        neutrality = NeutralityRule(
            denominator=str(nr.get("denominator", "total")),
            count_held=bool(nr.get("count_held", False)),
            cap_certificates=bool(nr.get("cap_certificates", True)),
            net_of_exported=bool(nr.get("net_of_exported", True)),
        )
        if neutrality.denominator not in ("total", "basis"):
            raise ParamsError("neutrality.denominator must be total or basis")
        params = cls(
            method=method,
            plus=plus,
            minus=tuple(str(s) for s in basis.get("minus", ())),
            min_months=int(raw.get("min_months", 12)),
            level_bounds=_ascending(raw.get("level_bounds", ()), "level_bounds"),
            grade_bounds=_ascending(raw.get("grade_bounds", ()), "grade_bounds"),
            benchmark=rule,
            dimensions=dims,
            required_dimensions=tuple(str(x) for x in raw.get("required_dimensions", ("advancement",))),
            colour_bounds=tuple(float(x) for x in raw.get("colour_bounds", ())),
            colours=tuple(str(x) for x in raw.get("colours", ("dark_green", "light_green", "yellow", "red"))),
            compare_decimals=int(raw.get("compare_decimals", 9)),
            validity_years=int(raw.get("validity_years", 1)),
            neutrality=neutrality,
        )
        params._check()
        return params

    def _check(self) -> None:
        if self.method == METHOD_EFFICIENCY_CODE:
            if len(self.level_bounds) != 2:
                raise ParamsError("level_bounds must have two values (低碳/中碳, 中碳/高碳)")
            if len(self.grade_bounds) != 4:
                raise ParamsError("grade_bounds must have four values (grades 1–5)")
        else:
            keys = {d.key for d in self.dimensions}
            if keys - set(DIMENSIONS) or not keys:
                raise ParamsError(f"dimensions must be among {', '.join(DIMENSIONS)}")
            for d in self.dimensions:
                if len(d.scores) != len(d.bounds) + 1:
                    raise ParamsError(f"dimensions.{d.key}: scores needs one more value than bounds")
                if d.weight <= 0:
                    raise ParamsError(f"dimensions.{d.key}.weight must be positive")
            contribution = self.dimension("contribution")
            if contribution and contribution.metric not in ("intensity_ratio", "share"):
                raise ParamsError("dimensions.contribution.metric must be intensity_ratio or share")
            decline = self.dimension("decline")
            if decline and decline.metric not in ("previous_year", "mean_3y"):
                raise ParamsError("dimensions.decline.metric must be previous_year or mean_3y")
            if set(self.required_dimensions) - keys:
                raise ParamsError("required_dimensions must name configured dimensions")
            if len(self.colours) != 4 or len(self.colour_bounds) != 3:
                raise ParamsError("colours needs four values and colour_bounds three")
            if list(self.colour_bounds) != sorted(self.colour_bounds, reverse=True):
                raise ParamsError("colour_bounds must be descending (dark green first)")

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)

    @property
    def history_years(self) -> int:
        """How many earlier years the decline dimension reads (0: none)."""
        d = self.dimension("decline") if self.method == METHOD_THREE_DIM else None
        return 0 if d is None else (3 if d.metric == "mean_3y" else 1)


def _ascending(values: Any, name: str) -> tuple[float, ...]:
    out = tuple(float(v) for v in values or ())
    if list(out) != sorted(out) or len(set(out)) != len(out):
        raise ParamsError(f"{name} must be strictly ascending")
    return out
