"""Planning charts (Altair → inline SVG by dualcarbon.ui.charts; the same SVG goes into the PDF)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from dualcarbon.engine.macc import Macc, PathYear
from dualcarbon.ui.charts import PALETTE, to_svg


def macc(curve: Macc, width: int = 560) -> SafeString:
    """Bars as wide as each measure's tCO2 a year, as high as its cost per tCO2, cheapest first."""
    if not curve.rows:
        return SafeString("")
    records: list[dict[str, Any]] = [
        {
            "x0": float(r.x_start),
            "x1": float(r.x_end),
            "y": float(r.marginal_cost or 0),
            "name": r.name,
            "colour": PALETTE[0] if (r.marginal_cost or 0) < 0 else PALETTE[2],
        }
        for r in curve.rows
    ]
    data = pd.DataFrame.from_records(records)
    bars = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("x0:Q", title=_("累计年减排量（tCO2/年）"), axis=alt.Axis(format="~s")),
            x2="x1:Q",
            y=alt.Y("y:Q", title=_("边际减排成本（元/tCO2）")),
            y2=alt.datum(0),
            color=alt.Color("colour:N", scale=None),
            tooltip=["name:N", "y:Q"],
        )
    )
    labels = (
        alt.Chart(data)
        .transform_calculate(xm="(datum.x0 + datum.x1) / 2")
        .mark_text(angle=270, align="left", dx=4, fontSize=10, color="#333")
        .encode(x="xm:Q", y=alt.datum(0), text="name:N")
    )
    zero = alt.Chart(pd.DataFrame({"z": [0]})).mark_rule(color="#888").encode(y="z:Q")
    return to_svg((bars + zero + labels).properties(width=width, height=260))


def path(rows: list[PathYear], target: float | None, width: int = 560) -> SafeString:
    """The baseline (no measures) and the planned path, year by year, with the target if there is one."""
    if not rows:
        return SafeString("")
    base, planned = _("无措施"), _("实施规划后")
    records = []
    for r in rows:
        records.append({"year": str(r.year), "series": base, "v": float(r.baseline)})
        records.append({"year": str(r.year), "series": planned, "v": float(r.planned)})
    lines = (
        alt.Chart(pd.DataFrame.from_records(records))
        .mark_line(point=alt.OverlayMarkDef(size=24, filled=True), strokeWidth=2)
        .encode(
            x=alt.X("year:O", title=_("年份"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("v:Q", title="tCO2e", axis=alt.Axis(format="~s"), scale=alt.Scale(zero=True)),
            color=alt.Color(
                "series:N", title=None, scale=alt.Scale(domain=[base, planned], range=["#9aa5a1", PALETTE[0]])
            ),
        )
    )
    chart = lines
    if target is not None:
        rule = (
            alt.Chart(pd.DataFrame({"t": [target], "label": [_("目标")]}))
            .mark_rule(color=PALETTE[4], strokeDash=[5, 4])
            .encode(y="t:Q")
        )
        chart = lines + rule
    return to_svg(chart.properties(width=width, height=240))


def scenarios(series: list[tuple[str, list[tuple[int, float]]]], target: float | None, width: int = 600) -> SafeString:
    """Each scenario's regional total, year by year, with the target as a dashed line."""
    records = [{"year": str(y), "scenario": name, "v": v} for name, points in series for y, v in points]
    if not records:
        return SafeString("")
    names = [name for name, _p in series]
    lines = (
        alt.Chart(pd.DataFrame.from_records(records))
        .mark_line(point=alt.OverlayMarkDef(size=20, filled=True), strokeWidth=2)
        .encode(
            x=alt.X("year:O", title=_("年份"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("v:Q", title="tCO2e", axis=alt.Axis(format="~s"), scale=alt.Scale(zero=False)),
            color=alt.Color("scenario:N", title=None, scale=alt.Scale(domain=names, range=PALETTE[: len(names)])),
        )
    )
    chart = lines
    if target is not None:
        chart = lines + alt.Chart(pd.DataFrame({"t": [target]})).mark_rule(color=PALETTE[4], strokeDash=[5, 4]).encode(
            y="t:Q"
        )
    return to_svg(chart.properties(width=width, height=260))


def sectors(rows: list[tuple[str, int, float]], width: int = 600) -> SafeString:
    """A scenario's total by sector, stacked, year by year (label, year, tCO2e)."""
    if not rows:
        return SafeString("")
    data = pd.DataFrame.from_records([{"sector": s, "year": str(y), "v": v} for s, y, v in rows])
    chart = (
        alt.Chart(data)
        .mark_area(opacity=0.85)
        .encode(
            x=alt.X("year:O", title=_("年份"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("v:Q", title="tCO2e", stack="zero", axis=alt.Axis(format="~s")),
            color=alt.Color("sector:N", title=None, scale=alt.Scale(range=PALETTE)),
        )
        .properties(width=width, height=240)
    )
    return to_svg(chart)
