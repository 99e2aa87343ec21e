"""Web forms of reporting: the draft editor (activity/production formsets + economic data), upload,
correction and evidence. Forms only check shape; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dualcarbon.engine.inputs import NUMERIC_COLUMNS, PARAMETER_COLUMNS
from dualcarbon.engine.methods import SOURCE_TYPES

from .excel import MAX_BYTES as WORKBOOK_MAX_BYTES
from .models import Evidence

FORM_SHEET = "表单"
DEC = {"max_digits": 24, "decimal_places": 8, "required": False}


def _source_type_choices() -> list[tuple[str, str]]:
    en = (get_language() or "zh").startswith("en")
    return [("", "—")] + [(st.code, st.name_en if en else st.name_zh) for st in SOURCE_TYPES.values()]


class ActivityForm(forms.Form):
    source_type = forms.ChoiceField(label=_("排放源类别"), required=False, choices=())
    item = forms.CharField(label=_("品种"), max_length=64, required=False)
    quantity = forms.DecimalField(label=_("数量"), min_value=0, **DEC)  # type: ignore[arg-type]
    unit = forms.CharField(label=_("单位"), max_length=32, required=False)
    ncv = forms.DecimalField(label=_("低位发热量"), min_value=0, **DEC)  # type: ignore[arg-type]
    ncv_unit = forms.CharField(label=_("低位发热量单位"), max_length=32, required=False)
    carbon_content = forms.DecimalField(label=_("单位热值含碳量"), min_value=0, **DEC)  # type: ignore[arg-type]
    oxidation_rate = forms.DecimalField(label=_("碳氧化率"), min_value=0, **DEC)  # type: ignore[arg-type]
    factor = forms.DecimalField(label=_("排放因子"), min_value=0, **DEC)  # type: ignore[arg-type]
    factor_unit = forms.CharField(label=_("排放因子单位"), max_length=32, required=False)
    param_basis = forms.ChoiceField(
        label=_("参数来源"),
        required=False,
        choices=[("", "—"), ("measured", _("实测")), ("declared", _("企业声明"))],
    )
    gas = forms.CharField(label=_("气体"), max_length=16, required=False)
    fraction = forms.DecimalField(label=_("煅烧比例"), min_value=0, **DEC)  # type: ignore[arg-type]
    cao = forms.DecimalField(label=_("CaO含量"), min_value=0, **DEC)  # type: ignore[arg-type]
    mgo = forms.DecimalField(label=_("MgO含量"), min_value=0, **DEC)  # type: ignore[arg-type]
    cao_nc = forms.DecimalField(label=_("非碳酸盐CaO"), min_value=0, **DEC)  # type: ignore[arg-type]
    mgo_nc = forms.DecimalField(label=_("非碳酸盐MgO"), min_value=0, **DEC)  # type: ignore[arg-type]
    purity = forms.DecimalField(label=_("纯度"), min_value=0, **DEC)  # type: ignore[arg-type]

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
    quantity = forms.DecimalField(label=_("产量"), min_value=0, **DEC)  # type: ignore[arg-type]
    unit = forms.CharField(label=_("单位"), max_length=32, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quantity") is not None and not data.get("product"):
            self.add_error("product", _("已填写产量的行必须填写产品名称"))
        return data


class EconomicForm(forms.Form):
    value_added = forms.DecimalField(
        label=_("工业增加值（收入法，万元）"), max_digits=18, decimal_places=4, required=False
    )
    output_value = forms.DecimalField(
        label=_("工业总产值（万元）"), max_digits=18, decimal_places=4, min_value=0, required=False
    )
    revenue = forms.DecimalField(
        label=_("营业收入（万元）"), max_digits=18, decimal_places=4, min_value=0, required=False
    )


ActivityFormSet = forms.formset_factory(ActivityForm, extra=3, max_num=500, validate_max=True)
ProductionFormSet = forms.formset_factory(ProductionForm, extra=2, max_num=100, validate_max=True)


def draft_data(activities: Any, production: Any, economic: EconomicForm) -> dict[str, Any]:
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
    return {"activities": acts, "production": prods, "economic": econ}


class UploadForm(forms.Form):
    file = forms.FileField(label=_("已填写的模板（.xlsx）"))

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if f.size > WORKBOOK_MAX_BYTES:
            raise forms.ValidationError(_("文件过大（上限 10 MB）"))
        return f


class CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("更正原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError(_("请填写更正原因"))
        return reason


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
