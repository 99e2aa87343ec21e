"""Web forms of reporting: the draft editor (activity/production formsets + economic data), upload,
correction and evidence. Forms only check shape; the services decide and write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dualcarbon.engine import numbers as number_rule
from dualcarbon.engine.inputs import NUMERIC_COLUMNS, PARAMETER_COLUMNS
from dualcarbon.engine.messages import Problem
from dualcarbon.engine.methods import SOURCE_TYPES

from .excel import MAX_BYTES as WORKBOOK_MAX_BYTES
from .models import Evidence, GenerationRecord, OffsetRecord
from .validators import POLLUTANTS

FORM_SHEET = "表单"
#: where the form's generation and offset lines are said to be (row = line of that table)
FORM_GENERATION = "表单·自有零碳发电"
FORM_OFFSETS = "表单·碳抵消与绿证"
FORM_DISCHARGE = "表单·污染物排放"


class NumberField(forms.CharField):
    """A number by the engine's rule (:mod:`dualcarbon.engine.numbers`), like the Excel upload and the API:
    full-width digits read as ASCII, thousands separators dropped, a trailing % divides by 100; NaN, Infinity
    and values too large for the field refused with the rule's message; more decimal places rounded."""

    def __init__(
        self, *, spec: number_rule.NumberSpec = number_rule.ACTIVITY, min_value: int | None = None, **kwargs: Any
    ) -> None:
        self.spec = spec
        self.min_value = min_value
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)  # no max_length: the validators of CharField would measure the cleaned Decimal
        self.widget.attrs.setdefault("inputmode", "decimal")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):  # a stored value as the user typed it (no exponent, no trailing zeros)
            return format(value.normalize(), "f")
        return value

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            raw: Any = value
        else:
            raw = super().to_python(value)
            if raw in self.empty_values:
                return None
        try:
            number = number_rule.parse_number(raw, self.spec)
        except number_rule.NumberError as exc:
            lang = "en" if (get_language() or "zh").startswith("en") else "zh"
            raise forms.ValidationError(
                Problem(exc.rule, value=exc.value, hint=exc.hint).message(lang), code=exc.rule
            ) from None
        if number is not None and self.min_value is not None and number < self.min_value:
            raise forms.ValidationError(_("数值不能为负"), code="negative")
        return number


def _source_type_choices() -> list[tuple[str, str]]:
    en = (get_language() or "zh").startswith("en")
    return [("", "—")] + [(st.code, st.name_en if en else st.name_zh) for st in SOURCE_TYPES.values()]


class ActivityForm(forms.Form):
    source_type = forms.ChoiceField(label=_("排放源类别"), required=False, choices=())
    item = forms.CharField(label=_("品种"), max_length=64, required=False)
    quantity = NumberField(label=_("数量"), min_value=0)
    unit = forms.CharField(label=_("单位"), max_length=32, required=False)
    ncv = NumberField(label=_("低位发热量"), min_value=0)
    ncv_unit = forms.CharField(label=_("低位发热量单位"), max_length=32, required=False)
    carbon_content = NumberField(label=_("单位热值含碳量"), min_value=0)
    oxidation_rate = NumberField(label=_("碳氧化率"), min_value=0)
    factor = NumberField(label=_("排放因子"), min_value=0)
    factor_unit = forms.CharField(label=_("排放因子单位"), max_length=32, required=False)
    param_basis = forms.ChoiceField(
        label=_("参数来源"),
        required=False,
        choices=[("", "—"), ("measured", _("实测")), ("declared", _("企业声明"))],
    )
    gas = forms.CharField(label=_("气体"), max_length=16, required=False)
    fraction = NumberField(label=_("煅烧比例"), min_value=0)
    cao = NumberField(label=_("CaO含量"), min_value=0)
    mgo = NumberField(label=_("MgO含量"), min_value=0)
    cao_nc = NumberField(label=_("非碳酸盐CaO"), min_value=0)
    mgo_nc = NumberField(label=_("非碳酸盐MgO"), min_value=0)
    purity = NumberField(label=_("纯度"), min_value=0)

    MAIN = ("source_type", "item", "quantity", "unit")
    PARAMS = PARAMETER_COLUMNS
    NUMBERS = tuple(c for c in NUMERIC_COLUMNS if c != "quantity")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_type"].choices = _source_type_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quantity") is None:
            if any(data.get(f) is not None for f in self.NUMBERS):
                self.add_error("quantity", _("填写了参数但数量为空；请填写数量，或清空该行"))
            return data
        for f in ("source_type", "item", "unit"):
            if not data.get(f) and f not in self.errors:
                self.add_error(f, _("已填写数量的行必须填写此项"))
        return data

    @property
    def is_blank(self) -> bool:
        """No quantity: a blank (or pre-filled template) row, skipped."""
        return getattr(self, "cleaned_data", {}).get("quantity") is None

    def has_params(self) -> bool:
        return any(self.initial.get(f) not in (None, "") for f in self.PARAMS)


class ProductionForm(forms.Form):
    product = forms.CharField(label=_("产品名称"), max_length=64, required=False)
    quantity = NumberField(label=_("产量"), min_value=0)
    unit = forms.CharField(label=_("单位"), max_length=32, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quantity") is not None and not data.get("product"):
            self.add_error("product", _("已填写产量的行必须填写产品名称"))
        return data


class EconomicForm(forms.Form):
    value_added = NumberField(label=_("工业增加值（收入法，万元）"), spec=number_rule.MONEY)
    output_value = NumberField(label=_("工业总产值（万元）"), spec=number_rule.MONEY, min_value=0)
    revenue = NumberField(label=_("营业收入（万元）"), spec=number_rule.MONEY, min_value=0)


class GenerationForm(forms.Form):
    """One line of own zero-carbon generation (自有零碳发电): what was generated and where it went."""

    technology = forms.ChoiceField(
        label=_("发电类型"), required=False, choices=[("", "—"), *GenerationRecord.Technology.choices]
    )
    use = forms.ChoiceField(label=_("去向"), required=False, choices=[("", "—"), *GenerationRecord.Use.choices])
    quantity = NumberField(label=_("发电量"), min_value=0)
    unit = forms.ChoiceField(
        label=_("单位"), required=False, choices=[("MWh", "MWh"), ("kWh", "kWh"), ("万kWh", "万kWh")]
    )
    certificates_transferred = NumberField(
        label=_("绿证已转让电量"),
        min_value=0,
        help_text=_("本行电量中绿证已出售或转让给他人的部分（同一单位）；这部分环境权益已不属于本企业"),
    )
    reference = forms.CharField(label=_("项目/电表编号"), max_length=120, required=False)

    FIELDS = ("technology", "use", "quantity", "unit", "certificates_transferred", "reference")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quantity") is None:
            if data.get("certificates_transferred") is not None:
                self.add_error("quantity", _("填写了参数但数量为空；请填写数量，或清空该行"))
            return data
        for f in ("technology", "use"):
            if not data.get(f) and f not in self.errors:
                self.add_error(f, _("已填写数量的行必须填写此项"))
        return data


class OffsetForm(forms.Form):
    """One offset or green-electricity attribute: CCER, green certificates, a green-power trade, a forestry sink."""

    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", "—"), *OffsetRecord.Kind.choices])
    quantity = NumberField(label=_("数量"), min_value=0)
    unit = forms.ChoiceField(
        label=_("单位"),
        required=False,
        choices=[("", _("按类型缺省")), ("tCO2e", "tCO2e"), ("MWh", "MWh"), ("kWh", "kWh"), ("万kWh", "万kWh")],
    )
    origin = forms.ChoiceField(label=_("来源"), required=False, choices=OffsetRecord.Origin.choices)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=OffsetRecord.Status.choices)
    reference = forms.CharField(label=_("项目/序列号/合同编号"), max_length=120, required=False)

    FIELDS = ("kind", "quantity", "unit", "origin", "status", "reference")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quantity") is None:
            return data
        if not data.get("kind") and "kind" not in self.errors:
            self.add_error("kind", _("已填写数量的行必须填写此项"))
        if not data.get("unit") and data.get("kind"):
            data["unit"] = "MWh" if data["kind"] in OffsetRecord.MWH_KINDS else "tCO2e"
        return data


class DischargeForm(forms.Form):
    """The month's pollutant discharge (污染物排放量), one field per managed factor, in tonnes (≥ 0; empty: not
    reported). Field names are the factor codes in lower case."""

    cod = NumberField(label=_("化学需氧量（COD，吨）"), min_value=0)
    nh3n = NumberField(label=_("氨氮（NH3-N，吨）"), min_value=0)
    so2 = NumberField(label=_("二氧化硫（SO2，吨）"), min_value=0)
    nox = NumberField(label=_("氮氧化物（NOx，吨）"), min_value=0)
    pm = NumberField(label=_("颗粒物（吨）"), min_value=0)
    vocs = NumberField(label=_("挥发性有机物（VOCs，吨）"), min_value=0)

    FIELDS = tuple(code.lower() for code in POLLUTANTS)

    def rows(self) -> list[dict[str, Any]]:
        """The filled fields as discharge lines (row = the factor's place in the form)."""
        return [
            {"factor": f.upper(), "quantity": self.cleaned_data.get(f), "source_sheet": FORM_DISCHARGE, "source_row": i}
            for i, f in enumerate(self.FIELDS, start=1)
            if self.cleaned_data.get(f) is not None
        ]

    @classmethod
    def initial_from(cls, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {str(r["factor"]).lower(): r["quantity"] for r in rows if str(r["factor"]).lower() in cls.FIELDS}


ActivityFormSet = forms.formset_factory(ActivityForm, extra=3, max_num=500, validate_max=True)
ProductionFormSet = forms.formset_factory(ProductionForm, extra=2, max_num=100, validate_max=True)
GenerationFormSet = forms.formset_factory(GenerationForm, extra=2, max_num=50, validate_max=True)
OffsetFormSet = forms.formset_factory(OffsetForm, extra=2, max_num=100, validate_max=True)


def _claim_rows(formset: Any, fields: tuple[str, ...], sheet: str) -> list[dict[str, Any]]:
    return [
        {**{k: f.cleaned_data.get(k) for k in fields}, "source_sheet": sheet, "source_row": i}
        for i, f in enumerate(formset.forms, start=1)
        if getattr(f, "cleaned_data", {}).get("quantity") is not None
    ]


def draft_data(
    activities: Any,
    production: Any,
    economic: EconomicForm,
    generation: Any = None,
    offsets: Any = None,
    discharge: DischargeForm | None = None,
) -> dict[str, Any]:
    """Cleaned formsets → the keyword arguments of services.DraftData (blank rows skipped)."""
    acts = []
    for i, form in enumerate(activities.forms, start=1):
        if form.is_blank:
            continue
        rec = {k: form.cleaned_data.get(k) for k in (*ActivityForm.MAIN, *ActivityForm.PARAMS)}
        rec.update(source_sheet=FORM_SHEET, source_row=i)
        acts.append(rec)
    prods = [
        {
            **{k: f.cleaned_data.get(k) for k in ("product", "quantity", "unit")},
            "source_sheet": FORM_SHEET,
            "source_row": i,
        }
        for i, f in enumerate(production.forms, start=1)
        if getattr(f, "cleaned_data", {}).get("quantity") is not None
    ]
    econ = economic.cleaned_data if any(v is not None for v in economic.cleaned_data.values()) else None
    return {
        "activities": acts,
        "production": prods,
        "economic": econ,
        "generation": _claim_rows(generation, GenerationForm.FIELDS, FORM_GENERATION) if generation is not None else [],
        "offsets": _claim_rows(offsets, OffsetForm.FIELDS, FORM_OFFSETS) if offsets is not None else [],
        "discharge": discharge.rows() if discharge is not None else [],
    }


class UploadForm(forms.Form):
    file = forms.FileField(label=_("已填写的模板（.xlsx）"))

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if f.size > WORKBOOK_MAX_BYTES:
            raise forms.ValidationError(
                _("文件过大（%(size).1f MB；上限 %(limit)d MB）")
                % {"size": f.size / 1048576, "limit": WORKBOOK_MAX_BYTES // 1048576}
            )
        return f


class CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("更正原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError(_("请填写更正原因"))
        return reason


class ReviewForm(forms.Form):
    """The verifier's comment when returning (退回) or rejecting (驳回) a version: required."""

    MESSAGE = _("请填写核查意见，说明退回或驳回的原因")

    comment = forms.CharField(
        label=_("核查意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_comment(self) -> str:
        comment = str(self.cleaned_data.get("comment") or "").strip()
        if not comment:
            raise forms.ValidationError(self.MESSAGE)
        return comment


#: leading bytes of each allowed evidence type (the browser's content type is not trusted alone)
MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=Evidence.Kind.choices)
    file = forms.FileField(label=_("文件（PDF、JPG、PNG、XLSX，不超过 10 MB）"))

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if f.size > Evidence.MAX_BYTES:
            raise forms.ValidationError(_("文件过大：%(mb).1f MB（上限 10 MB）") % {"mb": f.size / 1048576})
        content_type = (getattr(f, "content_type", "") or "").split(";")[0].strip().lower()
        if content_type not in Evidence.ALLOWED_TYPES:
            raise forms.ValidationError(
                _("不支持的文件类型：%(t)s（允许 PDF、JPG、PNG、XLSX）") % {"t": content_type or "?"}
            )
        f.seek(0)
        head = f.read(16)
        f.seek(0)
        if not any(head.startswith(m) for m in MAGIC[content_type]):
            raise forms.ValidationError(_("文件内容与其类型不符"))
        f.content_type = content_type
        return f
