"""Layout helpers: the top bar (organisation, role, navigation by role) and number formatting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dualcarbon.monitoring import services as monitoring
from dualcarbon.registry import access
from dualcarbon.registry.models import Membership
from dualcarbon.ui import names

register = template.Library()

ROLE_LABELS: dict[str, Any] = {
    Membership.Role.ENTERPRISE_STAFF: gettext_lazy("企业填报人员"),
    Membership.Role.GOVERNMENT_STAFF: gettext_lazy("政府工作人员"),
    Membership.Role.BANK_STAFF: gettext_lazy("银行人员"),
    Membership.Role.VERIFIER: gettext_lazy("核查人员"),
    Membership.Role.PLATFORM_ADMIN: gettext_lazy("平台管理员"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


@register.simple_tag(takes_context=True)
def user_frame(context: Any) -> dict[str, Any]:
    """Who is signed in and what they may open (one query, cached on the request)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"memberships": [], "nav": []}
    cached = getattr(request, "_dc_frame", None)
    if cached is not None:
        return dict(cached)
    rows = list(
        Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)
        .select_related("organisation")
        .order_by("role", "organisation__name")
    )
    roles = {m.role for m in rows}
    path = request.path
    nav: list[dict[str, Any]] = []

    def add(label: str, url: str, prefix: str | None = None) -> None:
        nav.append({"label": label, "url": url, "active": path.startswith(prefix or url)})

    enterprises = [m.organisation for m in rows if m.role == Membership.Role.ENTERPRISE_STAFF]
    for org in enterprises:
        label = _("碳账户") if len(enterprises) == 1 else org.name
        add(label, reverse("accounting:enterprise", args=[org.pk]))
    if roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:
        add(_("区域碳账户"), reverse("accounting:region"))
    try:  # rating pages: the enterprise's grade, or the region's grades
        if len(enterprises) == 1:
            add(_("碳效评级"), reverse("rating:enterprise", args=[enterprises[0].pk]))
        elif roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:
            add(_("区域评级"), reverse("rating:region"))
        elif Membership.Role.BANK_STAFF in roles:  # the consenting enterprises' grades
            add(_("企业碳效评级"), reverse("rating:bank"))
    except NoReverseMatch:
        pass
    if roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:  # the register (registry pages)
        add(_("企业登记"), reverse("registry:enterprises"), "/registry/")
    if len(enterprises) == 1:  # who read the enterprise's data, under which consent
        add(_("数据访问记录"), reverse("registry:access_log", args=[enterprises[0].pk]))
    try:  # consents (finance): the enterprise grants and revokes them, a bank requests them
        if len(enterprises) == 1:
            add(_("数据授权"), reverse("finance:consents", args=[enterprises[0].pk]))
        elif Membership.Role.BANK_STAFF in roles:
            add(_("数据授权"), reverse("finance:bank"))
    except NoReverseMatch:
        pass
    try:  # loans (finance): the enterprise's products and loans, a bank's products and applications, the
        # government's financing needs and loan statistics (docs/finance.md)
        if len(enterprises) == 1:
            add(_("贷款融资"), reverse("finance:offers", args=[enterprises[0].pk]), "/finance/enterprise/")
        elif Membership.Role.BANK_STAFF in roles:
            add(_("贷款业务"), reverse("finance:bank_products"), "/finance/bank/products/")
        elif roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:
            add(_("融资对接"), reverse("finance:region_needs"), "/finance/needs/")
    except NoReverseMatch:
        pass
    try:  # transition certification (finance): the enterprise applies, the verifier reviews, the government certifies
        # and pushes its libraries, a bank reads the libraries pushed to it (docs/finance.md § Transition certification)
        if len(enterprises) == 1:
            add(_("转型认定"), reverse("finance:cert_enterprise", args=[enterprises[0].pk]))
        elif Membership.Role.VERIFIER in roles:
            add(_("认定核查"), reverse("finance:cert_reviews"))
        elif Membership.Role.BANK_STAFF in roles:
            add(_("认定库"), reverse("finance:cert_bank"))
        elif roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:
            add(_("转型认定"), reverse("finance:cert_region"), "/finance/certifications/")
    except NoReverseMatch:
        pass
    try:  # reduction planning: the enterprise's plans; the region's pathway to peak for its government
        if len(enterprises) == 1:
            add(_("减排规划"), reverse("planning:plans", args=[enterprises[0].pk]), "/planning/")
        elif roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:
            add(_("碳达峰路径"), reverse("planning:pathways"), "/planning/")
    except NoReverseMatch:
        pass
    try:  # carbon assets (assets): the enterprise's holdings, the government's discharge rights, a bank's pledges
        if len(enterprises) == 1:
            add(_("碳资产"), reverse("assets:enterprise", args=[enterprises[0].pk]))
        elif roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:
            add(_("排污权管理"), reverse("assets:region"), "/assets/")
        elif Membership.Role.BANK_STAFF in roles:
            add(_("质押登记"), reverse("assets:bank"))
    except NoReverseMatch:
        pass
    if Membership.Role.BANK_STAFF in roles:
        try:  # the bank's own alerts on its loans (a KPI missed, a borrower downgraded) with the unread count
            from dualcarbon.finance import kpi as finance_kpi

            url = reverse("finance:bank_alerts")
            unread_bank = finance_kpi.unread_alerts(user)
            item = {"label": _("贷后预警"), "url": url, "active": path.startswith(url), "count": unread_bank}
            nav.append({**item, "id": "nav-bank-alerts"})
        except NoReverseMatch:
            pass
    if roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:
        try:  # monitoring: dashboard, targets, alerts, monthly report; notifications with the unread count
            add(_("区域监测"), reverse("monitoring:dashboard"))
            url = reverse("monitoring:notifications")
            unread = monitoring.unread_count(user)
            item = {"label": _("通知"), "url": url, "active": path.startswith(url), "count": unread}
            nav.append({**item, "id": "nav-notifications"})
        except NoReverseMatch:
            pass
    try:  # policy matching: the enterprise's policies, the government's matches overview
        if len(enterprises) == 1:
            add(_("政策配套"), reverse("policy:enterprise", args=[enterprises[0].pk]), "/policy/")
        elif roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:
            add(_("政策配套"), reverse("policy:packages"), "/policy/")
    except NoReverseMatch:
        pass
    if roles & {Membership.Role.GOVERNMENT_STAFF, Membership.Role.PLATFORM_ADMIN}:
        try:  # the city's dual-carbon programme (docs/programme.md): the dispatch board
            add(_("双碳示范城"), reverse("programme:home"), "/programme/")
        except NoReverseMatch:
            pass
    if len(enterprises) == 1:
        try:  # the enterprise's carbon inventory as a group (docs/programme.md § Group inventory)
            add(_("集团碳盘查"), reverse("programme:group_inventory", args=[enterprises[0].pk]), "/programme/")
        except NoReverseMatch:
            pass
    if roles - {Membership.Role.BANK_STAFF}:  # banks read accounts, not raw submissions
        try:
            add(_("数据报送"), reverse("reporting:index"))
        except NoReverseMatch:  # the reporting pages are optional for the layout
            pass
    if roles & {Membership.Role.BANK_STAFF, Membership.Role.VERIFIER} and not enterprises:
        home = reverse("web:home")
        nav.append({"label": _("企业列表"), "url": home, "active": path == home})
    if user.is_staff:
        add(_("管理后台"), reverse("admin:index"))
    frame = {
        "memberships": [{"organisation": m.organisation.name, "role": role_label(m.role)} for m in rows],
        "nav": nav,
        "actor": access.actor_for(user),
    }
    request._dc_frame = frame
    return frame


@register.filter
def item_name(code: Any, name_zh: Any = "") -> str:
    """``{{ line.item|item_name:line.item_name }}``: a fuel or material in the page's language."""
    return names.item_name(str(code or ""), str(name_zh or ""))


@register.filter
def industry_name(code: Any, name_zh: Any = "") -> str:
    """``{{ industry.code|industry_name:industry.name_zh }}``: a GB/T 4754 industry in the page's language."""
    return names.industry_name(str(code or ""), str(name_zh or ""))


@register.filter
def industry_label(code: Any, name_zh: Any = "") -> str:
    """``{{ r.industry_code|industry_label }}``: an industry's name in a list cell (its code if unnamed)."""
    return names.industry_label(str(code or ""), str(name_zh or ""))


@register.filter
def person(user: Any, default: str = "—") -> str:
    """``{{ alert.owner|person }}``: a user's full name (the username only when no name is set)."""
    return names.person_name(user, default)


@register.filter
def t2(value: Any) -> str:
    """tCO2e: two decimals with thousands separators ("—" when missing)."""
    return _fmt(value, 2)


@register.filter
def t3(value: Any) -> str:
    """tce: three decimals with thousands separators."""
    return _fmt(value, 3)


@register.filter
def num(value: Any, places: int = 6) -> str:
    """A parameter (factor, NCV …) as stored, with up to ``places`` significant decimals."""
    if value is None or value == "":
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{v:,.{int(places)}f}".rstrip("0").rstrip(".") if abs(v) >= 1 else f"{v:.{int(places) + 2}g}"
    return text


@register.filter
def yuan(value: Any) -> str:
    """An amount of money (元) as a bank or a bill shows it, in every language: two decimals, thousands grouped
    (150,000,000.00); — when there is none. (Django's zh-Hans format groups nothing.)"""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def pct(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"


def _fmt(value: Any, places: int) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):,.{places}f}"
    except (TypeError, ValueError):
        return str(value)


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination and filter links)."""
    request = context["request"]
    params = request.GET.copy()
    for k, v in changes.items():
        if v in (None, ""):
            params.pop(k, None)
        else:
            params[k] = v
    return "?" + urlencode(sorted((k, v) for k, v in params.items() if v not in (None, "")))


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def join_list(value: Any) -> str:
    """A JSON option value: lists joined with ", "."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
