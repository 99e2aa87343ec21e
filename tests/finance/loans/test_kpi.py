"""KPI-linked loans, the bank's alerts, CERF and PCAF (docs/finance.md § KPI-linked loans, § CERF, § PCAF), on the
package's rated world: cement graded for 2024, a loan of the bank to it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from dualcarbon.finance import certification, disclosure, kpi, lending, scoping
from dualcarbon.finance.models import (
    BankAlert,
    BorrowerFinancials,
    CertApplication,
    CertRuler,
    KpiEvaluation,
    Loan,
    LoanKpi,
    LoanRateChange,
)
from dualcarbon.rating import facts as account_facts
from dualcarbon.rating import services as rating

pytestmark = pytest.mark.django_db


def _loan(lw, rate=385) -> Loan:
    app = lending.apply(
        lw.users["cement"],
        lw.world.cement,
        lw.product,
        amount="1000000.00",
        term_months=24,
        purpose="窑炉技改",
        grant_consent=True,
    )
    lending.decide(lw.users["bank"], app, approve=True, amount="1000000", rate_bp=rate, term_months=24)
    return Loan.objects.get(application=app)


def _msgs(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_bad_kpis_are_refused_with_a_located_chinese_message_and_nothing_is_written(lw):
    loan = _loan(lw)
    bank = lw.users["bank"]
    base = {"metric": "intensity", "step_met_bp": -10, "step_missed_bp": 25}
    with pytest.raises(ValidationError) as e:  # a target in the wrong unit
        kpi.add_kpi(bank, loan, targets="2024: 0.5 tCO2e", **base)
    assert _msgs(e)["targets"] == ["“碳排放强度”的目标须以 tCO2/万元 表示，2024 年的目标“0.5 tCO2e”单位不符"]
    with translation.override("en"):
        assert "must be stated in tCO2/万元" in _msgs(e)["targets"][0]
    with pytest.raises(ValidationError) as e:  # a step outside ±300 bp
        kpi.add_kpi(bank, loan, targets="2024: 0.5 tCO2/万元", metric="intensity", step_met_bp=0, step_missed_bp=301)
    assert _msgs(e)["step_missed_bp"] == ["利率调整须为 −300 至 300 之间的整数基点（现为“301”）"]
    with pytest.raises(ValidationError) as e:  # a grade that is no grade
        kpi.add_kpi(bank, loan, targets="2024: 2.5 级", metric="grade", step_met_bp=0, step_missed_bp=10)
    assert _msgs(e)["targets"] == ["碳效等级目标须为 1–5 级的整数（2024 年为 2.5）"]
    with pytest.raises(ValidationError) as e:  # a reduction KPI without a certified project of the borrower
        kpi.add_kpi(bank, loan, targets="2024: 100 tCO2", metric="cert_reduction", step_met_bp=0, step_missed_bp=10)
    assert _msgs(e)["project"] == ["请选择借款企业已认定的降碳转型升级项目"]
    with pytest.raises(PermissionDenied):  # another bank's staff may not
        kpi.add_kpi(lw.users["bank2"], loan, targets="2024: 0.5 tCO2/万元", **base)
    assert not LoanKpi.objects.exists() and not KpiEvaluation.objects.exists()
    loan.refresh_from_db()
    assert loan.rate_bp == 385


def test_a_missed_kpi_raises_the_rate_with_its_reason_and_alerts_the_bank_only(lw):
    loan = _loan(lw)
    bank = lw.users["bank"]
    facts = account_facts.facts_for(lw.world.cement, 2024)
    intensity = Decimal(str(facts.facts["intensity"].value)).quantize(Decimal("0.0001"))
    above = intensity + Decimal("0.1")
    met = kpi.add_kpi(
        bank, loan, metric="intensity", targets=f"2024: {above} tCO2/万元", step_met_bp=-10, step_missed_bp=25
    )
    loan.refresh_from_db()
    assert loan.rate_bp == 375  # met: 385 − 10
    missed = kpi.add_kpi(
        bank, loan, metric="grade", name="碳效等级不低于 2 级", targets="2024: 2 级", step_met_bp=0, step_missed_bp=30
    )
    loan.refresh_from_db()
    assert loan.rate_bp == 405  # 385 − 10 + 30: cement is graded 3
    ev = missed.evaluations.get()
    assert (ev.figure, ev.target, ev.outcome, ev.step_bp) == (Decimal(3), Decimal(2), "missed", 30)
    assert ev.lineage["kind"] == "rating_facts" and ev.lineage["fact"] == "grade"
    steps = list(LoanRateChange.objects.filter(loan=loan).values_list("rate_from", "rate_to"))
    assert steps == [(385, 375), (375, 405)]
    why = [kpi.step_reason(c) for c in loan.rate_changes.all()]
    assert why[1] == "碳效等级不低于 2 级 2024 年未达标：实际 3 级，目标 ≤ 2 级，调整 +30 基点"
    alert = BankAlert.objects.get()
    assert (alert.bank_id, alert.kind, alert.subject) == (loan.bank_id, "kpi_missed", f"kpi:{missed.pk}:2024")
    assert alert.message_zh.startswith(f"贷款 {loan.number}（") and "利率 375 → 405 基点" in alert.message_zh
    assert list(scoping.bank_alerts(bank)) == [alert] and not scoping.bank_alerts(lw.users["bank2"]).exists()
    assert not scoping.bank_alerts(lw.users["gov"]).exists()  # government never sees a single loan
    assert not scoping.bank_kpis(lw.users["bank2"]).exists()
    assert set(scoping.enterprise_kpis(lw.users["cement"])) == {met, missed}
    assert kpi.unread_alerts(bank) == 1
    # an unchanged figure writes nothing; the target of the intensity KPI was met, of the grade missed
    assert kpi.evaluate(missed, 2024, "command") is None and KpiEvaluation.objects.count() == 2
    # rating again announces the grades (rating.signals.ratings_stored): a borrower graded below its grade when
    # booked alerts the bank, once
    Loan.objects.filter(pk=loan.pk).update(grade=2)
    rating.rate_region("3399", 2024)
    rating.rate_region("3399", 2024)
    down = BankAlert.objects.get(kind="downgrade")
    assert down.subject == "grade:2024" and down.bank_id == loan.bank_id
    assert "低于放款时的 2 级" in down.message_zh


def test_an_external_score_is_entered_with_its_evidence_and_evaluated(lw, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    loan = _loan(lw)
    bank = lw.users["bank"]
    k = kpi.add_kpi(
        bank,
        loan,
        metric="external",
        name="煤矿智能化验收评分",
        unit="分",
        source="省能源局煤矿智能化建设验收",
        targets=[{"year": 2025, "value": "85", "unit": "分"}],
        step_met_bp=-15,
        step_missed_bp=20,
    )
    assert not k.evaluations.exists()  # no score yet
    with pytest.raises(ValidationError) as e:
        kpi.enter_score(bank, k, year=2025, value="80", evidence=None, evidence_note="")
    assert set(_msgs(e)) == {"evidence", "evidence_note"}
    file = SimpleUploadedFile("验收意见.pdf", b"%PDF-1.4 acceptance", content_type="application/pdf")
    kpi.enter_score(bank, k, year=2025, value="80", evidence=file, evidence_note="验收意见书 晋能源煤技〔2025〕12号")
    ev = k.evaluations.get()
    assert (ev.figure, ev.outcome, ev.trigger) == (Decimal(80), "missed", "score")
    assert ev.lineage["kind"] == "external_score" and ev.lineage["evidence"].endswith("验收意见.pdf")
    loan.refresh_from_db()
    assert loan.rate_bp == 405


def _certified_project(lw) -> CertApplication:
    cement = lw.world.cement
    ruler = CertRuler.objects.create(
        region_id="339900",
        industry_code=cement.industry_id,
        kind="project",
        version=1,
        valid_from=datetime.date(2020, 1, 1),
        sector_name="水泥",
        metric="energy_per_product",
        unit="kgce/t",
        entry_value=Decimal("1000"),
        advanced_value=Decimal("1"),
        min_reduction_pct=Decimal("0"),
        principles=["no_lock_in"],
        source="测试",
        created_by=lw.users["gov"],
    )
    year = certification.account_year(cement, 2024)
    app = CertApplication.objects.create(
        enterprise=cement,
        kind="project",
        industry_code=cement.industry_id,
        ruler=ruler,
        name="窑炉余热发电项目",
        verifier=lw.world.verifier,
        baseline_year=2023,
        # the baseline 1000 tCO2 above 2024's account: 1000 tCO2 achieved in 2024
        baseline={"annual_tco2e": str(Decimal(year["total_tco2e"]) + 1000)},
        declared_value=Decimal("10"),
        expected_savings_tce=Decimal("100"),
        expected_reduction_tco2=Decimal("800"),
        investment=Decimal("4000000"),
        evidence="测试",
        status="reviewed",
        applied_by=lw.users["cement"],
    )
    today = timezone.localdate()
    return certification.certify(
        lw.users["gov"],
        app,
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today.replace(year=today.year + 2),
    )


def test_cerf_attributes_the_projects_achieved_reduction_by_the_loans_share_and_pcaf_the_financed_emissions(lw):
    loan = _loan(lw)
    bank = lw.users["bank"]
    project = _certified_project(lw)
    with pytest.raises(ValidationError) as e:
        disclosure.link_project(bank, loan, project=project.pk, project_financing="-1", source="可研批复")
    assert _msgs(e)["project_financing"] == ["须大于零（现为 -1）"]
    disclosure.link_project(bank, loan, project=project.pk, project_financing="4000000.00", source="可研批复")
    booked = timezone.localtime(loan.booked_at).date()
    c = disclosure.cerf(loan.bank, booked.year, (booked.month - 1) // 3 + 1)
    assert [r.loan for r in c.rows] == [loan]
    row = c.rows[0]
    # 1000 tCO2 achieved in 2024 × (1 000 000 ÷ 4 000 000) = 250 tCO2 a year
    assert (row.share, row.project_reduction, row.basis, row.basis_year) == (
        Decimal("0.25"),
        Decimal("1000.00"),
        "achieved",
        2024,
    )
    assert (c.projects, c.amount, c.rate_bp, c.induced) == (
        1,
        Decimal("1000000.00"),
        Decimal("385.00"),
        Decimal("250.00"),
    )
    head, body = disclosure.cerf_table(c)
    assert body[-1][-1] == Decimal("250.00") and disclosure.to_csv(head, body).startswith("\ufeff".encode())
    assert (
        disclosure.cerf(scoping.user_banks(lw.users["bank2"]).get(), booked.year, (booked.month - 1) // 3 + 1).rows
        == []
    )

    # PCAF: refused inputs write nothing; the attribution factor is outstanding ÷ (equity + debt)
    for equity, debt, field in (("0", "100", "equity"), ("100", "-1", "debt")):
        with pytest.raises(ValidationError) as e:
            disclosure.enter_financials(
                bank, loan.bank, lw.world.cement, as_of="2024-12-31", equity=equity, debt=debt, source="年报"
            )
        assert field in _msgs(e)
    assert not BorrowerFinancials.objects.exists()
    lending.record_movement(bank, loan, "drawdown", "400000")
    disclosure.enter_financials(
        bank, loan.bank, lw.world.cement, as_of="2024-12-31", equity="3000000", debt="1000000", source="2024 年审计报告"
    )
    p = disclosure.pcaf(loan.bank, 2024)
    r = next(x for x in p.rows if x.loan == loan)
    assert r.factor == Decimal("0.1")
    assert r.financed1 == (Decimal("0.1") * r.scope1).quantize(Decimal("0.001"))
    assert r.financed2 == (Decimal("0.1") * r.scope2).quantize(Decimal("0.001"))
    assert r.score == disclosure.pcaf_score(r.verification, r.tier, True)
    assert p.intensity == ((p.financed1 + p.financed2) / Decimal("0.4")).quantize(Decimal("0.001"))
    assert [s["sector"] for s in p.by_sector] == ["30"]
    assert disclosure.pcaf_score("verified", 1, True) == 1
    assert disclosure.pcaf_score("partial", 1, True) == 2
    assert disclosure.pcaf_score("unverified", 2, True) == 3
    assert disclosure.pcaf_score("unverified", 3, True) == 4
    assert disclosure.pcaf_score(None, None, False) == 5
