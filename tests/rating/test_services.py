"""Rating a small world: results, benchmarks, schemes chosen by region, history, appeals."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from dualcarbon.rating import services
from dualcarbon.rating.models import (
    Appeal,
    IndustryBenchmark,
    RatingResult,
    RatingRun,
    RatingScheme,
    RegionRatingChoice,
    VerificationLabel,
)
from dualcarbon.reporting import services as reporting
from dualcarbon.reporting.models import Submission
from tests.rating.helpers import CEMENT_COAL, TYPO_MONTH, YEAR, month_data, rated_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def rw():
    return rated_world()


def current(org) -> RatingResult:
    return RatingResult.objects.get(enterprise=org, year=YEAR, month=0, is_current=True)


def test_seeded_schemes_are_valid_configuration():
    zj = RatingScheme.objects.get(code="zj-efficiency-code", version=1)
    qz = RatingScheme.objects.get(code="qz-3d4c", version=1)
    for scheme in (zj, qz):
        scheme.full_clean()
        assert scheme.engine_params().benchmark.min_group_size == 5
    assert zj.params["grade_bounds"] == [0.6, 0.8, 1.2, 2.0] and zj.params["level_bounds"] == [0.6, 2.0]
    assert zj.params["benchmark"]["average"] == "ratio_of_sums"
    assert qz.params["colour_bounds"] == [2.5, 1.75, 1.0]
    # the seeding migration writes through the historical model, which records no history
    assert zj.history.count() == 0 and qz.history.count() == 0


def test_publishing_scheme_versions_is_recorded_in_the_history():
    """django-simple-history keeps every change to a scheme: each version published, each end of the one before."""
    zj = RatingScheme.objects.get(code="zj-efficiency-code", version=1)
    fields = {"code": zj.code, "method": zj.method, "name_zh": zj.name_zh}
    v2 = services.publish_scheme_version(
        datetime.date(2025, 1, 1), version=2, params={**zj.params, "grade_bounds": [0.5, 0.8, 1.2, 2.0]}, **fields
    )
    services.publish_scheme_version(datetime.date(2026, 1, 1), version=3, params=zj.params, **fields)

    # version 1: one change, its end (valid_to is exclusive: the day version 2 starts)
    (ended,) = zj.history.all()
    assert (ended.history_type, ended.version, ended.valid_from, ended.valid_to) == (
        "~",
        1,
        datetime.date(2020, 1, 1),
        datetime.date(2025, 1, 1),
    )
    # version 2: created open-ended with its own thresholds, then ended by version 3
    created, closed = v2.history.order_by("history_id")
    assert (created.history_type, created.valid_to, created.params["grade_bounds"]) == ("+", None, [0.5, 0.8, 1.2, 2.0])
    delta = closed.diff_against(created)
    assert closed.history_type == "~"
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("valid_to", None, datetime.date(2026, 1, 1))]
    assert RatingScheme.history.filter(code="zj-efficiency-code").count() == 4  # v1 ~, v2 + ~, v3 +


def test_rating_a_small_world_stores_results_and_benchmarks(rw):
    summary = services.rate_region("3399", YEAR)
    assert summary.results == 7 and summary.graded == 7  # 示范市: cement, steel, five peers; not 杭州
    assert len(summary.runs) == 1 and summary.runs[0].population == "339900"
    assert not RatingResult.objects.filter(enterprise=rw.world.other_city_firm).exists()

    division = IndustryBenchmark.objects.get(population="339900", year=YEAR, level="division", code="30")
    assert division.n_candidates == 6 and division.n_included == 5
    assert division.n_excluded == {"tier3": 0, "non_positive": 0, "outlier": 1}  # cement's kg-for-t month
    assert division.average == "ratio_of_sums"
    assert division.value == pytest.approx(division.sum_emissions / division.sum_value_added)
    assert IndustryBenchmark.objects.filter(population="339900", level="section", code="C").exists()

    cement = current(rw.cement)
    assert cement.scheme.code == "zj-efficiency-code" and cement.status == RatingResult.Status.GRADED
    assert cement.grade == 5 and cement.level == "high" and "outlier" in cement.flags
    assert cement.benchmark == division
    assert cement.k_value == pytest.approx(cement.intensity_l / division.value)
    assert len(cement.inputs["entries"]) == 12 and cement.inputs["months"] == 12
    assert cement.inputs["own_zero_carbon_generation"] is None  # not reported: nothing invented
    # nothing declared: the neutrality rate is 0, and the result says why
    assert cement.neutrality_rate == 0.0 and cement.inputs["neutrality"]["reason"] == "no_declarations"
    codes = [i["code"] for i in cement.explanation]
    assert codes[:2] == ["inputs", "benchmark"] and {"level", "grade", "neutrality", "excluded_outlier"} <= set(codes)
    grade = next(i for i in cement.explanation if i["code"] == "grade")
    assert grade["crossed"] == [0.6, 0.8, 1.2, 2.0] and "K > 2 → 5 级" in grade["zh"]
    assert cement.valid_from == datetime.date(2025, 1, 1) and cement.valid_until == datetime.date(2025, 12, 31)

    steel = current(rw.world.steel)  # alone in division 31: falls back to section C
    assert steel.benchmark is not None and steel.benchmark.level == "section" and "benchmark_fallback" in steel.flags
    assert VerificationLabel.objects.filter(enterprise=rw.cement).count() == 1


def test_rerating_keeps_the_history(rw):
    services.rate_region("339900", YEAR)
    first = current(rw.cement)
    label = VerificationLabel.objects.get(enterprise=rw.cement).token
    services.rate_region("339901", YEAR)  # a district: its population (the prefecture) is re-rated whole
    second = current(rw.cement)
    assert second.pk != first.pk and second.supersedes_id == first.pk
    first.refresh_from_db()
    assert not first.is_current and first.grade == 5  # still readable
    assert RatingResult.objects.filter(enterprise=rw.world.steel).count() == 2
    assert IndustryBenchmark.objects.filter(is_current=True, level="division", code="30").count() == 1
    assert IndustryBenchmark.objects.filter(level="division", code="30").count() == 2
    assert RatingRun.objects.count() == 2
    assert VerificationLabel.objects.get(enterprise=rw.cement).token == label  # printed labels stay valid


def test_a_region_chooses_its_scheme_and_the_most_specific_choice_wins(rw):
    qz = RatingScheme.objects.get(code="qz-3d4c")
    zj = RatingScheme.objects.get(code="zj-efficiency-code")
    RegionRatingChoice.objects.create(region=rw.world.city, scheme=qz, valid_from=datetime.date(2020, 1, 1))
    assert services.scheme_for_region("339901", datetime.date(2024, 12, 31)) == qz
    services.rate_region("3399", YEAR)
    peer = current(rw.peers[0])
    assert peer.scheme == qz and peer.grade is None and peer.colour in {"dark_green", "light_green", "yellow", "red"}
    assert peer.score is not None and "decline" in peer.inputs  # no 2023 data: decline not scored
    assert next(i for i in peer.explanation if i["code"] == "decline")["zh"].startswith("自身下降率")

    # 西城区 (steel) chooses the Zhejiang code from 2024: its own population, its own benchmark groups
    RegionRatingChoice.objects.create(region=rw.world.district_b, scheme=zj, valid_from=datetime.date(2024, 1, 1))
    summary = services.rate_region("3399", YEAR)
    assert sorted(r.population for r in summary.runs) == ["339900", "339902"]
    steel = current(rw.world.steel)
    assert steel.scheme == zj and steel.population == "339902"
    assert current(rw.peers[1]).scheme == qz  # 东城区 peers stay with the city's choice
    assert current(rw.peers[0]).scheme == zj  # peers 0, 2, 4 are in 西城区

    # a new version of a scheme applies to the periods it is valid for
    v2 = services.publish_scheme_version(
        datetime.date(2025, 1, 1),
        code="zj-efficiency-code",
        version=2,
        method=zj.method,
        name_zh=zj.name_zh,
        params={**zj.params, "grade_bounds": [0.5, 0.8, 1.2, 2.0]},
    )
    assert services.scheme_version("zj-efficiency-code", datetime.date(2024, 12, 31)) == zj
    assert services.scheme_version("zj-efficiency-code", datetime.date(2025, 12, 31)) == v2


def test_rate_command(rw):
    out = StringIO()
    call_command("rate", "--year", str(YEAR), "--region", "3399", stdout=out)
    assert "rated 2024: 7 enterprise(s)" in out.getvalue()
    assert RatingResult.objects.filter(is_current=True).count() == 7


# ------------------------------------------------------------------------------------ appeals


def test_an_appeal_correcting_a_data_point_changes_the_grade_and_keeps_the_history(rw):
    services.rate_region("3399", YEAR)
    before = current(rw.cement)
    assert before.grade == 5
    user = rw.users["cement"]
    appeal = services.appeal(
        user,
        before,
        "3 月原煤误按千克填报",
        [services.Correction(TYPO_MONTH, reporting.DraftData(**month_data(CEMENT_COAL)))],
    )
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.RERATED
    after = current(rw.cement)
    assert after.pk != before.pk and after.supersedes_id == before.pk
    assert after.grade == 3 and appeal.grade_before == "5" and appeal.grade_after == "3"
    assert appeal.new_result == after and after.run.reason == "appeal"
    assert after.benchmark == before.benchmark  # re-rated against the published benchmark
    before.refresh_from_db()
    assert not before.is_current and before.grade == 5 and before.inputs["entries"]  # old result readable

    # the correction went through the reporting workflow: version 2 with the reason, version 1 kept
    versions = Submission.objects.filter(enterprise=rw.cement, period__year=YEAR, period__month=TYPO_MONTH)
    v1, v2 = versions.order_by("version")
    assert (v1.version, v2.version) == (1, 2) and v2.is_current and not v1.is_current
    assert "3 月原煤误按千克填报" in v2.reason
    assert list(appeal.corrections.all()) == [v2]
    assert set(after.inputs["entries"]) != set(before.inputs["entries"])
    # other enterprises keep their grades until the next batch
    assert RatingResult.objects.filter(enterprise=rw.peers[0]).count() == 1


def test_an_appeal_waits_for_the_correction_to_be_submitted(rw):
    services.rate_region("3399", YEAR)
    result = current(rw.cement)
    user = rw.users["cement"]
    appeal = services.appeal(user, result, "3 月煤量单位错误", [services.Correction(TYPO_MONTH)])
    assert appeal.status == Appeal.Status.AWAITING
    draft = appeal.corrections.get()
    assert draft.status == Submission.Status.DRAFT and draft.version == 2
    with pytest.raises(services.RatingError):
        services.finish_appeal(user, appeal)
    with pytest.raises(services.RatingError):  # one open appeal per result
        services.appeal(user, result, "再次申诉", [services.Correction(TYPO_MONTH)])
    assert current(rw.cement).pk == result.pk  # nothing re-rated yet

    reporting.save_draft(user, draft, reporting.DraftData(**month_data(CEMENT_COAL)))
    reporting.submit(user, draft)
    done = services.finish_ready_appeals(user, rw.cement)
    assert [a.pk for a in done] == [appeal.pk]
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.RERATED and appeal.grade_after == "3"
    assert RatingResult.objects.filter(enterprise=rw.cement).count() == 2


def test_only_the_enterprise_itself_appeals(rw):
    services.rate_region("3399", YEAR)
    result = current(rw.cement)
    for name in ("steel", "gov", "admin", "bank"):
        with pytest.raises(PermissionDenied):
            services.appeal(rw.users[name], result, "越权申诉", [services.Correction(TYPO_MONTH)])
    with pytest.raises(services.RatingError):
        services.appeal(rw.users["cement"], result, "  ", [services.Correction(TYPO_MONTH)])
    assert not Appeal.objects.exists()
    assert Submission.objects.filter(enterprise=rw.cement, version=2).count() == 0
