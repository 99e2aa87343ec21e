"""Issue 11: every chart uses one font stack (ui/charts.py), whatever it draws — titles, axes, legends, text marks."""

from __future__ import annotations

import re
from html import unescape

import altair as alt
import pandas as pd

from dualcarbon.ui import charts

STACK = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", system-ui, sans-serif'


def _families(chart: alt.Chart) -> set[str]:
    return {unescape(f) for f in re.findall(r'font-family="([^"]*)"', str(charts.to_svg(chart)))}


def test_a_bar_chart_with_a_legend_and_a_title():
    data = pd.DataFrame({"月份": ["2024-01", "2024-02"], "tCO2e": [1.0, 2.0], "范围": ["范围一", "范围二"]})
    chart = alt.Chart(data).mark_bar().encode(x="月份", y="tCO2e", color="范围").properties(title="排放")
    assert _families(chart) == {STACK}


def test_a_line_chart_with_text_marks():
    data = pd.DataFrame({"x": [1, 2], "y": [3.0, 4.0], "t": ["高", "低"]})
    base = alt.Chart(data).encode(x="x:Q", y="y:Q")
    assert _families(base.mark_line() + base.mark_text(dy=-8).encode(text="t")) == {STACK}
