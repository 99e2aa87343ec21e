"""Issue 11: the public methods section was a plain list of English headings with no links. The statistics page
now lists each numbered section of docs/methods.md in the reader's language, each linking to that section of the
public /methods/ page, which renders the document (raw HTML in the source escaped)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dualcarbon.monitoring import methods

STATS, METHODS = reverse("public-stats"), reverse("public-methods")


def _outline(html: str) -> list[tuple[str, str]]:
    block = html.split('<ul id="methods-outline">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', block)


@pytest.mark.django_db
def test_statistics_link_each_section_by_its_chinese_name(client):
    links = _outline(client.get(STATS).content.decode())
    # the sections of docs/methods.md as published: § 0 … § 18, each by its Chinese term first
    assert links[1] == (
        f"{METHODS}#1-total-emissions-per-gb-t-32150-2015",
        "1 排放总量（Total emissions per GB/T 32150-2015）",
    )
    assert links[2] == (f"{METHODS}#2-fuel-combustion", "2 化石燃料燃烧排放（Fuel combustion）")
    assert [label.split(" ", 1)[0] for _, label in links[:19]] == [str(n) for n in range(19)]
    assert links[16][1] == "16 节能量折算减排量（Energy saved → CO2 avoided）"
    assert links[17][1] == "17 双碳指数（Dual-carbon index）"
    assert links[18][1] == "18 集团碳盘查合并（Group consolidation）"
    assert links[19][1] == "参考（References）"
    # every link lands on a heading of the methods page
    page = client.get(METHODS)
    assert page.status_code == 200
    body = page.content.decode()
    for href, _label in links:
        assert f'id="{href.split("#", 1)[1]}"' in body, href


@pytest.mark.django_db
def test_methods_page_in_english_and_without_login(client):
    links = _outline(client.get(STATS, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert links[2][1] == "2 Fuel combustion"
    body = client.get(METHODS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Accounting methods</h1>" in body
    # the document itself: its formula section and a table rendered as a table
    assert '<h2 id="2-fuel-combustion">2. Fuel combustion (化石燃料燃烧排放)</h2>' in body
    assert '<table class="table compact">' in body


def test_raw_html_in_the_document_is_escaped_and_anchors_are_unique():
    doc = methods.render(
        "# T\n\n## 1. A (甲)\n\n<script>alert(1)</script>\n\n## 1. A (甲)\n\n### Formula\n\n### Formula\n"
    )
    assert "<script>" not in doc.html and "&lt;script&gt;" in doc.html
    assert [h.anchor for h in doc.headings] == ["t", "1-a", "1-a-2", "formula", "formula-2"]
    assert [h.label(True) for h in doc.outline()] == ["1 甲（A）", "1 甲（A）"]
