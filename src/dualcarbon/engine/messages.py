"""Validation rules and their messages, in Chinese (default) and English.

A problem is located: file sheet (for workbooks), row as the user sees it in the file, column,
the value found, and the rule broken. The engine never raises on bad data mid-calculation: it
collects problems first and calculates only a clean table.
"""

from __future__ import annotations

from dataclasses import dataclass

RULES: dict[str, dict[str, str]] = {
    "missing_column": {
        "zh": "缺少必填列 {column}",
        "en": "required column {column} is missing",
    },
    "required": {"zh": "必填项为空", "en": "a required value is empty"},
    "period_format": {
        "zh": "报告期格式应为 YYYY 或 YYYY-MM，实际为 “{value}”",
        "en": "period must be YYYY or YYYY-MM, found “{value}”",
    },
    "not_a_number": {"zh": "“{value}” 不是数字", "en": "“{value}” is not a number"},
    "too_large": {
        "zh": "“{value}” 超出可接受的范围：整数部分最多 {hint} 位",
        "en": "“{value}” is out of range: at most {hint} digits before the decimal point",
    },
    "negative": {"zh": "数值不能为负（{value}）", "en": "value must not be negative ({value})"},
    "fraction_range": {
        "zh": "比例应在 0–1 之间（或 0–100%），实际为 {value}",
        "en": "a fraction must lie in 0–1 (or 0–100%), found {value}",
    },
    "unknown_source_type": {
        "zh": "未知的排放源类别 “{value}”；可用：{hint}",
        "en": "unknown source type “{value}”; use one of: {hint}",
    },
    "unknown_item": {
        "zh": "因子集 {hint} 中没有 “{value}” 这一项",
        "en": "“{value}” is not in factor set(s) {hint}",
    },
    "no_default_factor": {
        "zh": "“{value}” 没有缺省因子，请填写排放因子和排放因子单位（或实测参数）",
        "en": "“{value}” has no default factor: fill in the emission factor and its unit (or measured parameters)",
    },
    "missing_parameter": {
        "zh": "“{value}” 缺少参数“{column}”，因子集中也没有缺省值",
        "en": "“{value}” lacks the {column} and the factor set has no default",
    },
    "unknown_unit": {"zh": "无法识别的单位 “{value}”", "en": "unknown unit “{value}”"},
    "unit_mismatch": {
        "zh": "单位 “{value}” 无法换算为 {hint}",
        "en": "unit “{value}” cannot be converted to {hint}",
    },
    "unit_missing": {
        "zh": "已填写数值，但{column}为空",
        "en": "a value is given but the {column} is empty",
    },
    "unknown_gas": {
        "zh": "GWP 表 {hint} 中没有气体 “{value}”",
        "en": "gas “{value}” is not in GWP table {hint}",
    },
    "unknown_basis": {
        "zh": "参数来源应为 measured/实测 或 declared/企业声明，实际为 “{value}”",
        "en": "the parameter basis must be measured or declared, found “{value}”",
    },
    "no_grid_factor": {
        "zh": "{hint} 没有 {value} 年或更早年份的电网排放因子",
        "en": "no grid emission factor for {value} or an earlier year in {hint}",
    },
    "region_required": {
        "zh": "电网因子选择 {hint} 需要在此行填写地区（GB/T 2260 代码或省份）",
        "en": "grid choice {hint} needs a region on this line (GB/T 2260 code or province)",
    },
    "ncv_unit_missing": {
        "zh": "填写了低位发热量但缺少其单位（如 GJ/t、GJ/万Nm3）",
        "en": "the net calorific value is given without its unit (e.g. GJ/t, GJ/万Nm3)",
    },
    "out_of_range": {
        "zh": "数值 {value} 超出物理上可能的范围（{hint}）",
        "en": "value {value} is outside the physically possible range ({hint})",
    },
    "gas_needs_factor": {
        "zh": "非 CO2 气体（{value}）须在本行填写该气体的排放因子和排放因子单位",
        "en": "a non-CO2 gas ({value}) needs its own emission factor and its unit on the line",
    },
    "oxide_incomplete": {
        "zh": "按氧化物计算熟料排放须填写 CaO 含量（填写了 MgO 或非碳酸盐氧化物而未填 CaO）",
        "en": "the clinker oxide method needs the CaO content (MgO or non-carbonate oxides were given without it)",
    },
    "unknown_region": {
        "zh": "无法识别的地区 “{value}”（应为 GB/T 2260 代码、省份名或区域电网名）",
        "en": "unknown region “{value}” (use a GB/T 2260 code, a province or a regional grid name)",
    },
    "bad_timestamp": {
        "zh": "“{value}” 不是可识别的时间（应为 2024-03-01 00:15:00 这样的 ISO 8601 时间）",
        "en": "“{value}” is not a time (use ISO 8601, e.g. 2024-03-01 00:15:00)",
    },
    "bad_direction": {
        "zh": "计量方向应为 import/正向 或 export/反向，实际为 “{value}”",
        "en": "the direction must be import or export, found “{value}”",
    },
    "empty_file": {"zh": "文件中没有数据行", "en": "the file has no data rows"},
    "unreadable": {"zh": "无法读取文件：{value}", "en": "cannot read the file: {value}"},
    "formula_without_value": {
        "zh": "单元格是公式 “{value}”，但文件中没有它的计算结果（由程序生成、未在 Excel 中打开保存过）："
        "请在 Excel 中打开并保存，或粘贴为数值",
        "en": "the cell holds the formula “{value}” but not its computed value (the file was written by a program "
        "and never saved by Excel): open and save it in Excel, or paste the values",
    },
    "not_a_workbook": {
        "zh": "“{value}” 不是 Excel 2007 及以上的 .xlsx 工作簿（文件已损坏，或是改了扩展名的其他文件）",
        "en": "“{value}” is not an .xlsx workbook (Excel 2007 or later): it is damaged or another kind of file renamed",
    },
}

#: an unknown item's hint carries the factor sets searched, then this, then the closest known names ("原煤,烟煤")
SUGGEST_SEP = "|"
SUGGEST: dict[str, str] = {"zh": "；您是否要填：{names}？", "en": "; did you mean: {names}?"}


def unknown_item_hint(sets: str, names: list[str]) -> str:
    """The hint of an ``unknown_item`` problem: the sets searched and, when there are any, the closest names."""
    clean = [n.replace(SUGGEST_SEP, " ").replace(",", " ") for n in names]
    return f"{sets}{SUGGEST_SEP}{','.join(clean)}" if clean else sets


COLUMN_LABELS_ZH: dict[str, str] = {
    "entity": "主体",
    "period": "报告期",
    "source_type": "排放源类别",
    "item": "品种",
    "quantity": "数量",
    "unit": "单位",
    "ncv": "低位发热量",
    "ncv_unit": "低位发热量单位",
    "carbon_content": "单位热值含碳量",
    "oxidation_rate": "碳氧化率",
    "factor": "排放因子",
    "factor_unit": "排放因子单位",
    "region": "地区",
    "gas": "气体",
    "param_basis": "参数来源",
    "fraction": "煅烧比例",
    "cao": "CaO含量",
    "mgo": "MgO含量",
    "cao_nc": "非碳酸盐CaO",
    "mgo_nc": "非碳酸盐MgO",
    "purity": "纯度",
    # interval meter readings (engine/meters.py)
    "meter_id": "电表编号",
    "ts": "抄表时间",
    "kwh": "电量（千瓦时）",
    "direction": "方向（购入/输出）",
}

#: the same columns' names in English (a message names the column the user sees, never its key)
COLUMN_LABELS_EN: dict[str, str] = {
    "entity": "entity",
    "period": "period",
    "source_type": "source type",
    "item": "item",
    "quantity": "quantity",
    "unit": "unit",
    "ncv": "net calorific value",
    "ncv_unit": "net calorific value unit",
    "carbon_content": "carbon content per unit of heat",
    "oxidation_rate": "oxidation rate",
    "factor": "emission factor",
    "factor_unit": "emission factor unit",
    "region": "region",
    "gas": "gas",
    "param_basis": "parameter basis",
    "fraction": "calcined fraction",
    "cao": "CaO content",
    "mgo": "MgO content",
    "cao_nc": "non-carbonate CaO",
    "mgo_nc": "non-carbonate MgO",
    "purity": "purity",
    "meter_id": "meter id",
    "ts": "reading time",
    "kwh": "energy (kWh)",
    "direction": "direction (import/export)",
}


def column_label(code: str, lang: str = "zh") -> str:
    """The name a user sees for a column key (the key itself only when the column has no name)."""
    labels = COLUMN_LABELS_EN if lang.startswith("en") else COLUMN_LABELS_ZH
    return labels.get(code, code)


@dataclass(frozen=True)
class Problem:
    rule: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    hint: str | None = None
    sheet: str | None = None

    @property
    def suggestions(self) -> list[str]:
        """For an unknown item: the closest known names (best first), else nothing."""
        hint = self.hint or ""
        if self.rule != "unknown_item" or SUGGEST_SEP not in hint:
            return []
        return [n for n in hint.split(SUGGEST_SEP, 1)[1].split(",") if n]

    def message(self, lang: str = "zh", label: str | None = None) -> str:
        """The sentence the user reads, located by sheet, row and column name (``label``: the column's name when
        the caller knows it better, e.g. a reporting field); the rule's code is not in it (it is ``rule``)."""
        lang = "en" if lang.startswith("en") else "zh"
        template = RULES[self.rule][lang]
        hint = (self.hint or "").split(SUGGEST_SEP, 1)[0] if self.rule == "unknown_item" else self.hint or ""
        column = label or (column_label(self.column, lang) if self.column else "")
        named = column
        if self.rule == "missing_column" and self.column and column != self.column:
            named = f"{column}（{self.column}）" if lang == "zh" else f"{column} ({self.column})"  # the header to add
        body = template.format(column=named, value=self.value or "", hint=hint)
        if self.suggestions:
            sep = "、" if lang == "zh" else ", "
            body += SUGGEST[lang].format(names=sep.join(self.suggestions))
        where = []
        if lang == "zh":
            if self.sheet:
                where.append(f"工作表 {self.sheet}")
            if self.row is not None:
                where.append(f"第 {self.row} 行")
            if self.column:
                where.append(f"“{column}”列")
            loc = "，".join(where)
            return f"{loc}：{body}" if loc else body
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column “{column}”")
        loc = ", ".join(where)
        return f"{loc}: {body}" if loc else body

    def as_dict(self, lang: str = "zh") -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "message": self.message(lang),
        }


class InputError(Exception):
    """Bad input: carries every problem found (up to a limit) and changes nothing."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(self.render("en"))

    def render(self, lang: str = "zh", limit: int = 50) -> str:
        lines = [p.message(lang) for p in self.problems[:limit]]
        more = self.total - len(lines)
        if more > 0:
            lines.append(f"……另有 {more} 处问题" if lang.startswith("zh") else f"… and {more} more problems")
        return "\n".join(lines)
