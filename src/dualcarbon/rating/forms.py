from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("申诉理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("说明哪项数据有误以及更正依据；该理由会作为数据更正原因记录在报送版本中。"),
    )
    months = forms.TypedMultipleChoiceField(label=_("需要更正的月份"), coerce=int, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, months: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["months"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(m, f"{m:02d}") for m in months or []]
