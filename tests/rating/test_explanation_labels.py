"""Every explanation item on the grade page has a label in the page's language (never the engine's English key)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from django.utils import translation

from dualcarbon.engine import rating as engine
from dualcarbon.rating import queries, services
from dualcarbon.rating.models import RatingResult
from tests.engine.test_rating import QZ, QZ_L, ZJ, _history, monthly, params, run
from tests.rating.helpers import YEAR, rated_world

BACKEND = "django.contrib.auth.backends.ModelBackend"
#: every code engine.rating.explain emits (the dimensions and exclusions come from its own tables)
ENGINE_CODES = {
    "inputs",
    "not_rated",
    "benchmark",
    "level",
    "grade",
    "colour",
    "neutrality",
    "neutrality_term",
    *engine.DIMENSIONS,
    *(f"excluded_{flag}" for flag in engine.EXCLUSIONS),
}


def _codes(results: Any) -> set[str]:
    return {i["code"] for items in results["explanation"] for i in items}


def _emitted() -> set[str]:
    """Codes of real explanations: 碳效码 with outlier/tier-3/non-positive/fallback/unrated firms, and 三维四色."""
    rows = [{"l": v} for v in (0.8, 0.9, 1.0, 1.1, 1.2, 50.0)]
    rows += [{"l": 1.5, "tier3": 0.9}, {"l": -0.5}, {"l": 1.0, "division": "31"}]
    frame = monthly(rows)
    frame.loc[frame.index[-1] + 1] = {**frame.iloc[0].to_dict(), "enterprise": 99, "value_added": np.nan}
    p = params(ZJ)
    codes = _codes(engine.rate(engine.period_figures(frame, p), p).results)
    codes |= _codes(run([{"l": v} for v in QZ_L], params(QZ), history=_history([1.04] * 5)).results)
    return codes


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_every_engine_code_has_a_label_in_both_languages(lang: str) -> None:
    emitted = _emitted()
    assert {"excluded_outlier", "excluded_tier3", "not_rated", "advancement", "colour"} <= emitted
    missing = (ENGINE_CODES | emitted) - set(queries.EXPLANATION_LABELS)
    assert not missing, f"explanation codes without a label: {sorted(missing)}"
    with translation.override(lang):
        labels = {code: str(label) for code, label in queries.EXPLANATION_LABELS.items()}
    for code, label in labels.items():
        assert label and label != code, code
        has_han = bool(re.search(r"[\u4e00-\u9fff]", label))
        assert has_han == (lang != "en"), (lang, code, label)  # Chinese on the Chinese page, English on the English


@pytest.mark.django_db
def test_grade_page_shows_translated_labels_not_keys(client) -> None:
    rw = rated_world()
    services.rate_region("3399", YEAR)
    result = RatingResult.objects.get(enterprise=rw.cement, is_current=True, month=0)
    codes = [i["code"] for i in result.explanation]
    assert {"inputs", "benchmark", "level", "grade"} <= set(codes)
    client.force_login(rw.users["cement"], backend=BACKEND)
    url = reverse("rating:enterprise", args=[rw.cement.pk]) + f"?year={YEAR}"
    for lang, expected in (
        ("zh-hans", ["计算输入", "行业对标值", "碳排放水平", "碳效等级"]),
        ("en", ["Inputs", "Industry benchmark", "Carbon level", "Carbon-efficiency grade"]),
    ):
        with translation.override(lang):
            html = client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        block = html.split('<ul class="explain">', 1)[1].split("</ul>", 1)[0]
        shown = [unescape(s).strip() for s in re.findall(r'<span class="code">([^<]*)</span>', block)]
        assert len(shown) == len(codes), (lang, shown)
        assert not set(shown) & set(codes), (lang, shown)  # no raw key such as "inputs" or "benchmark"
        for word in expected:
            assert word in shown, (lang, word, shown)
