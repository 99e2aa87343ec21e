"""The grade-distribution chart (Altair → inline SVG through dualcarbon.ui.charts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from dualcarbon.ui.charts import to_svg

#: the colour each mark is drawn in (碳效码 grades 1–5 and 三维四色 colours share one scale)
HEX = {
    "dark_green": "#1f6f54",
    "light_green": "#8cc084",
    "yellow": "#e3c14a",
    "orange": "#d98b3a",
    "red": "#b5504b",
    "": "#b9bec4",
}


def distribution(rows: Sequence[dict[str, Any]], width: int = 420) -> SafeString:
    """One bar per grade/colour (rows of queries.region_ratings().distribution)."""
    if not rows:
        return SafeString("")
    frame = pd.DataFrame.from_records(
        [{"label": r["label"], "n": r["n"], "colour": HEX.get(r["colour"], HEX[""])} for r in rows]
    )
    order = [str(r["label"]) for r in rows]
    chart = (
        alt.Chart(frame)
        .mark_bar(size=28)
        .encode(
            x=alt.X("label:N", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("n:Q", title=_("企业数"), axis=alt.Axis(format="d")),
            color=alt.Color("colour:N", scale=None, legend=None),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("n:Q")],
        )
        .properties(width=width, height=200)
    )
    return to_svg(chart)
