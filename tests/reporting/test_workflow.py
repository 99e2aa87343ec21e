"""The reporting workflow: draft → submitted → verified → locked; corrections as new versions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from dualcarbon.accounting.models import AccountEntry, EmissionLine
from dualcarbon.registry import services as registry_services
from dualcarbon.reporting import services
from dualcarbon.reporting.models import Submission
from tests.factories import build_world, cement_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _submit(world, month=1, **kw):
    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, month)
    services.save_draft(user, draft, services.DraftData(**cement_month(**kw)))
    return services.submit(user, draft)


def test_submit_computes_the_account_with_lineage(world):
    sub = _submit(world)
    assert sub.status == Submission.Status.SUBMITTED and sub.is_current
    entry = AccountEntry.objects.get(submission=sub, is_current=True)
    # 原煤 (rank not stated), the default platform rule: NCV 20.908 GJ/t (GB/T 2589-2008 附录A) with CC 26.1e-3 tC/GJ
    # and OF 93 % of 烟煤 in 发改办气候〔2015〕1722号 附录二 表2.1; 柴油 42.652 × 20.2e-3 × 0.98 × 44/12 = 3.0959
    coal = 7100 * 20.908 * 0.0261 * 0.93 * 44 / 12
    assert entry.by_source["fuel_combustion"] == pytest.approx(coal + 21.5 * 3.0959, rel=1e-4)
    assert entry.by_source["process"] == pytest.approx(50000 * 0.52)
    assert entry.scope2_tco2e > 0 and entry.intensity == pytest.approx(entry.total_tco2e / 4200)
    line = EmissionLine.objects.get(run__submission=sub, item="RAW_COAL")
    assert line.activity.quantity == 7100 and line.factor_set == "ndrc-2015" and line.quality_tier == 3
    assert "provincial 33" in EmissionLine.objects.get(run__submission=sub, item="ELECTRICITY").factor_ref


def test_correction_is_a_new_version_and_the_old_stays_readable(world):
    v1 = _submit(world)
    old_total = AccountEntry.objects.get(submission=v1).total_tco2e
    user = world.users["cement"]
    with pytest.raises(services.WorkflowError):
        services.correct(user, v1, "  ")
    v2 = services.correct(user, v1, "原煤用量录入错误，按结算单更正")
    assert v2.version == 2 and v2.status == "draft" and v2.activities.count() == 4
    data = cement_month(coal=6900)
    services.save_draft(user, v2, services.DraftData(**data))
    services.submit(user, v2)
    v1.refresh_from_db()
    assert not v1.is_current and v1.status == "submitted" and v1.activities.get(item="原煤").quantity == 7100
    assert AccountEntry.objects.get(submission=v1).total_tco2e == old_total  # old figures kept
    assert not AccountEntry.objects.get(submission=v1).is_current
    new = AccountEntry.objects.get(is_current=True, enterprise=world.cement, year=2024, month=1)
    assert new.submission_id == v2.pk and new.total_tco2e < old_total
    with pytest.raises(services.WorkflowError):
        services.save_draft(user, v1, services.DraftData(**data))


def test_errors_block_submission_and_are_located(world):
    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, 2)
    data = cement_month()
    data["activities"][1]["item"] = "黄金"
    data["activities"][1].update(source_sheet="活动数据", source_row=7)
    services.save_draft(user, draft, services.DraftData(**data))
    with pytest.raises(services.BlockedByErrors) as info:
        services.submit(user, draft)
    (issue,) = [i for i in info.value.issues if i.rule.startswith("engine.")]
    assert (issue.sheet, issue.row, issue.column, issue.rule) == ("活动数据", 7, "item", "engine.unknown_item")
    assert "第 7 行" in issue.message_zh
    draft.refresh_from_db()
    assert draft.status == "draft" and not AccountEntry.objects.exists()


def test_a_mistyped_fuel_is_answered_with_the_closest_known_name(world):
    """The web form and the Excel upload show the stored issue: it names what was probably meant."""
    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, 2)
    data = cement_month()
    data["activities"][0]["item"] = "原媒"  # 媒 typed for 煤 (same sound)
    services.save_draft(user, draft, services.DraftData(**data))
    with pytest.raises(services.BlockedByErrors) as info:
        services.submit(user, draft)
    (issue,) = [i for i in info.value.issues if i.rule == "engine.unknown_item"]
    assert "没有 “原媒” 这一项；您是否要填：原煤？" in issue.message_zh
    assert "did you mean: 原煤?" in issue.message_en


def test_unparseable_numbers_change_nothing(world):
    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, 3)
    services.save_draft(user, draft, services.DraftData(**cement_month()))
    data = cement_month()
    data["activities"][0]["quantity"] = "七千"
    with pytest.raises(services.DraftInvalid):
        services.save_draft(user, draft, services.DraftData(**data))
    assert draft.activities.get(line_no=1).quantity == 7100


def test_warnings_do_not_block(world):
    _submit(world, month=1)
    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, 3)
    services.save_draft(user, draft, services.DraftData(**cement_month(mwh=9000)))
    submitted = services.submit(user, draft)
    # the one finding is a warning (February was never reported): the month is submitted anyway, with its account
    assert list(draft.issues.values_list("rule", "severity", "message_zh")) == [
        ("missing_months", "warning", "本年度以下月份尚未报送：2024-02")
    ]
    draft.refresh_from_db()
    assert (draft.status, draft.is_current, submitted.pk) == (Submission.Status.SUBMITTED, True, draft.pk)
    assert AccountEntry.objects.filter(submission=draft, is_current=True).count() == 1


def test_only_own_staff_report_and_only_assigned_verifiers_verify(world):
    with pytest.raises(PermissionDenied):
        services.draft_for(world.users["steel"], world.cement, 2024, 1)
    sub = _submit(world)
    with pytest.raises(PermissionDenied):
        services.verify(world.users["gov"], sub)
    services.verify(world.users["verifier"], sub)
    services.lock(world.users["gov"], sub)
    sub.refresh_from_db()
    assert sub.status == "locked"
    with pytest.raises(services.WorkflowError):
        services.correct(world.users["cement"], sub, "想改")


def test_measured_parameters_without_lab_report_warn_until_attached(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, 4)
    data = cement_month()
    data["activities"][0].update(ncv=21.3, ncv_unit="GJ/t", source_sheet="活动数据", source_row=3)
    services.save_draft(user, draft, services.DraftData(**data))
    issues = services.validate(draft)
    (warn,) = [i for i in issues if i.rule == "measured_without_lab_report"]
    assert (warn.severity, warn.sheet, warn.row, warn.column) == ("warning", "活动数据", 3, "ncv")
    pdf = SimpleUploadedFile("化验报告.pdf", b"%PDF-1.4 lab", content_type="application/pdf")
    services.attach_evidence(user, draft, pdf, "lab")
    assert not [i for i in services.validate(draft) if i.rule == "measured_without_lab_report"]
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    with pytest.raises(services.WorkflowError):
        services.attach_evidence(user, draft, exe, "lab")



def test_the_account_takes_the_validations_check_and_stores_what_a_fresh_check_gives(world):
    """Submit validates the month with the engine and then accounts the same records: the account takes the checked
    result (reporting.services.checked_account) instead of checking twice, and stores exactly what checking again
    would have stored. A checked result serves only the same records with the same options, and only once."""
    sub = _submit(world, month=1)
    services.REUSE_CHECK = False
    try:
        again = _submit(world, month=2)  # the same records, checked a second time by accounting
    finally:
        services.REUSE_CHECK = True
    fields = ("item", "quantity", "emission_factor", "tco2e", "factor_ref", "quality_tier", "scope")

    def lines(s):
        return sorted(EmissionLine.objects.filter(run__submission=s).values_list(*fields))

    assert lines(sub) == lines(again) and len(lines(sub)) > 3
    a = AccountEntry.objects.get(submission=sub, is_current=True)
    b = AccountEntry.objects.get(submission=again, is_current=True)
    assert (a.total_tco2e, a.scope1_tco2e, a.scope2_tco2e) == (b.total_tco2e, b.scope1_tco2e, b.scope2_tco2e)

    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, 3)
    services.save_draft(user, draft, services.DraftData(**cement_month()))
    options = registry_services.method_options(world.cement.region_id or "")
    assert services.check_submission(draft, options) is None
    frame = services.activity_frame([draft.pk])
    changed = frame.copy()
    changed.loc[changed.index[0], "quantity"] = 1.0
    assert services.checked_account([draft.pk], changed, options) is None  # other figures: not these records
    assert services.check_submission(draft, options) is None
    result = services.checked_account([draft.pk], frame, options)
    assert result is not None and not result.lines_frame().empty
    assert services.checked_account([draft.pk], frame, options) is None  # taken once
