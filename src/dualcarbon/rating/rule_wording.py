"""Words for eligibility rules, outcomes and rule errors (zh-Hans source; English in the policy app's locale/en, which
Django merges into one catalogue): the engine returns structured outcomes and located problems, the pages and the
API of the apps that evaluate rules (policy, finance) say them in the user's language."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dualcarbon.engine import eligibility as el
from dualcarbon.rating import facts as account_facts
from dualcarbon.registry.models import Region
from dualcarbon.ui import names

_REGIONS: dict[str, str] = {}


def unit_text(unit: str) -> str:
    """A unit in the page's language (tCO2/万元 → tCO2/10k yuan)."""
    return _(unit) if unit else ""


def named(name: str, code: str) -> str:
    """A name with its code: 东城区（339901） / Dongcheng (339901)."""
    return _("%(name)s（%(code)s）") % {"name": name, "code": code}


def fact_label(name: str) -> str:
    return str(account_facts.LABELS.get(name, name))


def _region_name(code: str) -> str:
    if code not in _REGIONS:
        r = Region.objects.filter(code=code).only("name").first()
        _REGIONS[code] = r.name if r else code
    return _REGIONS[code]


def number(v: Any, places: int = 4) -> str:
    """A Decimal for people: at most ``places`` decimals, trailing zeros dropped."""
    d = el.to_decimal(v)
    if d is None:
        return "—"
    q = d.quantize(Decimal(1).scaleb(-places))
    text = format(q.normalize(), "f")
    return "0" if text in ("-0", "") else text


def value_text(fact: str, value: Any) -> str:
    """A fact's value (or a rule's value) for people: names for codes, units for figures."""
    if value is None:
        return _("未知")
    if isinstance(value, list | tuple):
        return "、".join(value_text(fact, v) for v in value)
    spec = account_facts.CATALOGUE.get(fact)
    if spec is None:
        return str(value)
    if spec.kind == el.FLAG:
        return _("是") if value in (True, "true", "True") else _("否")
    if fact == "grade":
        return _("%(g)s 级") % {"g": value}
    if fact == "data_tier":
        return _("第 %(t)s 层") % {"t": value}
    if fact == "industry":
        return named(names.industry_label(str(value)), str(value))
    if fact == "district":
        return named(_region_name(str(value)), str(value))
    labels = account_facts.VALUE_LABELS.get(fact)
    if labels is not None:
        return str(labels.get(str(value), value))
    if spec.kind == el.NUMBER:
        return f"{number(value, 2 if spec.unit == '%' else 4)} {unit_text(spec.unit)}".strip()
    return str(value)


def condition_text(cond: dict[str, Any]) -> str:
    """``碳排放强度 ≤ 0.8 tCO2/万元``."""
    fact, op, value = cond.get("fact", ""), cond.get("op", ""), cond.get("value")
    label = fact_label(fact)
    if op == "between" and isinstance(value, list | tuple):
        return _("%(f)s 介于 %(lo)s 与 %(hi)s 之间（含）") % {
            "f": label,
            "lo": value_text(fact, value[0]),
            "hi": value_text(fact, value[1]),
        }
    if op == "in":
        return _("%(f)s 为 %(v)s 之一") % {"f": label, "v": value_text(fact, value)}
    if op == "not_in":
        return _("%(f)s 不为 %(v)s") % {"f": label, "v": value_text(fact, value)}
    return f"{label} {el.SYMBOLS.get(op, op)} {value_text(fact, value)}"


def outcome_text(o: dict[str, Any]) -> str:
    """One condition's outcome: met with the figure, or what would meet it."""
    cond = o["condition"]
    fact = cond["fact"]
    actual = value_text(fact, o.get("actual"))
    if o["status"] == el.MET:
        return _("%(c)s：本企业为 %(a)s，满足") % {"c": condition_text(cond), "a": actual}
    if o["status"] == el.UNKNOWN:
        return _("%(c)s：本企业暂无该数据，无法判断") % {"c": condition_text(cond)}
    return _("%(c)s：本企业为 %(a)s，未满足（%(gap)s）") % {"c": condition_text(cond), "a": actual, "gap": gap_text(o)}


def pct(v: Any) -> str:
    """A relative change for people: one decimal (4.0, not 4)."""
    d = el.to_decimal(v)
    return "—" if d is None else format(abs(d).quantize(Decimal("0.1")), "f")


def intensity_text(route: dict[str, Any], sole: bool = False) -> str:
    """A missed grade or level condition as the intensity that reaches it (``via_intensity`` of a near miss, from
    the scheme's bounds and the enterprise's benchmark): "碳排放强度再降低 4.1 %（0.0300 tCO2/万元，至 0.7000
    tCO2/万元）可达 2 级" — and, when it is the only thing missing (``sole``), "，即可享受该政策"."""
    unit = unit_text(account_facts.CATALOGUE["intensity"].unit)
    params = {
        "f": fact_label("intensity"),
        "p": pct(route.get("relative_pct")),
        "a": f"{number(abs(el.to_decimal(route.get('delta')) or Decimal(0)))} {unit}",
        "l": f"{number(route.get('intensity'))} {unit}",
        "t": value_text(str(route.get("fact")), route.get("target")),
    }
    if sole:
        return _("%(f)s再降低 %(p)s %%（%(a)s，至 %(l)s）可达 %(t)s，即可享受该政策") % params
    return _("%(f)s再降低 %(p)s %%（%(a)s，至 %(l)s）可达 %(t)s") % params


def gap_text(o: dict[str, Any], sole: bool = False) -> str:
    """What would meet a missed condition: "碳排放强度再降低 4.1 %（0.03 tCO2/万元）即可满足 ≤ 0.8 tCO2/万元"; a grade
    or level condition with the intensity that reaches it (:func:`intensity_text`)."""
    if o.get("via_intensity"):
        return intensity_text(o["via_intensity"], sole)
    cond = o["condition"]
    fact = cond["fact"]
    label = fact_label(fact)
    spec = account_facts.CATALOGUE.get(fact)
    delta = el.to_decimal(o.get("delta"))
    target = f"{el.SYMBOLS.get(cond['op'], cond['op'])} {value_text(fact, cond.get('value'))}"
    if cond["op"] in ("between", "in"):
        target = condition_text(cond)
    if delta is None or spec is None:
        return _("%(c)s：取决于企业类别或缺少数据，不能通过改进达到") % {"c": condition_text(cond)}
    if spec.kind == el.ORDINAL:
        actual = el.to_decimal(o.get("actual")) or Decimal(0)
        return _("%(f)s需达到 %(t)s（相差 %(n)d 级）") % {
            "f": label,
            "t": value_text(fact, int(actual + delta)),
            "n": abs(int(delta)),
        }
    rel = el.to_decimal(o.get("relative_pct"))
    amount = f"{number(abs(delta))} {unit_text(spec.unit)}".strip()
    if spec.unit == "%":  # a trend: points, not a share of a share
        amount = _("%(n)s 个百分点") % {"n": number(abs(delta), 2)}
        rel = None
    params = {"f": label, "p": pct(rel), "a": amount, "t": target}
    if delta < 0:
        text = _("%(f)s再降低 %(p)s %%（%(a)s）") % params if rel is not None else _("%(f)s再降低 %(a)s") % params
    else:
        text = _("%(f)s再提高 %(p)s %%（%(a)s）") % params if rel is not None else _("%(f)s再提高 %(a)s") % params
    if o.get("strict"):
        return _("%(h)s以上即可满足 %(t)s") % {"h": text, "t": target}
    return _("%(h)s即可满足 %(t)s") % {"h": text, "t": target}


def source_text(source: dict[str, Any]) -> str:
    """A fact's lineage in words."""
    kind = (source or {}).get("kind")
    if kind == "rating_result":
        return _("评级结果 #%(r)s（评级运行 #%(run)s，方案 %(s)s，%(y)s 年度）") % {
            "r": source.get("result"),
            "run": source.get("run"),
            "s": source.get("scheme"),
            "y": source.get("year"),
        }
    if kind == "rating_results":
        return _("%(a)s；上年：%(b)s") % {
            "a": source_text(source.get("current") or {}),
            "b": source_text(source.get("previous") or {}),
        }
    if kind == "account_entries":
        return _("%(y)s 年 %(n)d 个月的核算结果（按排放量占比最大的数据层级）") % {
            "y": source.get("year"),
            "n": len(source.get("entries") or []),
        }
    if kind == "submissions":
        return _("%(y)s 年 %(n)d 个月的当前报送版本的核查状态") % {
            "y": source.get("year"),
            "n": len(source.get("submissions") or []),
        }
    if kind == "register":
        return _("企业登记信息")
    if kind == "sandbox_grade":
        return _("沙盘推演中按草案参数计算的等级（未保存；方案 %(s)s，%(y)s 年度）") % {
            "s": source.get("scheme"),
            "y": source.get("year"),
        }
    return _("无数据来源")


PROBLEMS = {
    "group": "规则须为 all（全部满足）或 any（满足其一）",
    "empty": "至少需要一个条件",
    "condition": "条件格式有误",
    "unknown_fact": "没有名为“%(fact)s”的指标；可用：%(known)s",
    "operator": "指标“%(fact)s”不能使用运算符“%(op)s”；可用：%(allowed)s",
    "unit": "单位“%(unit)s”与指标“%(fact)s”的单位（%(expected)s）不符",
    "missing": "请填写数值",
    "number": "“%(value)s”不是数字",
    "integer": "“%(value)s”不是整数",
    "flag": "“%(value)s”不是“是/否”",
    "list": "请填写一个或多个值（以逗号分隔）",
    "between": "“介于”需要两个值（下限, 上限），现有 %(count)s 个",
    "between_order": "下限 %(low)s 大于上限 %(high)s",
}


def problem_text(p: el.Problem) -> str:
    template = PROBLEMS.get(p.code, p.code)
    params = dict(p.params)
    if "fact" in params:
        params["fact"] = (
            fact_label(str(params["fact"])) if params["fact"] in account_facts.CATALOGUE else params["fact"]
        )
    return _(template) % params if params else _(template)


_TOP = re.compile(r"^(?:all|any)\[(\d+)\](?:\.(.*))?$")


def locate(path: str) -> tuple[int | None, str]:
    """``all[1].value`` → (row 2, "value"); a nested path → (its top row, the rest)."""
    m = _TOP.match(path)
    if not m:
        return None, path
    return int(m.group(1)) + 1, (m.group(2) or "")


FIELD_LABELS = {"fact": "指标", "op": "运算符", "value": "数值", "unit": "单位"}


def located_problem(p: el.Problem) -> str:
    """ "条件 2 · 数值：“abc”不是数字"."""
    row, rest = locate(p.path)
    if row is None:
        return problem_text(p)
    field = rest.split(".")[-1].split("[")[0] if rest else ""
    where = _("条件 %(n)d") % {"n": row}
    if field in FIELD_LABELS:
        where = f"{where} · {pgettext('policy', FIELD_LABELS[field])}"
    return _("%(where)s：%(what)s") % {"where": where, "what": problem_text(p)}


# catalogue strings for makemessages-free extraction (gettext_noop)
def _noop() -> None:  # pragma: no cover - strings for the catalogue
    _("规则须为 all（全部满足）或 any（满足其一）")
    _("至少需要一个条件")
    _("条件格式有误")
    _("没有名为“%(fact)s”的指标；可用：%(known)s")
    _("指标“%(fact)s”不能使用运算符“%(op)s”；可用：%(allowed)s")
    _("单位“%(unit)s”与指标“%(fact)s”的单位（%(expected)s）不符")
    _("请填写数值")
    _("“%(value)s”不是数字")
    _("“%(value)s”不是整数")
    _("“%(value)s”不是“是/否”")
    _("请填写一个或多个值（以逗号分隔）")
    _("“介于”需要两个值（下限, 上限），现有 %(count)s 个")
    _("下限 %(low)s 大于上限 %(high)s")
    pgettext("policy", "指标")
    pgettext("policy", "运算符")
    pgettext("policy", "数值")
    pgettext("policy", "单位")


#: the places a sandbox draft's refusal names (``changes.grade_bounds[1]`` → "碳效等级阈值 · 第 2 个")
SANDBOX_PLACES = {
    "changes": "修改内容",
    "grade_bounds": "碳效等级阈值",
    "level_bounds": "低/中/高碳阈值",
    "colour_bounds": "颜色阈值",
    "dimensions": "维度",
    "weight": "权重",
    "bounds": "分段阈值",
    "rule": "适用条件",
    "benefit_kind": "支持方式",
    "benefit_amount": "金额",
    "budget": "预算",
    "title": "标题",
    "kind": "草案类型",
    "policy": "政策",
    "year": "账户年度",
    "run": "沙盘推演",
    "status": "状态",
    "valid_from": "生效日期",
}


def sandbox_place(path: str) -> str:
    """A refusal's location in words: ``changes.grade_bounds[1]`` → "碳效等级阈值 · 第 2 个"; a rule path → its
    condition ("适用条件 · 条件 1 · 数值")."""
    parts = path.split(".")
    if parts and parts[0] == "changes" and len(parts) > 1:
        parts = parts[1:]
    if parts[:1] == ["rule"] and len(parts) > 1:
        row, rest = locate(".".join(parts[1:]))
        head = _(SANDBOX_PLACES["rule"])
        if row is None:
            return head
        where = _("条件 %(n)d") % {"n": row}
        field = rest.split(".")[-1].split("[")[0] if rest else ""
        return " · ".join([head, where, *([pgettext("policy", FIELD_LABELS[field])] if field in FIELD_LABELS else [])])
    out = []
    for p in parts:
        m = re.match(r"^([^\[]+)(?:\[(\d+)\])?$", p)
        if not m:
            out.append(p)
            continue
        name, idx = m.group(1), m.group(2)
        out.append(_(SANDBOX_PLACES[name]) if name in SANDBOX_PLACES else name)
        if idx is not None:
            out.append(_("第 %(n)d 个") % {"n": int(idx) + 1})
    return " · ".join(out)


def _sandbox_noop() -> None:  # pragma: no cover - the sandbox's place names and labels, for the catalogue
    for s in (
        "修改内容", "碳效等级阈值", "低/中/高碳阈值", "颜色阈值", "维度", "权重", "分段阈值", "适用条件", "支持方式",
        "金额", "预算", "标题", "草案类型", "政策", "账户年度", "沙盘推演", "状态", "生效日期",
    ):  # fmt: skip
        _(s)
    _("碳效等级阈值（K，1–5 级，上端含）")
    _("低/中/高碳阈值（L）")
    _("颜色阈值（综合得分，深绿→黄，递减）")
    _("未评级")
    _("%(g)s 级")
