"""The demo region: deterministic, every role can log in, accounts computed, deliberate problems visible."""

from __future__ import annotations

import contextlib
from collections import Counter
from decimal import Decimal
from io import StringIO

import ibis
import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from stdnum.cn import uscc as stdnum_uscc

from dualcarbon.accounting.models import AccountEntry, EmissionLine
from dualcarbon.demo import generator as g
from dualcarbon.demo.management.commands.demo import parse_years
from dualcarbon.engine import Options, account_table, backends
from dualcarbon.rating.models import RatingResult
from dualcarbon.registry import scoping
from dualcarbon.registry.models import Membership, Organisation
from dualcarbon.reporting import validators
from dualcarbon.reporting.models import Evidence, GenerationRecord, OffsetRecord, Submission, ValidationIssue

HIGH_CARBON = {"44", "30", "31", "32", "26", "25", "22"}


def test_full_size_plan_spans_sectors_with_valid_registrations():
    plans = g.plan_enterprises()  # the default region, planned without a database
    assert len(plans) == g.DEFAULT_ENTERPRISES >= 300
    divisions = g.region_divisions(plans)
    assert len(divisions) >= 8 and HIGH_CARBON | {"06", "17", "13", "34", "39"} <= set(divisions)
    assert all(stdnum_uscc.is_valid(p.uscc) for p in plans)
    assert len({p.uscc for p in plans}) == len({p.name for p in plans}) == len(plans)
    assert all(p.name.startswith("示范") for p in plans)
    assert {p.region_code for p in plans} <= {code for code, _name in g.DISTRICTS}
    sizes = Counter(p.size_class for p in plans)
    assert sizes["large"] and sizes["medium"] and sizes["small"]
    assert 0 < sum(not p.above_scale for p in plans) < len(plans) // 2
    assert [p.username for p in plans[:2]] == ["ent001", "ent002"]


def test_plans_and_records_are_deterministic():
    assert g.data_fingerprint(20, (2025,)) == g.data_fingerprint(20, (2025,))
    assert g.data_fingerprint(20, (2025,)) != g.data_fingerprint(20, (2025,), seed=7)
    assert g.plan_enterprises(50) == g.plan_enterprises(50)


def test_every_sector_reports_what_the_engine_accepts():
    """One year of every archetype (drafts excepted) runs through the engine without an input error."""
    plans = g.plan_enterprises(len(g.ARCHETYPES))
    assert {p.archetype for p in plans} == set(g.BY_KEY)
    months = g.months_of((2025,))
    problems = g.plan_problems(plans, months)
    rows = []
    for p in plans:
        for mo in g.enterprise_months(p, months, problems):
            for v in mo.versions:
                if v.status == "draft":
                    continue
                for a in v.activities:
                    rec = {k: float(x) if isinstance(x, Decimal) else x for k, x in a.items()}
                    rec.update(entity=f"{p.uscc}/{v.version}", period=f"{mo.year}-{mo.month:02d}")
                    rows.append({**rec, "region": p.region_code, "_row": len(rows) + 1})
    con = backends.connect("duckdb")
    options = Options(fuel_sets=("ndrc-2015", "ipcc2006-fuels"), grid="mee:provincial", gwp="AR5")  # the demo policy
    result = account_table(con, ibis.memtable(pd.DataFrame(rows)), options)
    totals = con.execute(result.totals)
    assert len(totals) >= 12 * len(plans) - 5
    assert (totals["total_tco2e"] > 0).all()  # exports and CO2 recovery never outweigh a plant's own emissions
    lines = con.execute(result.lines)
    assert "provincial 33" in lines.loc[lines["item"] == "ELECTRICITY", "factor_ref"].iloc[0]


def test_a_realistic_subset_declares_pv_and_certificates_the_validators_accept():
    plans = g.plan_enterprises(g.DEFAULT_ENTERPRISES)
    months = g.months_of((2024,))
    problems = g.plan_problems(plans, months)
    greens = {p.index: g.green_plan(p, featured=p.index in problems.green) for p in plans}
    with_pv = [p for p in plans if greens[p.index].pv_kwp]
    assert 0.2 < len(with_pv) / len(plans) < 0.45  # about a third of the plants with a roof
    assert not any(greens[p.index].pv_kwp for p in plans if p.archetype in g.NO_ROOF)
    assert all(100 <= greens[p.index].pv_kwp <= g.MAX_ROOF_KWP for p in with_pv)
    assert set(problems.green) <= {p.index for p in with_pv}  # the showcase logins have PV (and certificates)
    kinds: Counter[str] = Counter()
    for p in plans[:120]:
        for mo in g.enterprise_months(p, months, problems):
            v = mo.versions[-1]
            assert bool(v.offsets) <= (mo.month == 12)  # certificates are retired in December
            ctx = validators.Context(
                mo.year, mo.month, [], [], None, generation=list(v.generation), offsets=list(v.offsets)
            )
            errors = [f for f in validators.own_generation_rules(ctx) if f.severity == "error"] + list(
                validators.offset_rules(ctx)
            )
            assert not errors, (p.name, mo.month, errors)
            kinds.update(o["kind"] for o in v.offsets)
            kinds.update("pv_" + gl["use"] for gl in v.generation)
    assert {"gec", "ccer", "pv_self_consumed", "pv_fed_in"} <= set(kinds)


def test_some_enterprises_buy_green_power_and_their_location_based_data_do_not_move(monkeypatch):
    """About 15 % of the enterprises buying electricity move a share of it to a 绿电 line (those declaring a
    green-power trade, the showcase logins ent1/ent3, and some others); the rest of their data is untouched."""
    plans = g.plan_enterprises(g.DEFAULT_ENTERPRISES)
    months = g.months_of((2025,))
    problems = g.plan_problems(plans, months)
    share = {}
    for p in plans:
        featured = p.index in problems.green
        share[p.index] = g.green_power_share(p, g.green_plan(p, featured=featured), featured=featured)
    buying = [p for p in plans if any(u.source_type == g.PE for u in p.uses)]
    buyers = [p for p in buying if share[p.index]]
    assert 0.1 < len(buyers) / len(buying) < 0.2
    assert set(problems.green) <= {p.index for p in buyers}
    assert all(0 < share[p.index] < 0.5 for p in buyers)

    def records(p):
        return [mo.versions for mo in g.enterprise_months(p, months, problems)]

    with_green = {p.index: records(p) for p in buyers[:12]}
    monkeypatch.setattr(g, "green_power_share", lambda *a, **k: 0.0)
    for p in buyers[:12]:
        for versions, plain in zip(with_green[p.index], records(p), strict=True):
            for v, w in zip(versions, plain, strict=True):
                acts = [dict(a) for a in v.activities]
                i = next(k for k, a in enumerate(acts) if a["item"] == "绿电")
                green = acts.pop(i)
                grid = acts[i - 1]
                assert grid["source_type"] == green["source_type"] == g.PE and grid["unit"] == green["unit"]
                grid["quantity"] += green["quantity"]  # exactly (Decimal): the same purchases as without 绿电
                assert acts == [dict(a) for a in w.activities]
                assert (v.production, v.economic, v.generation, v.offsets) == (
                    w.production, w.economic, w.generation, w.offsets
                )  # fmt: skip


@pytest.mark.slow
@pytest.mark.django_db
def test_small_region_is_built_deterministically_with_every_role_and_the_planted_problems(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    class Rollback(Exception):
        pass

    with contextlib.suppress(Rollback), transaction.atomic():
        g.build(20, (2025,))
        first = g.db_fingerprint()
        raise Rollback
    assert not Organisation.objects.exists()
    result = g.build(20, (2025,))
    assert g.db_fingerprint() == first

    # every role has a login with the shared password
    User = get_user_model()
    roles = dict(Membership.objects.values_list("user__username", "role"))
    expected = {
        "gov": "government_staff",
        "district": "government_staff",
        "bank": "bank_staff",
        "bank2": "bank_staff",
        "bank3": "bank_staff",
        "verifier": "verifier",
        "verifier2": "verifier",
        "admin": "platform_admin",
        "ent1": "enterprise_staff",
        "ent2": "enterprise_staff",
        "ent3": "enterprise_staff",
    }
    assert expected.items() <= roles.items()
    assert all(roles[f"ent{i:03d}"] == "enterprise_staff" for i in range(1, 21))
    assert User.objects.get(username="gov").check_password(g.PASSWORD)
    assert User.objects.get(username="ent007").check_password(g.PASSWORD)
    assert User.objects.get(username="admin").is_superuser
    # the city's policy package (amounts illustrative), published through the policy services, matched for 2025
    from dualcarbon.policy.models import Match, PolicyPackage, PolicyVersion

    pkg = PolicyPackage.objects.get()
    assert sorted(pkg.policies.values_list("kind", flat=True)) == sorted(
        ["subsidy", "subsidy", "electricity", "credit", "energy_quota", "inspection"]
    )
    assert PolicyVersion.objects.filter(illustrative=False).count() == 0
    assert result.counts["policy_matches"] == Match.objects.filter(is_current=True, year=2025).count()
    assert Match.objects.filter(is_current=True, year=2025, status="matched").exists()
    assert {u for u, _org, _sees in result.logins} >= {"gov", "bank", "verifier", "admin", "ent1"}
    gov, bank, verifier = (User.objects.get(username=u) for u in ("gov", "bank", "verifier"))
    assert scoping.enterprises(gov).count() == 20
    assert 0 < scoping.enterprises(bank).count() < 20
    assert 0 < scoping.enterprises(verifier).count() < 20

    # every submitted month has its account; drafts have none
    current = Submission.objects.filter(is_current=True)
    assert current.count() == AccountEntry.objects.filter(is_current=True).count() > 200
    assert not current.filter(status="draft").exists()
    assert current.filter(status="locked").exists()  # verifier 1's year was verified and locked
    assert AccountEntry.objects.filter(is_current=True, total_tco2e__gt=0).count() == current.count()

    # a missing month, with the warning on the month after it
    months = Counter(Submission.objects.filter(version=1).values_list("enterprise_id", flat=True))
    assert min(months.values()) == 11
    assert ValidationIssue.objects.filter(rule="missing_months", severity="warning").exists()
    # drafts blocked by an unknown fuel, never computed
    drafts = Submission.objects.filter(status="draft")
    assert drafts.count() >= 2
    assert (
        ValidationIssue.objects.filter(submission__in=drafts, severity="error", rule="engine.unknown_item").count()
        == drafts.count()
    )
    assert not AccountEntry.objects.filter(submission__in=drafts).exists()
    # corrections: version 2 with a reason is current; version 1 and its account stay readable
    v2 = Submission.objects.filter(version=2)
    assert v2.count() >= 3 and all(s.reason and s.is_current for s in v2)
    v1 = Submission.objects.get(period=v2.first().period, version=1)
    assert not v1.is_current and AccountEntry.objects.get(submission=v1).is_current is False
    # warnings the platform must show: ×3 electricity, the kWh typed as 万kWh
    rules = set(ValidationIssue.objects.filter(severity="warning").values_list("rule", flat=True))
    assert {"month_on_month_jump", "electricity_vs_value_added"} <= rules
    # measured coal NCVs come with a lab report (a real PDF in the media storage)
    lab = Evidence.objects.filter(kind="lab").select_related("submission")
    assert lab.exists() and all(e.submission.activities.filter(ncv__isnull=False).exists() for e in lab)
    assert (tmp_path / g.LAB_REPORT).read_bytes().startswith(b"%PDF")
    # declarations for the carbon-neutrality rate: the showcase cement works has PV and certificates, and its
    # rating shows a rate above zero (every rated enterprise has a rate: 0 when it declared nothing)
    assert GenerationRecord.objects.exists() and OffsetRecord.objects.filter(kind="gec").exists()
    assert Evidence.objects.filter(kind="certificate").count() == (
        Submission.objects.filter(offsets__isnull=False).distinct().count()
    )
    ent1 = Membership.objects.get(user__username="ent1").organisation
    rated = RatingResult.objects.get(enterprise=ent1, year=2025, month=0, is_current=True)
    assert rated.neutrality_rate is not None and rated.neutrality_rate > 0
    assert RatingResult.objects.filter(is_current=True, neutrality_rate__gt=0).count() >= 2
    # consents owned by the enterprise (docs/finance.md): each consent has its first version; ent3 has the first
    # bank's request pending, ent2 declined the second bank's; ent1 shortened its consent to the first bank
    from dualcarbon.finance.models import ConsentRequest
    from dualcarbon.registry.models import Consent

    ent2, ent3 = (Membership.objects.get(user__username=u).organisation for u in ("ent2", "ent3"))
    requests = ConsentRequest.objects.order_by("pk").values_list("enterprise", "bank__name", "status", "decline_reason")
    assert list(requests) == [
        (ent3.pk, g.BANKS[0][1], "pending", ""),
        (ent2.pk, g.BANKS[1][1], "declined", "暂不同意用于信息披露"),
    ]
    assert Consent.history.filter(history_type="+", history_change_reason="grant").count() == Consent.objects.count()
    consent = Consent.objects.get(enterprise=ent1, bank__name=g.BANKS[0][1])
    assert list(consent.history.order_by("history_id").values_list("history_change_reason", "history_user")) == [
        ("grant", consent.created_by_id),
        ("narrow", User.objects.get(username="ent1").pk),
    ]
    # each bank generated one credit report under a consent naming it (docs/finance.md), logged in the read log
    from dualcarbon.finance.models import CreditReport
    from dualcarbon.registry.models import AccessLog

    reports = CreditReport.objects.select_related("consent")
    assert reports.count() == len(g.BANKS) == result.counts["credit_reports"]
    assert all("credit_report" in r.consent.scopes and r.content["account"] for r in reports)
    assert AccessLog.objects.filter(resource="credit_report").count() == len(g.BANKS)
    # green power (绿电): the showcase cement works buys some; every account has its market-based scope 2
    assert not AccountEntry.objects.filter(scope2_market_tco2e__isnull=True).exists()
    green = EmissionLine.objects.filter(item="GREEN_ELECTRICITY", run__is_current=True)
    assert green.filter(run__submission__enterprise=ent1).exists() and not green.exclude(market_tco2e=0).exists()
    # carbon assets and discharge rights (docs/assets.md): every enterprise's rights in all six factors, a bill each,
    # ent1's rights pledged to the first bank (ent2's released), certificates and CCER; the ledger verifies
    from dualcarbon.assets import ledger
    from dualcarbon.assets.models import Bill, Confirmation, Pledge

    assert Confirmation.objects.count() == 20 * 6 == Bill.objects.count()
    six = {"COD", "NH3N", "SO2", "NOX", "PM", "VOCS"}
    assert set(Confirmation.objects.values_list("factor__code", flat=True)) == six
    assert sorted(Pledge.objects.values_list("holder__name", "bank__name", "status")) == sorted(
        [(ent1.name, g.BANKS[0][1], "active"), (ent2.name, g.BANKS[0][1], "released")]
    )
    assert result.counts["asset_bills_paid"] == Bill.objects.filter(status="paid").count()
    # a season of trading: settled rounds, a bilateral transfer, an unsold round, a round open now and a listing
    # awaiting approval; an ETS cohort with its surrender cycle (one in full, one short, two not yet)
    from dualcarbon.assets import ets
    from dualcarbon.assets.models import Listing, Obligation, Surrender, Trade

    statuses = sorted(Listing.objects.values_list("status", flat=True))
    assert statuses == sorted(["settled"] * 6 + ["unsold", "open", "pending"])  # the 6th: a sale from the reserve
    assert Trade.objects.count() == result.counts["asset_trades"] + result.counts["asset_reserve_trades"]
    assert result.counts["asset_trades"] > 5
    shortfalls = sorted(ets.status(o).shortfall > 0 for o in Obligation.objects.all())
    assert shortfalls == [False, True, True, True] and result.counts["ets_obligations"] == 4
    # leasing, the reserve and revenue (docs/assets.md § Leasing, § Reserve, § Revenue): a lease running now and one
    # returned, a buy-back paid from revenue, a reserve sale and an allocation booked to it, two uses
    from dualcarbon.assets.models import BuyBack, Lease, RevenueAccount, RevenueEntry, RevenueUse

    assert sorted(Lease.objects.values_list("status", flat=True)) == ["active", "returned"]
    assert list(BuyBack.objects.values_list("status", flat=True)) == ["paid"]
    sources = set(RevenueEntry.objects.values_list("source", flat=True))
    assert sources == {"bill_payment", "reserve_sale", "reserve_alloc"}
    assert sorted(RevenueUse.objects.values_list("category", flat=True)) == ["buy_back", "pollution_control"]
    account = RevenueAccount.objects.get()
    income = sum(RevenueEntry.objects.values_list("amount", flat=True))
    assert account.balance == income - sum(RevenueUse.objects.values_list("amount", flat=True)) > 0
    check = ledger.verify_ledger()
    surrendered_ccer = sum(Surrender.objects.values_list("ccer", flat=True))  # issued to the cohort's first, all used
    assert (check.ok, check.issued["GEC"], check.issued["CCER"]) == (True, 1200, 5000 + surrendered_ccer)
    # the compliance link (docs/assets.md § Compliance): the right holders' discharge, two over their rights in the
    # last year (one alert each); the register holds the cohort's CCER offset and ent1's retired certificates
    from dualcarbon.accounting.models import ReductionClaim
    from dualcarbon.monitoring.models import Alert
    from dualcarbon.reporting.models import DischargeRecord

    assert DischargeRecord.objects.count() == result.counts["discharge_records"] > 0
    excess = Alert.objects.filter(kind="pollutant_excess")
    assert excess.count() == result.counts["pollutant_excess_alerts"] == 2
    assert {a.evidence["factor"] for a in excess} == set(g.DEMO_OVER_RIGHTS[4]) | set(g.DEMO_OVER_RIGHTS[6])
    claims = sorted(ReductionClaim.objects.values_list("unit", "purpose", "quantity"))
    assert [(u, p) for u, p, _q in claims] == [("ccer", "ets_offset"), ("gec", "neutrality")]


def test_years_option():
    assert parse_years("2023-2025") == (2023, 2024, 2025)
    assert parse_years("2024") == (2024,)
    assert parse_years("3") == (2023, 2024, 2025)
    assert parse_years("2025,2023") == (2023, 2025)


@pytest.mark.django_db
def test_command_builds_and_prints_the_logins_without_serving(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = StringIO()
    call_command("demo", "--enterprises", "5", "--years", "2025", "--no-serve", stdout=out)
    text = out.getvalue()
    assert g.PASSWORD in text and "http://127.0.0.1:8000/" in text
    for username in ("gov", "bank", "verifier", "admin", "ent1"):
        assert f"  {username} " in text
    assert Organisation.objects.filter(kind="enterprise").count() == 5
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)  # second run: the region is there, nothing rebuilt
    assert "already built" in out.getvalue() and Organisation.objects.filter(kind="enterprise").count() == 5


@pytest.mark.django_db
def test_build_makes_the_monitoring_summary(settings, tmp_path):
    """The dashboard reads the summary: the generator builds it, equal to the accounts it computed."""
    from django.db.models import Sum

    from dualcarbon.monitoring.models import SummaryCell, SummaryRollup

    settings.MEDIA_ROOT = tmp_path
    g.build(12, (2024, 2025))
    current = AccountEntry.objects.filter(is_current=True)
    assert SummaryCell.objects.filter(has_account=True).count() == current.count() > 0
    assert SummaryCell.objects.count() == Submission.objects.filter(is_current=True).count()
    for year in (2024, 2025):
        total = current.filter(year=year).aggregate(t=Sum("total_tco2e"))["t"]
        rolled = SummaryRollup.objects.filter(year=year).aggregate(t=Sum("total_tco2e"))["t"]
        assert rolled == pytest.approx(total, rel=1e-9)
        assert SummaryRollup.objects.filter(year=year).aggregate(n=Sum("entrants_0"))["n"] == 12
