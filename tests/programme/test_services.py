"""The programme's services: versioned lists and snapshots by date, scoping by locality, group and leading group,
dispatch alerts through monitoring (idempotent), progress reports, statistics uploads with located errors, and a
completed project's achieved reduction against its account."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import override

from dualcarbon.monitoring import scoping as monitoring_scoping
from dualcarbon.monitoring.models import Alert, Notification
from dualcarbon.programme import scoping, services
from dualcarbon.programme.models import EntryVersion, Project, Task
from tests.programme.conftest import TODAY, at

pytestmark = pytest.mark.django_db


def _messages(exc: ValidationError, lang: str = "zh-hans") -> dict[str, list[str]]:
    with override(lang):
        return exc.message_dict


def test_a_change_is_versioned_with_who_when_why_and_the_list_on_a_date_is_the_old_one(pw):
    p1 = pw.entries["p1"]
    lead = pw.users["industry"]
    services.update_entry(
        lead,
        p1,
        {"stage": "completed", "completion_date": "2024-09-30", "investment": "91500000"},
        "竣工验收，决算增加",
        at=at("2024-10-08"),
    )
    p1.refresh_from_db()
    assert (p1.version, p1.stage, p1.investment) == (2, "completed", Decimal("91500000.00"))
    v2 = EntryVersion.objects.get(kind="project", entry_id=p1.pk, version=2)
    assert v2.changed_by == lead and v2.reason == "竣工验收，决算增加" and v2.changed_at == at("2024-10-08")
    assert v2.changes["stage"] == ["construction", "completed"]
    assert v2.changes["investment"] == ["86000000.00", "91500000.00"]
    assert "name_zh" not in v2.changes  # only what changed

    before = {
        v.data["code"]: v
        for v in services.list_on(pw.users["gov"], "project", pw.programme, datetime.date(2024, 6, 30))
    }
    assert before["P-01"].version == 1 and before["P-01"].data["stage"] == "construction"
    assert before["P-01"].data["investment"] == "86000000.00"
    after = {v.data["code"]: v for v in services.list_on(pw.users["gov"], "project", pw.programme, TODAY)}
    assert after["P-01"].data["stage"] == "completed" and after["P-01"].version == 2
    # P-02 entered the list on 2024-04-01: not on 2024-03-31
    assert set(before) == {"P-01", "P-02"}
    assert {
        v.data["code"] for v in services.list_on(pw.users["gov"], "project", pw.programme, datetime.date(2024, 3, 31))
    } == {"P-01"}
    # retired: kept with its reason, off the list from that day
    services.retire_entry(pw.users["transport"], pw.entries["p2"], "并入省级项目")
    assert {v.data["code"] for v in services.list_on(pw.users["gov"], "project", pw.programme, TODAY)} == {"P-01"}
    with pytest.raises(ValidationError):  # versions are never changed
        v2.reason = "改写历史"
        v2.save()


def test_a_change_needs_a_reason_and_good_values_and_changes_nothing_otherwise(pw):
    p1 = pw.entries["p1"]
    with pytest.raises(ValidationError) as e:
        services.update_entry(pw.users["industry"], p1, {"investment": "9e9"}, "  ")
    assert "reason" in _messages(e.value)
    with pytest.raises(ValidationError) as e:
        services.update_entry(
            pw.users["industry"], p1, {"investment": "八千万", "start_date": "2024-13-01", "measures": "九降"}, "调整"
        )
    zh, en = _messages(e.value), _messages(e.value, "en")
    assert zh["investment"] == ["“八千万”不是数字"] and "is not a number" in en["investment"][0]
    assert "2024-13-01" in zh["start_date"][0] and "九降" in zh["measures"][0]
    with pytest.raises(ValidationError) as e:  # a model rule: completed needs its completion date
        services.update_entry(pw.users["industry"], p1, {"stage": "completed"}, "竣工")
    assert "completion_date" in _messages(e.value)
    with pytest.raises(ValidationError):  # the same values: no new version
        services.update_entry(pw.users["industry"], p1, {"stage": "construction"}, "无变化")
    p1.refresh_from_db()
    assert p1.version == 1 and EntryVersion.objects.filter(kind="project", entry_id=p1.pk).count() == 1


def test_only_the_owning_group_and_the_coordinators_change_an_entry(pw):
    p1 = pw.entries["p1"]
    for who in ("transport", "district"):
        with pytest.raises(PermissionDenied):
            services.update_entry(pw.users[who], p1, {"investment": "1"}, "越权")
    services.update_entry(pw.users["gov"], p1, {"investment": "87000000"}, "领导小组调度核定")
    assert EntryVersion.objects.filter(kind="project", entry_id=p1.pk).count() == 2


def test_scoping_locality_group_leading_group_enterprise(pw):
    codes = lambda user: set(scoping.tasks(user).values_list("code", flat=True))  # noqa: E731
    assert codes(pw.users["gov"]) == {"T-01", "T-02", "T-03", "T-04", "T-05"}  # the leading group: all
    assert codes(pw.users["district"]) == {"T-01", "T-03"}  # 东城区's staff: their locality
    assert codes(pw.users["industry"]) == {"T-01", "T-03"}  # the industry group: its own
    assert codes(pw.users["transport"]) == {"T-02", "T-04"}
    for outsider in ("cement", "bank", "verifier"):
        assert codes(pw.users[outsider]) == set()
        assert not scoping.sees_programme(pw.users[outsider]) or (outsider == "bank" and False)
        assert not scoping.entries(pw.users[outsider], "project").exists()
    assert set(scoping.entries(pw.users["district"], "project").values_list("code", flat=True)) == {"P-01"}
    assert set(scoping.entries(pw.users["transport"], "project").values_list("code", flat=True)) == {"P-02"}
    # an entry handed to another group leaves the first group's list from that day, not before
    services.update_entry(pw.users["gov"], pw.entries["p2"], {"group": "industry"}, "调整责任小组", at=at("2025-01-02"))
    on = {
        d: {v.data["code"] for v in services.list_on(pw.users["transport"], "project", pw.programme, d)}
        for d in (datetime.date(2024, 12, 31), datetime.date(2025, 1, 2))
    }
    assert on == {datetime.date(2024, 12, 31): {"P-02"}, datetime.date(2025, 1, 2): set()}
    # the snapshot follows the same rule, by the group and locality each version had
    assert {v.data["code"] for v in services.list_on(pw.users["district"], "project", pw.programme, TODAY)} == {"P-01"}


def test_an_overdue_task_raises_exactly_one_alert_and_tells_its_group(pw):
    r = services.check_dispatch(pw.programme, on=TODAY)
    assert (r.overdue, r.at_risk, r.created) == (1, 1, 2)
    overdue = Alert.objects.get(kind="programme_overdue")
    assert overdue.region_id == "339901" and overdue.severity == "high"
    assert "T-01" in overdue.message_zh and "20 天" in overdue.message_zh and "20 days overdue" in overdue.message_en
    assert overdue.evidence["task"] == pw.tasks["T-01"].pk and overdue.evidence["progress"] == 60
    assert Alert.objects.get(kind="programme_at_risk").evidence["code"] == "T-04"
    told = Notification.objects.filter(alert=overdue)
    assert {n.recipient.username for n in told} >= {"industry", "district"}  # its group, its locality's government
    assert Notification.objects.get(alert=overdue, recipient=pw.users["industry"]).kind == "raised"
    # monitoring's own pages show it to the locality's government
    assert monitoring_scoping.alerts(pw.users["district"]).filter(pk=overdue.pk).exists()
    again = services.check_dispatch(pw.programme, on=TODAY)
    assert (again.overdue, again.created) == (1, 0)
    assert Alert.objects.filter(kind="programme_overdue").count() == 1
    assert Notification.objects.filter(alert=overdue).count() == told.count()
    # a new due date that passes again is a new lapse: one more alert
    Task.objects.filter(pk=pw.tasks["T-01"].pk).update(due_date=TODAY - datetime.timedelta(days=1))
    assert services.check_dispatch(pw.programme, on=TODAY).created == 1
    with pytest.raises(PermissionDenied):
        services.check_dispatch(pw.programme, on=TODAY, user=pw.users["district"])


def test_progress_reports(pw):
    t = pw.tasks["T-01"]
    with pytest.raises(ValidationError) as e:
        services.report_progress(pw.users["district"], t, "120", "超额")
    assert "0–100" in _messages(e.value)["progress"][0]
    with pytest.raises(ValidationError) as e:
        services.report_progress(
            pw.users["district"],
            t,
            "80",
            "",
            SimpleUploadedFile("a.exe", b"MZ", content_type="application/octet-stream"),
        )
    assert set(_messages(e.value)) == {"text"}
    with pytest.raises(PermissionDenied):
        services.report_progress(pw.users["transport"], t, "80", "越权")
    ev = SimpleUploadedFile("并网验收单.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    r = services.report_progress(pw.users["district"], t, "100", "余热电站已并网发电", ev)
    t.refresh_from_db()
    assert (t.progress, t.completed_on, r.evidence_name) == (100, datetime.date.today(), "并网验收单.pdf")
    assert len(r.evidence_sha256) == 64
    assert services.check_dispatch(pw.programme, on=TODAY).overdue == 0  # done: no longer overdue


def test_statistics_upload_reports_every_bad_cell_and_stores_nothing(pw):
    bad = "indicator,region,year,value\npm25,339900,2024,28.5\nno2,339900,2024,20\ngood_air,999999,2024,88\ngood_air,339900,2024,120\npm25,339900,2024,29\n"  # noqa: E501
    with pytest.raises(ValidationError) as e:
        services.upload_statistics(pw.users["gov"], pw.programme, "一协.csv", bad.encode())
    msgs = _messages(e.value)["file"]
    assert msgs == [
        "第 3 行 indicator 列：“no2”不是本方案中需上传的指标",
        "第 4 行 region 列：“999999”不是本市的行政区划代码",
        "第 5 行 value 列：比例“120”须在 0–100 之间",
        "第 6 行 indicator 列：与第 2 行重复",
    ]
    assert "Row 3, column indicator" in _messages(e.value, "en")["file"][0]
    assert not services.StatisticValue.objects.exists()
    with pytest.raises(PermissionDenied):
        services.upload_statistics(pw.users["industry"], pw.programme, "x.csv", b"")
    good = "indicator,region,year,value,source\npm25,339900,2024,28.5,示范市生态环境状况公报\ngood_air,339900,2024,91.2,同上\n"  # noqa: E501
    services.upload_statistics(pw.users["gov"], pw.programme, "2024一协.csv", good.encode())
    values = {v.indicator.code: v for v in services.indicator_values(pw.users["gov"], pw.programme, 2024)}
    assert values["pm25"].actual == Decimal("28.5") and values["pm25"].target == Decimal("30")
    assert values["pm25"].met is True  # lower is better
    assert "2024一协.csv 第 2 行" in values["pm25"].lineage and "gov" in values["pm25"].lineage
    assert values["total"].actual is None and "尚无" in values["total"].lineage


def test_a_completed_project_is_checked_against_its_owners_account(pw):
    from tests.rating.helpers import month_data, submit_batch

    cement, user = pw.world.cement, pw.users["cement"]
    submit_batch(
        [(user, cement, 2023, m, month_data(7100.0)) for m in range(1, 13)]
        + [(user, cement, 2025, m, month_data(6600.0)) for m in range(1, 13)]
    )
    p1 = Project.objects.get(pk=pw.entries["p1"].pk)  # as stored: another test may have changed the shared object
    check = services.check_project(p1)
    assert check.status == "not_completed"
    p1 = services.update_entry(
        pw.users["industry"], p1, {"stage": "operating", "completion_date": "2024-06-30"}, "投运"
    )
    check = services.check_project(p1)
    assert (check.status, check.year_before, check.year_after) == ("checked", 2023, 2025)
    assert check.before_tco2 > check.after_tco2
    assert check.achieved_tco2 == check.before_tco2 - check.after_tco2
    # 500 t of raw coal less a month (measured NCV, carbon content, oxidation), the rest the same: 12 × 500 t ×
    # 20.908 GJ/t × 0.02637 tC/GJ × 0.94 × 44/12
    by_hand = Decimal(12 * 500) * Decimal("20.908") * Decimal("0.02637") * Decimal("0.94") * Decimal(44) / Decimal(12)
    assert abs(check.achieved_tco2 - by_hand) < Decimal("0.05")
    assert check.expected_tco2 == Decimal("8100.00")
    assert check.ratio_pct == (check.achieved_tco2 / Decimal("8100") * 100).quantize(Decimal("0.1"))
    # the expected tce through the savings conversion (coal ranks, the platform's default): 3000 tce → ≈ 7 900 t
    assert check.converted is not None and check.converted.method == "coal-ranks"
    assert Decimal("7000") < check.converted.tco2 < Decimal("9000")
    no_owner = Project.objects.get(code="P-02")
    assert services.check_project(no_owner).status == "not_completed"
