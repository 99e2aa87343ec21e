"""Transition certification services (docs/finance.md § Transition certification): the rulers, the entry checks, the
state machine with its refusals, the libraries and their pushes, follow-up from the account, and who sees what."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from dualcarbon.finance import certification, scoping
from dualcarbon.finance.models import CertApplication, CertEvent, CertPush, CertRuler
from tests.finance.cert.cert_world import ALL_OK, START

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-cert")]


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.value.message_dict.items()}


def certified(cw, **kw):
    app = cw.apply(**kw)
    certification.review(cw.users["verifier"], app, approve=True, checks=ALL_OK)
    return certification.certify(
        cw.users["gov"], app, valid_from=datetime.date(2026, 1, 1), valid_until=datetime.date(2028, 12, 31)
    )


def test_the_seed_rulers_name_the_sectors_with_their_sources(cw):
    seeded = CertRuler.objects.filter(industry_code__in=["2614", "3216", "4411", "06"])
    assert seeded.count() == 8  # four sectors × (project, enterprise)
    thermal = seeded.get(industry_code="4411", kind="enterprise")
    assert (thermal.entry_value, thermal.advanced_value, thermal.unit) == (Decimal("300"), Decimal("270"), "gce/kWh")
    assert "1519" in thermal.source and thermal.principles == ["no_lock_in", "dnsh", "just_transition"]
    codes = {r.industry_code for r in certification.rulers_in_force("339901")}
    assert {"2614", "3216", "4411", "06", "3011"} <= codes


def test_a_new_ruler_version_ends_the_open_one_and_bad_values_are_refused(cw):
    gov = cw.users["gov"]
    spec: dict[str, Any] = {
        "industry_code": "3011",
        "kind": "project",
        "sector_name": "水泥制造",
        "metric": "energy_per_product",
        "unit": "kgce/t",
        "entry_value": "110",
        "advanced_value": "100",
        "min_reduction_pct": "4",
        "principles": ["no_lock_in", "dnsh"],
        "source": "示范市 2026 年修订",
    }
    v2 = certification.publish_ruler(gov, "339900", valid_from=datetime.date(2026, 7, 1), **spec)
    cw.project_ruler.refresh_from_db()
    assert v2.version == 2 and cw.project_ruler.valid_to == datetime.date(2026, 7, 1)
    before = CertRuler.objects.count()
    with pytest.raises(ValidationError) as exc:
        certification.publish_ruler(
            gov,
            "339900",
            valid_from=datetime.date(2027, 1, 1),
            **{**spec, "advanced_value": "120", "industry_code": "99x", "source": ""},
        )
    m = messages(exc)
    assert "先进值（120）须不高于准入值（110）" in m["advanced_value"]
    assert "“99x”不是登记的国民经济行业代码" in m["industry_code"]
    assert "依据来源" in m["source"]
    assert CertRuler.objects.count() == before
    with pytest.raises(PermissionDenied):  # the district governs 东城区, not the city
        certification.publish_ruler(cw.users["district"], "339900", valid_from=datetime.date(2027, 1, 1), **spec)
    with pytest.raises(PermissionDenied):  # the platform admin is no authority
        certification.publish_ruler(cw.users["admin"], "339900", valid_from=datetime.date(2027, 1, 1), **spec)


def test_apply_reads_the_baseline_from_the_account(cw):
    app = cw.apply()
    assert app.status == "submitted" and app.ruler == cw.project_ruler
    assert app.baseline == certification.account_year(cw.world.cement, 2024)
    assert app.baseline["months"] == 3 and Decimal(app.baseline["total_tco2e"]) == cw.baseline_total
    assert app.expected_reduction_pct == Decimal("5.00")
    assert list(app.events.values_list("action", "status_to")) == [("apply", "submitted")]


def test_a_sector_without_a_ruler_is_refused_with_a_clear_message(cw):
    with pytest.raises(ValidationError) as exc:
        cw.apply(industry_code="30")
    expected = "本地区尚未配置“非金属矿物制品业”（30）行业的降碳转型升级项目认定标准，暂不能申请"
    assert expected in messages(exc)["industry_code"]
    steel = cw.world.steel  # a steel works cannot apply under the cement ruler
    with pytest.raises(ValidationError) as exc:
        certification.apply(cw.users["steel"], steel, **cw.fields())
    assert "尚未配置" in messages(exc)["industry_code"]
    assert not CertApplication.objects.exists()


def test_a_value_above_the_entry_condition_names_the_figure_and_the_limit(cw):
    with pytest.raises(ValidationError) as exc:
        cw.apply(declared_value="118.2")
    assert messages(exc)["declared_value"] == (
        "申报的单位产品能耗 118.2 kgce/t 高于该行业准入值 117 kgce/t"
        "（水泥制造（3011）降碳转型升级项目 v1），不符合准入条件"
    )
    small = str((cw.baseline_annual * Decimal("0.01")).quantize(Decimal("0.01")))
    with pytest.raises(ValidationError) as exc:
        cw.apply(expected_reduction_tco2=small)
    assert "为基准年（2024 年碳账户，折合全年" in messages(exc)["expected_reduction_tco2"]
    assert "的 1.00%，低于该行业准入要求的 3.00%" in messages(exc)["expected_reduction_tco2"]
    with pytest.raises(ValidationError) as exc:
        cw.apply(baseline_year=2023, investment="-5", expected_savings_tce="abc")
    m = messages(exc)
    assert "本企业 2023 年没有碳账户数据" in m["baseline_year"]
    assert "须大于零（现为 -5）" in m["investment"] and "“abc”不是数字" in m["expected_savings_tce"]
    assert not CertApplication.objects.exists()


def test_the_flow_with_one_return_into_the_library_and_to_one_bank(cw):
    users = cw.users
    app = cw.apply()
    with pytest.raises(ValidationError) as exc:  # returning needs a comment; every principle needs a conclusion
        certification.review(users["verifier"], app, approve=False, checks={})
    assert "未给出结论" in messages(exc)["checks"] and "退回须写明核查意见" in messages(exc)["comment"]
    checks = {**ALL_OK, "dnsh": {"ok": False, "note": "缺少废水处置方案"}}
    with pytest.raises(ValidationError) as exc:
        certification.review(users["verifier"], app, approve=True, checks=checks)
    assert "“无重大损害”未通过核查" in messages(exc)["checks"]
    app = certification.review(users["verifier"], app, approve=False, checks=checks, comment="请补充废水处置方案")
    assert (app.status, app.returns, app.review_comment) == ("returned", 1, "请补充废水处置方案")
    app = certification.resubmit(users["cement"], app, comment="已补充", evidence="可研报告、节能评估及废水处置方案")
    assert app.status == "submitted" and app.returns == 1
    app = certification.review(users["verifier"], app, approve=True, checks=ALL_OK)
    assert app.status == "reviewed"
    with pytest.raises(ValidationError) as exc:
        certification.certify(users["gov"], app, valid_from="2026-01-01", valid_until="2035-01-01")
    assert "认定有效期最长 5 年" in messages(exc)["valid_until"]
    app = certification.certify(users["district"], app, valid_from="2026-01-01", valid_until="2028-12-31")
    assert app.status == "certified" and certification.in_library(app, datetime.date(2026, 12, 7))
    actions = list(app.events.values_list("action", flat=True))
    assert actions == ["apply", "return", "resubmit", "pass", "certify"]
    push = certification.push_library(
        users["gov"],
        "339900",
        title="首批降碳转型升级项目库",
        kind="project",
        entries=[app.pk],
        banks=[cw.world.bank.pk],
    )
    assert list(push.entries.all()) == [app]
    assert list(scoping.bank_certs(users["bank"])) == [app]
    assert not scoping.bank_certs(users["bank2"]).exists()  # bank A never sees what was pushed to bank B
    with pytest.raises(ValidationError) as exc:  # the enterprise library holds no project
        certification.push_library(
            users["gov"], "339900", title="x", kind="enterprise", entries=[app.pk], banks=[cw.world.bank.pk]
        )
    assert "所选条目须为本辖区该库中有效期内的已认定条目" in messages(exc)["entries"]


def test_an_invalid_move_is_refused_and_changes_nothing(cw):
    users = cw.users
    app = cw.apply()
    events = CertEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        certification.certify(users["gov"], app, valid_from="2026-01-01", valid_until="2027-01-01")
    assert messages(exc)["status"] == "该申请当前为“待核查”，不能“认定入库”（仅“核查通过，待认定”的申请可以）"
    with pytest.raises(ValidationError) as exc:
        certification.resubmit(users["cement"], app)
    assert "不能“修改后重新提交”（仅“退回修改”的申请可以）" in messages(exc)["status"]
    app.refresh_from_db()
    assert app.status == "submitted" and app.valid_from is None and CertEvent.objects.count() == events
    with pytest.raises(PermissionDenied):  # only the verifier the application names
        certification.review(users["gov"], app, approve=True, checks=ALL_OK)
    with pytest.raises(PermissionDenied):  # another enterprise's staff
        certification.resubmit(users["steel"], app)
    certification.review(users["verifier"], app, approve=True, checks=ALL_OK)
    with pytest.raises(PermissionDenied):  # the admin reads, it does not certify
        certification.certify(users["admin"], app, valid_from="2026-01-01", valid_until="2027-01-01")
    with pytest.raises(ValidationError) as exc:
        certification.reject(users["gov"], app, "")
    assert "不予认定须写明理由" in messages(exc)["reason"]
    app = certification.reject(users["gov"], app, "投资来源未落实")
    with pytest.raises(ValidationError) as exc:
        certification.revoke(users["gov"], app, "x")
    assert "该申请当前为“未予认定”" in messages(exc)["status"]


def test_major_event_revocation_and_expiry(cw):
    users = cw.users
    app = certified(cw)
    app = certification.flag_major_event(users["gov"], app, "2026-11 发生一般生产安全事故")
    assert app.major_event and app.status == "certified"
    app = certification.revoke(users["gov"], app, "重大事项核实，撤销认定")
    assert app.status == "revoked" and not certification.in_library(app)
    other = certified(cw, name="另一条熟料线改造")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("expire_certifications", "--date", "2029-13-01", stdout=out)
    call_command("expire_certifications", "--date", "2029-01-01", stdout=out)  # the daily run
    assert "已到期出库 1 项" in out.getvalue()
    other.refresh_from_db()
    last = other.events.last()
    assert other.status == "expired" and (last.action, last.by) == ("expire", None)


def test_followup_compares_expected_and_achieved_from_the_account(cw):
    app = certified(cw)
    rows = certification.followup(app, until=2025)
    assert [r.year for r in rows] == [2025]
    y = rows[0]
    year = certification.account_year(cw.world.cement, 2025)
    assert year is not None
    jan_2025 = Decimal(year["total_tco2e"])
    assert y.months == 1 and y.total_tco2e == jan_2025
    assert y.achieved_tco2 == (cw.baseline_annual / 12 - jan_2025).quantize(Decimal("0.01"))
    assert y.expected_tco2 == (app.expected_reduction_tco2 / 12).quantize(Decimal("0.01"))
    assert y.achieved_tco2 > 0  # 6000 t of coal a month instead of 7100


def test_who_sees_which_application(cw):
    users = cw.users
    app = certified(cw)
    assert list(scoping.enterprise_certs(users["cement"])) == [app]
    assert not scoping.enterprise_certs(users["steel"]).exists()
    assert list(scoping.verifier_certs(users["verifier"])) == [app]
    assert list(scoping.region_certs(users["gov"])) == [app] == list(scoping.region_certs(users["district"]))
    assert not scoping.bank_certs(users["bank"]).exists()  # nothing pushed yet
    for who in ("cement", "verifier", "gov", "district", "admin"):
        assert list(scoping.certs(users[who])) == [app], who
    for who in ("steel", "far", "bank", "bank2"):
        assert not scoping.certs(users[who]).exists(), who
    assert CertPush.objects.count() == 0
    assert START.year == 2025


def test_the_database_refuses_overlapping_rulers_and_a_certification_without_validity(cw):
    r = cw.project_ruler
    overlap = CertRuler(
        region=r.region,
        industry_code=r.industry_code,
        kind=r.kind,
        version=9,
        valid_from=datetime.date(2026, 1, 1),
        sector_name=r.sector_name,
        metric=r.metric,
        unit=r.unit,
        entry_value=r.entry_value,
        advanced_value=r.advanced_value,
        min_reduction_pct=r.min_reduction_pct,
        principles=r.principles,
        source=r.source,
        created_by=r.created_by,
    )
    with pytest.raises(ValidationError) as exc:  # model validation, on every database
        overlap.full_clean()
    assert "重叠" in messages(exc)["valid_from"]
    if connection.vendor == "postgresql":  # the exclusion constraint, whatever the code does
        with pytest.raises(IntegrityError), transaction.atomic():
            overlap.save()
    app = cw.apply()
    with pytest.raises(IntegrityError), transaction.atomic():  # certified needs its validity period
        CertApplication.objects.filter(pk=app.pk).update(status="certified")


def test_the_credit_report_states_the_certification(cw):
    from dualcarbon.finance import credit_reports

    before = credit_reports.generate(cw.users["bank"], cw.world.cement).content["certification"]
    assert before["available"] is False and "暂无" in before["zh"]
    app = certification.flag_major_event(cw.users["gov"], certified(cw), "示范：一般安全事故")
    c = credit_reports.generate(cw.users["bank"], cw.world.cement).content["certification"]
    assert c["zh"] == "降碳转型升级认定 1 项，其中有效 1 项。"
    (entry,) = c["entries"]
    assert (entry["name"], entry["status_zh"], entry["status_en"], entry["major_event"]) == (
        app.name,
        "已认定入库",
        "Certified (in the library)",
        True,
    )
    assert (entry["valid_from"], entry["valid_until"]) == ("2026-01-01", "2028-12-31")


def test_the_certification_fact_follows_the_libraries(cw):
    """Product and policy rules over ``certification`` (rating.facts) read the libraries: a certified project makes
    the fact ``project`` with the entry as its source, a revocation makes it ``none`` again, and the change is
    announced (rating.signals.facts_changed) so policy matches the enterprise again."""
    from dualcarbon.engine import eligibility as el
    from dualcarbon.rating import facts as account_facts
    from dualcarbon.rating import signals as rating_signals

    announced: list[tuple[list[int], str]] = []

    def heard(sender, enterprise_ids=(), fact="", **kw):
        announced.append((list(enterprise_ids), fact))

    rating_signals.facts_changed.connect(heard, dispatch_uid="test-cert-facts")
    try:
        cement = cw.world.cement
        rule = el.parse_rule(
            {"fact": "certification", "op": "in", "value": ["project", "enterprise"]}, account_facts.CATALOGUE
        )

        def fact():
            facts = account_facts.facts_for(cement, 2024)
            assert facts is not None
            return facts.facts["certification"], el.evaluate(rule, facts.values(), account_facts.CATALOGUE).met

        before, met = fact()
        assert (before.value, before.source, met) == ("none", {"kind": "certification", "applications": []}, False)
        app = certified(cw)
        after, met = fact()
        assert (after.value, after.source["applications"], met) == ("project", [app.pk], True)
        assert announced == [([cement.pk], "certification")]
        certification.revoke(cw.users["gov"], app, "重大事项核实，撤销认定")
        revoked, met = fact()
        assert (revoked.value, met) == ("none", False)
        assert announced == [([cement.pk], "certification")] * 2
    finally:
        rating_signals.facts_changed.disconnect(dispatch_uid="test-cert-facts")


def test_a_library_entry_is_disclosed_after_the_template_and_a_pending_one_has_nothing_to_disclose(cw):
    pending = cw.apply(name="待核查项目")
    assert certification.disclosure(pending) is None
    app = certified(cw)
    certification.flag_major_event(cw.users["gov"], app, "主要设备停运三个月")
    app.refresh_from_db()
    d = certification.disclosure(app)
    assert d is not None and d["template"] == certification.DISCLOSURE_TEMPLATE
    assert set(d) == {"template", *certification.DISCLOSURE_SECTIONS}
    assert (d["entry"]["name"], d["entry"]["status"], d["entry"]["major_event"]) == (app.name, "certified", True)
    assert d["ruler"]["declared_value"] == str(app.declared_value.normalize())
    assert d["targets"]["expected_reduction_tco2"] == str(app.expected_reduction_tco2)
    assert d["progress"] == [y.as_dict() for y in certification.followup(app)]
    assert [e["action"] for e in d["events"]] == ["certify", "flag"]
    assert d["events"][1]["comment"] == "主要设备停运三个月"
