"""The policy form: a policy's names and kind, and a new version's eligibility (a table of conditions), benefit
and budget. Every error is located (field, or "条件 2 · 数值") and worded in the user's language; nothing is
written while one remains."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from dualcarbon.engine import eligibility as el
from dualcarbon.rating import facts as account_facts
from dualcarbon.rating import rule_wording as wording

from . import services
from .models import Policy, PolicyVersion

ROWS = 6


@dataclass
class PolicyForm:
    data: dict[str, Any]
    rows: list[dict[str, str]]
    errors: dict[str, list[str]] = field(default_factory=dict)
    cleaned: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    @property
    def all_errors(self) -> list[str]:
        return [m for v in self.errors.values() for m in v]


def initial(policy: Policy | None, version: PolicyVersion | None) -> PolicyForm:
    data: dict[str, Any] = {"combine": "all", "near_miss_pct": "10", "benefit_kind": "fixed", "kind": "subsidy"}
    rows: list[dict[str, str]] = []
    if policy is not None:
        data.update(
            code=policy.code, name_zh=policy.name_zh, name_en=policy.name_en, kind=policy.kind, clause=policy.clause
        )
    if version is not None:
        data.update(
            benefit_kind=version.benefit_kind,
            benefit_amount="" if version.benefit_amount is None else wording.number(version.benefit_amount, 4),
            benefit_note=version.benefit_note,
            budget="" if version.budget is None else wording.number(version.budget, 2),
            near_miss_pct=wording.number(version.near_miss_pct, 2),
            illustrative=version.illustrative,
        )
        rule = version.rule
        combine = next(iter(rule)) if isinstance(rule, dict) and rule else "all"
        items = rule.get(combine, []) if isinstance(rule, dict) else []
        if all(isinstance(i, dict) and "fact" in i for i in items):
            data["combine"] = combine
            for i in items:
                v = i.get("value")
                rows.append(
                    {
                        "fact": i["fact"],
                        "op": i["op"],
                        "value": ", ".join(str(x) for x in v)
                        if isinstance(v, list)
                        else str(v).lower()
                        if isinstance(v, bool)
                        else str(v),
                    }
                )
        else:
            import json

            data["rule_json"] = json.dumps(rule, ensure_ascii=False, indent=1)
    target = max(ROWS, len(rows) + 2)  # two empty rows at least, for conditions to add
    rows.extend({"fact": "", "op": "", "value": ""} for _ in range(target - len(rows)))
    return PolicyForm(data, rows)


def _dec(form: PolicyForm, key: str, label: str, required: bool = False) -> Decimal | None:
    raw = str(form.data.get(key, "") or "").strip()
    if not raw:
        if required:
            form.add(key, _("%(f)s：请填写") % {"f": label})
        return None
    d = el.to_decimal(raw)
    if d is None or d < 0:
        form.add(key, _("%(f)s：“%(v)s”不是非负数") % {"f": label, "v": raw})
        return None
    return d


def bind(post: Any, *, new: bool) -> PolicyForm:
    """Read and check the posted form (``cleaned``: the policy fields and the version's fields)."""
    keys = (
        "code",
        "name_zh",
        "name_en",
        "kind",
        "clause",
        "valid_from",
        "combine",
        "rule_json",
        "benefit_kind",
        "benefit_amount",
        "benefit_note",
        "budget",
        "near_miss_pct",
        "note",
    )
    data: dict[str, Any] = {k: str(post.get(k, "")).strip() for k in keys}
    data["illustrative"] = post.get("illustrative") in ("1", "on", "true")
    rows = []
    n = max(ROWS, sum(1 for k in post if str(k).startswith("fact_")))
    for i in range(1, n + 1):
        rows.append({k: str(post.get(f"{k}_{i}", "")).strip() for k in ("fact", "op", "value")})
    form = PolicyForm(data, rows)
    if new and not data["code"]:
        form.add("code", _("代码：请填写（字母、数字、下划线或连字符）"))
    if not data["name_zh"]:
        form.add("name_zh", _("名称：请填写"))
    if data["kind"] not in Policy.Kind.values:
        form.add("kind", _("政策类型：请选择"))
    try:
        valid_from = datetime.date.fromisoformat(data["valid_from"])
    except ValueError:
        form.add("valid_from", _("生效日期：“%(v)s”不是日期（YYYY-MM-DD）") % {"v": data["valid_from"]})
        valid_from = None
    if data["benefit_kind"] not in PolicyVersion.Benefit.values:
        form.add("benefit_kind", _("支持方式：请选择"))
    amount = _dec(form, "benefit_amount", _("支持额度"), required=data["benefit_kind"] != "none")
    budget = _dec(form, "budget", _("预算（元）"))
    near = _dec(form, "near_miss_pct", _("临近达标阈值（%）"), required=True)
    rule: Any = None
    if data["rule_json"]:
        import json

        try:
            rule = json.loads(data["rule_json"])
        except ValueError as exc:
            form.add("rule", _("规则 JSON 有误：第 %(l)d 行第 %(c)d 列") % {"l": exc.lineno, "c": exc.colno})  # type: ignore[attr-defined]
    else:
        items = []
        for r in rows:
            if not (r["fact"] or r["op"] or r["value"]):
                continue
            value: Any = r["value"]
            spec = account_facts.CATALOGUE.get(r["fact"])
            if r["op"] in ("in", "not_in", "between"):
                value = [p.strip() for p in r["value"].replace("，", ",").replace("、", ",").split(",") if p.strip()]
            elif spec is not None and spec.kind == el.FLAG:
                value = r["value"]
            items.append({"fact": r["fact"], "op": r["op"], "value": value})
        if items:
            rule = {data["combine"] if data["combine"] in el.COMBINATORS else "all": items}
        else:
            form.add("rule", _("适用条件：至少需要一个条件"))
    if rule is not None:
        try:
            rule = services.parse_rule(rule).to_dict()
        except el.RuleError as exc:
            for p in exc.problems:
                form.add("rule", wording.located_problem(p))
    form.cleaned = {
        "policy": {k: data[k] for k in ("code", "name_zh", "name_en", "kind", "clause")},
        "valid_from": valid_from,
        "version": {
            "rule": rule,
            "benefit_kind": data["benefit_kind"],
            "benefit_amount": amount,
            "benefit_note": data["benefit_note"][:300],
            "budget": budget,
            "near_miss_pct": near if near is not None else Decimal(10),
            "illustrative": data["illustrative"],
            "note": data["note"][:300],
        },
    }
    return form


def fact_choices() -> list[tuple[str, str]]:
    return [
        (k, wording.named(wording.fact_label(k), wording.unit_text(s.unit)) if s.unit else wording.fact_label(k))
        for k, s in account_facts.CATALOGUE.items()
    ]


OP_CHOICES = [
    ("=", "="),
    ("!=", "≠"),
    ("<", "<"),
    ("<=", "≤"),
    (">", ">"),
    (">=", "≥"),
    ("in", "∈"),
    ("not_in", "∉"),
    ("between", "∈ [ , ]"),
]


# ------------------------------------------------------------------------------------------- sandbox drafts


def sandbox_changes(post: Any, draft: Any) -> dict[str, Any]:
    """The draft form's fields → the draft's ``changes`` (only what differs from the base it edits; values kept as
    typed so that a refusal names the field, e.g. ``changes.grade_bounds[1]``)."""
    changes: dict[str, Any] = {}
    if draft.kind == "scheme":
        base = draft.base_scheme.params
        for key, n in (("grade_bounds", 4), ("level_bounds", 2), ("colour_bounds", 3)):
            if key not in base:
                continue
            typed = [str(post.get(f"{key}_{i}", "")).strip() for i in range(n)]
            if typed != [_plain(v) for v in base[key]]:
                changes[key] = typed
        dims: dict[str, Any] = {}
        for dk, d in (base.get("dimensions") or {}).items():
            row: dict[str, Any] = {}
            w = str(post.get(f"dim_{dk}_weight", "")).strip()
            if w and w != _plain(d.get("weight", 1)):
                row["weight"] = w
            bounds = [str(post.get(f"dim_{dk}_bounds_{i}", "")).strip() for i in range(len(d.get("bounds", ())))]
            if bounds != [_plain(v) for v in d.get("bounds", ())]:
                row["bounds"] = bounds
            if row:
                dims[dk] = row
        if dims:
            changes["dimensions"] = dims
        return changes
    base_v = draft.base_version
    raw_rule = str(post.get("rule", "")).strip()
    if raw_rule:
        try:
            rule = json.loads(raw_rule)
        except ValueError:
            rule = raw_rule  # refused by the service as not a rule (located at changes.rule)
        if rule != base_v.rule:
            changes["rule"] = rule
    kind = str(post.get("benefit_kind", "")).strip()
    if kind and kind != base_v.benefit_kind:
        changes["benefit_kind"] = kind
    for key in ("benefit_amount", "budget"):
        typed_v = str(post.get(key, "")).strip()
        current = getattr(base_v, key)
        if typed_v != ("" if current is None else _plain(current)):
            changes[key] = typed_v or None
    return changes


def _plain(v: Any) -> str:
    """A number as typed in the form ("0.8", "250000"; no exponent, no trailing zeros)."""
    return format(Decimal(str(v)).normalize(), "f")


def _plain_or(v: Any) -> str:
    return "" if v is None or v == "" else (_plain(v) if _is_number(v) else str(v))


def _is_number(v: Any) -> bool:
    try:
        Decimal(str(v))
    except Exception:
        return False
    return not isinstance(v, bool)
