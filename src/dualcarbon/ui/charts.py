"""Chart rendering: one Vega-Lite definition (Altair) rendered offline to inline SVG by vl-convert.

The same SVG goes into the page and into the PDF report; no JavaScript, no CDN.
"""

from __future__ import annotations

import re
from typing import Any

import vl_convert as vlc
from django.utils.safestring import SafeString, mark_safe

#: one font stack for every chart (page and PDF): the CJK face the server measures text with first, then the
#: faces a reader's system has, ending in sans-serif (never the browser's default serif)
FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", system-ui, sans-serif'
PALETTE = ["#1f6f54", "#8cc084", "#d98b3a", "#4f7cac", "#b5504b", "#7d6ba8", "#6a8a82"]


def configure(chart: Any) -> Any:
    """House style: one CJK font stack for every text (titles, axes, legends, marks), quiet axes, no border."""
    return (
        chart.configure(font=FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(labelColor="#444", titleColor="#444", gridColor="#e6e9ec", domainColor="#bbb", tickColor="#bbb")
        .configure_legend(orient="top", labelColor="#333", titleColor="#333", symbolType="square")
    )


def to_svg(chart: Any) -> SafeString:
    """Render an Altair chart to an SVG string that can be inlined in HTML (and in WeasyPrint's PDF)."""
    spec = configure(chart).to_dict(validate=False)
    svg = vlc.vegalite_to_svg(spec)
    # drop the fixed pixel size so CSS can scale the chart; the viewBox keeps the proportions
    head, sep, rest = svg.partition(">")
    if head.startswith("<svg"):
        head = re.sub(r'\s(width|height)="[^"]*"', "", head, count=2)
        head += ' preserveAspectRatio="xMinYMin meet" role="img"'
        svg = head + sep + rest
    # produced by vl-convert from our own spec; every text node is XML-escaped
    return mark_safe(svg)
