"""The account and region charts (Altair definitions; rendered to inline SVG by dualcarbon.ui.charts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import altair as alt
import pandas as pd
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from dualcarbon.ui.charts import PALETTE, to_svg


def _monthly(rows: Iterable[tuple[str, float | None, float | None, float | None]], width: int) -> SafeString:
    """Stacked scope 1 / scope 2 bars per month with the net total as a line."""
    records: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    s1_label, s2_label, total_label = _("范围一"), _("范围二"), _("合计（净）")
    month_title, value_title = _("月份"), _("tCO2e")
    for label, s1, s2, total in rows:
        if total is None:
            continue
        records.append({"m": label, "k": s1_label, "v": s1 or 0.0, "o": 0})
        records.append({"m": label, "k": s2_label, "v": s2 or 0.0, "o": 1})
        totals.append({"m": label, "k": total_label, "v": total})
    if not records:
        return SafeString("")
    order: list[str] = [str(r["m"]) for r in totals]
    bars = (
        alt.Chart(pd.DataFrame.from_records(records))
        .mark_bar(size=18)
        .encode(
            x=alt.X("m:O", title=month_title, sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("v:Q", title=value_title, stack="zero", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "k:N",
                title=None,
                scale=alt.Scale(domain=[s1_label, s2_label, total_label], range=[PALETTE[0], PALETTE[1], PALETTE[2]]),
            ),
            order=alt.Order("o:Q"),
            tooltip=[alt.Tooltip("m:O"), alt.Tooltip("k:N"), alt.Tooltip("v:Q", format=",.2f")],
        )
    )
    line = (
        alt.Chart(pd.DataFrame.from_records(totals))
        .mark_line(point=alt.OverlayMarkDef(size=36, filled=True), strokeWidth=2)
        .encode(
            x=alt.X("m:O", sort=order),
            y=alt.Y("v:Q"),
            color=alt.Color("k:N"),
        )
    )
    return to_svg(alt.layer(bars, line).properties(width=width, height=220))


def account_trend(months: Iterable[Any], width: int = 640) -> SafeString:
    """The enterprise's year, month by month (rows are queries.MonthRow)."""
    return _monthly(
        (
            (row.label, row.entry.scope1_tco2e, row.entry.scope2_tco2e, row.entry.total_tco2e)
            if row.entry is not None
            else (row.label, None, None, None)
            for row in months
        ),
        width,
    )


def region_trend(months: Iterable[dict[str, Any]], width: int = 640) -> SafeString:
    """The region's months (rows of queries.region_view().months)."""
    return _monthly(((f"{r['month']:02d}", r["scope1"], r["scope2"], r["total"]) for r in months), width)


def region_districts(districts: Iterable[dict[str, Any]], width: int = 300) -> SafeString:
    records = [{"d": r["name"] or r["region_code"], "v": r["total"] or 0.0} for r in districts]
    if not records:
        return SafeString("")
    chart = (
        alt.Chart(pd.DataFrame.from_records(records))
        .mark_bar(color=PALETTE[0], size=14)
        .encode(
            y=alt.Y("d:N", title=None, sort="-x"),
            x=alt.X("v:Q", title=_("tCO2e"), axis=alt.Axis(format="~s")),
            tooltip=[alt.Tooltip("d:N"), alt.Tooltip("v:Q", format=",.2f")],
        )
        .properties(width=width, height=max(60, 22 * len(records)))
    )
    return to_svg(chart)
