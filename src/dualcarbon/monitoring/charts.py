"""Dashboard charts (Altair → inline SVG by dualcarbon.ui.charts; the same SVG goes into the PDF)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import altair as alt
import pandas as pd
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from dualcarbon.rating.models import GRADE_COLOURS
from dualcarbon.ui.charts import PALETTE, to_svg

COLOUR_HEX = {
    "dark_green": "#1f6f54",
    "light_green": "#8cc084",
    "yellow": "#e3c04a",
    "orange": "#d98b3a",
    "red": "#b5504b",
}


def trend(months: Iterable[dict[str, Any]], year: int, width: int = 520) -> SafeString:
    """The year's months against the same months of the year before (tCO2e)."""
    cur, prev = str(year), str(year - 1)
    records = []
    for r in months:
        if r["total"] is not None:
            records.append({"m": f"{r['month']:02d}", "y": cur, "v": r["total"]})
        if r["prev_total"] is not None:
            records.append({"m": f"{r['month']:02d}", "y": prev, "v": r["prev_total"]})
    if not records:
        return SafeString("")
    chart = (
        alt.Chart(pd.DataFrame.from_records(records))
        .mark_line(point=alt.OverlayMarkDef(size=30, filled=True), strokeWidth=2)
        .encode(
            x=alt.X("m:O", title=_("月份"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("v:Q", title="tCO2e", axis=alt.Axis(format="~s")),
            color=alt.Color("y:N", title=None, scale=alt.Scale(domain=[cur, prev], range=[PALETTE[0], "#9aa5a1"])),
        )
        .properties(width=width, height=200)
    )
    return to_svg(chart)


def grades(rows: Iterable[dict[str, Any]], width: int = 320) -> SafeString:
    records = []
    for r in rows:
        if not r["mark"]:
            continue
        colour = r["colour"] or GRADE_COLOURS.get(r["grade"] or 0, "")
        records.append({"k": r["mark"], "n": r["n"], "c": COLOUR_HEX.get(colour, PALETTE[3])})
    if not records:
        return SafeString("")
    chart = (
        alt.Chart(pd.DataFrame.from_records(records))
        .mark_bar()
        .encode(
            x=alt.X("k:N", title=_("等级"), sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("n:Q", title=_("企业数")),
            color=alt.Color("c:N", scale=None, legend=None),
        )
        .properties(width=width, height=160)
    )
    return to_svg(chart)


def bars(rows: Iterable[dict[str, Any]], label: str, value: str, width: int = 320) -> SafeString:
    records = [{"d": str(r[label]), "v": float(r[value] or 0.0)} for r in rows]
    if not records:
        return SafeString("")
    chart = (
        alt.Chart(pd.DataFrame.from_records(records))
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y("d:N", title=None, sort="-x"),
            x=alt.X("v:Q", title="tCO2e", axis=alt.Axis(format="~s")),
        )
        .properties(width=width, height=max(60, 18 * len(records)))
    )
    return to_svg(chart)
