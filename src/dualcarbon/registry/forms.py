"""Forms of the registry pages: an enterprise's registered data, a site, an invited user, a spreadsheet upload.

Counties are those of the user's jurisdiction (``scoping.counties``); industries are chosen by name (GB/T 4754-2017
divisions and classes grouped under their sections, in the page's language), never by typing a code.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dualcarbon.ui import names

from . import scoping, services
from .imports import PHONE
from .models import Industry, Membership, Organisation, Region, validate_uscc


class CountyField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("所选县区不在您的辖区内")}

    def label_from_instance(self, obj: Any) -> str:
        parent = obj.parent.name if obj.parent_id and obj.parent else ""
        return f"{parent} {obj.name}".strip()


def industry_choices() -> list[tuple[str, Any]]:
    """Divisions and classes, by name, grouped under their sections (a class named with its division)."""
    rows = list(Industry.objects.order_by("code"))
    sections = {i.code: i for i in rows if i.level == "section"}
    divisions = {i.code: i for i in rows if i.level == "division"}
    groups: dict[str, list[tuple[str, str]]] = {}
    for i in rows:
        if i.level == "section":
            continue
        label = names.industry_name(i.code, i.name_zh)
        if i.level != "division":
            parent = divisions.get(i.code[:2])
            if parent is not None:
                label = f"{names.industry_name(parent.code, parent.name_zh)} › {label}"
        division = divisions.get(i.code[:2])
        section = sections.get(division.parent_id or "") if division else None
        group = names.industry_name(section.code, section.name_zh) if section else ""
        groups.setdefault(group, []).append((i.code, label))
    return [("", "—")] + [(group, options) for group, options in groups.items()]


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=200)
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        help_text=_("18 位，末位为校验位"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )
    region = CountyField(label=_("所属县区"), queryset=Region.objects.none(), empty_label="—")
    industry = forms.ChoiceField(label=_("行业（GB/T 4754-2017）"))
    size_class = forms.ChoiceField(label=_("企业规模"), choices=[("", "—"), *Organisation.Size.choices], required=False)
    above_scale = forms.BooleanField(label=_("规上工业企业"), required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("手机"), max_length=32, required=False)
    contact_email = forms.EmailField(label=_("邮箱"), required=False)

    def __init__(self, *args: Any, user: Any, instance: Organisation | None = None, **kwargs: Any):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "uscc": instance.uscc,
                "region": instance.region_id,
                "industry": instance.industry_id,
                "size_class": instance.size_class,
                "above_scale": instance.above_scale,
                "contact_name": instance.contact_name,
                "contact_phone": instance.contact_phone,
                "contact_email": instance.contact_email,
            }
        super().__init__(*args, **kwargs)
        counties = scoping.counties(user).select_related("parent").order_by("code")
        if instance is not None and instance.region_id:
            # an enterprise keeps its county even when that county is not the editor's to choose
            counties = (counties | Region.objects.filter(pk=instance.region_id)).distinct()
        region_field: Any = self.fields["region"]
        region_field.queryset = counties
        industry_field: Any = self.fields["industry"]
        industry_field.choices = industry_choices()

    def clean_uscc(self) -> str:
        value = str(self.cleaned_data["uscc"]).strip().upper()
        try:
            validate_uscc(value)
        except ValidationError:
            raise ValidationError(
                _("“%(value)s”不是有效的统一社会信用代码（校验位或格式错误）"), params={"value": value}
            ) from None
        taken = Organisation.objects.filter(uscc=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("该统一社会信用代码已登记"))
        return value

    def clean_industry(self) -> Industry:
        code = self.cleaned_data["industry"]
        industry = Industry.objects.exclude(level="section").filter(code=code).first()
        if industry is None:
            raise ValidationError(_("请选择行业"))
        return industry

    def clean_contact_phone(self) -> str:
        value = str(self.cleaned_data["contact_phone"]).strip()
        if value and not PHONE.match(value):
            raise ValidationError(_("不是有效的电话号码"))
        return value

    def fields_for_service(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in services.ENTERPRISE_FIELDS}


class SiteForm(forms.Form):
    name = forms.CharField(label=_("厂区/场所名称"), max_length=200)
    region = CountyField(label=_("所属县区"), queryset=Region.objects.none(), empty_label="—")
    address = forms.CharField(label=_("地址"), max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, current: Region | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        counties = scoping.counties(user).select_related("parent").order_by("code")
        if current is not None:
            counties = (counties | Region.objects.filter(pk=current.pk)).distinct()
        region_field: Any = self.fields["region"]
        region_field.queryset = counties


class InviteForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("登录用；字母、数字和 @ . + - _"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label=_("姓名"), max_length=150)
    email = forms.EmailField(label=_("邮箱"), required=False, help_text=_("设置密码的链接发送到此邮箱"))
    role = forms.ChoiceField(label=_("角色"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        role_field: Any = self.fields["role"]
        role_field.choices = [(r, Membership.Role(r).label) for r in services.ENTERPRISE_ROLES]

    def clean_username(self) -> str:
        value = str(self.cleaned_data["username"]).strip()
        if get_user_model().objects.filter(username__iexact=value).exists():
            raise ValidationError(_("该用户名已被使用"))
        return value


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
