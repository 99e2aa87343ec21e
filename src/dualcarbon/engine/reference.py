"""Loader for the reference library shipped in :mod:`dualcarbon.reference` (pure pandas, no Django).

Each CSV file has a declared schema (:data:`SCHEMAS`), a unique key (:data:`KEYS`), the columns holding
unit strings (:data:`UNIT_COLUMNS`) and the columns that must be filled (:data:`REQUIRED`). The tests in
``tests/reference`` hold the files to these declarations.

Column kinds: ``str`` (kept as text), ``float`` (float64, empty -> NaN), ``int`` (nullable ``Int64``,
empty -> ``<NA>``) and ``date`` (kept as text: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; sources are
often only known to the month).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import pandas as pd

from dualcarbon.reference import DATA_DIR

SCHEMAS: dict[str, dict[str, str]] = {
    "factor_sets": {
        "factor_set": "str",
        "version": "str",
        "kind": "str",
        "title_zh": "str",
        "title_en": "str",
        "publisher": "str",
        "publisher_en": "str",
        "document": "str",
        "document_en": "str",
        "document_no": "str",
        "table_ref": "str",
        "table_ref_en": "str",
        "published": "date",
        "url": "str",
        "read_from": "str",
        "confidence": "str",
        "status": "str",
        "note": "str",
    },
    "fuels": {
        "factor_set": "str",
        "fuel_code": "str",
        "name_zh": "str",
        "name_en": "str",
        "aliases": "str",
        "activity_unit": "str",
        "ncv": "float",
        "ncv_unit": "str",
        "carbon_content": "float",
        "carbon_content_unit": "str",
        "oxidation_rate": "float",
        "table_ref": "str",
        "table_ref_en": "str",
        "source": "str",
        "confidence": "str",
    },
    "grid_factors": {
        "factor_set": "str",
        "data_year": "int",
        "scope": "str",
        "region_code": "str",
        "region_name": "str",
        "variant": "str",
        "value": "float",
        "unit": "str",
        "document": "str",
        "document_no": "str",
        "published": "date",
        "table_ref": "str",
        "read_from": "str",
        "source": "str",
        "confidence": "str",
    },
    "provinces": {
        "code": "str",
        "name_zh": "str",
        "name_en": "str",
        "grid_region": "str",
        "grid_note": "str",
        "source": "str",
        "confidence": "str",
    },
    "heat_factors": {
        "factor_set": "str",
        "item": "str",
        "name_zh": "str",
        "name_en": "str",
        "value": "float",
        "unit": "str",
        "activity_unit": "str",
        "basis": "str",
        "table_ref": "str",
        "table_ref_en": "str",
        "source": "str",
        "confidence": "str",
    },
    "process_factors": {
        "factor_set": "str",
        "item": "str",
        "name_zh": "str",
        "name_en": "str",
        "aliases": "str",
        "method": "str",
        "gas": "str",
        "value": "float",
        "unit": "str",
        "activity_unit": "str",
        "basis": "str",
        "source": "str",
        "confidence": "str",
    },
    "coal_equivalents": {
        "factor_set": "str",
        "energy_code": "str",
        "name_zh": "str",
        "name_en": "str",
        "unit": "str",
        "kgce_per_unit": "float",
        "basis": "str",
        "fuel_code": "str",
        "table_ref": "str",
        "note": "str",
        "source": "str",
        "confidence": "str",
    },
    "gwp": {
        "gwp_table": "str",
        "gas_code": "str",
        "gas_name": "str",
        "formula": "str",
        "horizon": "int",
        "value": "float",
        "source": "str",
        "confidence": "str",
    },
    "industries": {
        "code": "str",
        "level": "str",
        "parent": "str",
        "name_zh": "str",
        "name_en": "str",
        "source": "str",
        "confidence": "str",
    },
    "key_sectors": {
        "ets_sector_zh": "str",
        "ets_sector_en": "str",
        "subsector_zh": "str",
        "subsector_en": "str",
        "industry_class": "str",
        "industry_class_name": "str",
        "industry_class_name_en": "str",
        "industry_division": "str",
        "note": "str",
        "source": "str",
        "confidence": "str",
    },
}

KEYS: dict[str, tuple[str, ...]] = {
    "factor_sets": ("factor_set",),
    "fuels": ("factor_set", "fuel_code"),
    "grid_factors": ("factor_set", "data_year", "scope", "region_code", "variant"),
    "provinces": ("code",),
    "heat_factors": ("factor_set", "item"),
    "process_factors": ("factor_set", "item"),
    "coal_equivalents": ("factor_set", "energy_code"),
    "gwp": ("gwp_table", "gas_code"),
    "industries": ("code",),
    "key_sectors": ("subsector_zh",),
}

UNIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "factor_sets": (),
    "fuels": ("activity_unit", "ncv_unit", "carbon_content_unit"),
    "grid_factors": ("unit",),
    "provinces": (),
    "heat_factors": ("unit", "activity_unit"),
    "process_factors": ("unit", "activity_unit"),
    "coal_equivalents": ("unit",),
    "gwp": (),
    "industries": (),
    "key_sectors": (),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "factor_sets": ("factor_set", "version", "kind", "title_zh", "title_en", "publisher", "publisher_en", "document",
                    "document_en", "read_from", "confidence", "status"),
    "fuels": ("factor_set", "fuel_code", "name_zh", "name_en", "activity_unit", "ncv", "ncv_unit",
              "carbon_content", "carbon_content_unit", "table_ref", "table_ref_en", "source", "confidence"),
    "grid_factors": ("factor_set", "data_year", "scope", "region_code", "region_name", "variant", "value",
                     "unit", "document", "read_from", "source", "confidence"),
    "provinces": ("code", "name_zh", "name_en", "grid_region", "source", "confidence"),
    "heat_factors": ("factor_set", "item", "name_zh", "name_en", "value", "unit", "activity_unit", "table_ref",
                     "table_ref_en", "source", "confidence"),
    "process_factors": ("factor_set", "item", "name_zh", "name_en", "method", "gas", "value", "unit",
                        "activity_unit", "source", "confidence"),
    "coal_equivalents": ("factor_set", "energy_code", "name_zh", "name_en", "unit", "kgce_per_unit", "basis",
                         "table_ref", "source", "confidence"),
    "gwp": ("gwp_table", "gas_code", "gas_name", "formula", "horizon", "value", "source", "confidence"),
    "industries": ("code", "level", "name_zh", "name_en", "source", "confidence"),
    "key_sectors": ("ets_sector_zh", "ets_sector_en", "subsector_zh", "subsector_en", "industry_class",
                    "industry_class_name", "industry_class_name_en", "industry_division", "source", "confidence"),
}  # fmt: skip

#: Allowed values of ``factor_sets.kind`` and ``factor_sets.status``.
KINDS: tuple[str, ...] = (
    "fuel",
    "grid",
    "heat",
    "process",
    "energy_coefficients",
    "gwp",
    "industries",
    "regions",
    "key_sectors",
)
STATUSES: tuple[str, ...] = ("active", "comparison", "offset_baseline")
#: ``factor_sets.read_from``: how the values were read — from the official text, from a reprint of it (where), or
#: from a transcription because the official text could not be consulted (where)
READ_FROM = re.compile(r"^(official|reprint: \S.*|transcription: \S.*)$")

#: The factor-set kind that the ``factor_set`` column of each data file must have.
FACTOR_SET_KIND: dict[str, str] = {
    "fuels": "fuel",
    "grid_factors": "grid",
    "heat_factors": "heat",
    "process_factors": "process",
    "coal_equivalents": "energy_coefficients",
}


class UnknownFactorSet(KeyError):
    """A factor set (or GWP table) name that the reference library does not hold."""

    def __init__(self, name: str, available: Iterable[str], kind: str | None = None) -> None:
        self.name = name
        self.kind = kind
        self.available = tuple(available)
        what = f"{kind} factor set" if kind else "factor set"
        self.message = f"unknown {what} {name!r}; available: {', '.join(self.available) or '(none)'}"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


def table_names() -> tuple[str, ...]:
    """The declared reference tables (file stems)."""
    return tuple(SCHEMAS)


@functools.lru_cache(maxsize=32)
def _read(name: str) -> pd.DataFrame:
    if name not in SCHEMAS:
        raise KeyError(f"unknown reference table {name!r}; available: {', '.join(SCHEMAS)}")
    frame = pd.read_csv(DATA_DIR / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    for column, kind in SCHEMAS[name].items():
        if column not in frame.columns:
            continue
        if kind == "float":
            frame[column] = pd.to_numeric(frame[column].replace({"": None}), errors="raise").astype("float64")
        elif kind == "int":
            frame[column] = pd.to_numeric(frame[column].replace({"": None}), errors="raise").astype("Int64")
    return frame


def read_table(name: str) -> pd.DataFrame:
    """Read ``DATA_DIR/<name>.csv`` with typed numeric columns (a fresh copy on every call)."""
    return _read(name).copy()


def factor_sets(kind: str | None = None) -> pd.DataFrame:
    """All factor sets, or those of one ``kind`` (see :data:`KINDS`)."""
    frame = read_table("factor_sets")
    if kind is None:
        return frame
    if kind not in KINDS:
        raise ValueError(f"unknown factor-set kind {kind!r}; one of: {', '.join(KINDS)}")
    return frame[frame["kind"] == kind].reset_index(drop=True)


def factor_set_info(name: str, kind: str | None = None) -> dict[str, str]:
    """The ``factor_sets.csv`` row of one set as a dict; :class:`UnknownFactorSet` if absent.

    When ``kind`` is given the set must be of that kind, and the error lists the sets of that kind.
    """
    frame = factor_sets(kind)
    rows = frame[frame["factor_set"] == name]
    if rows.empty:
        raise UnknownFactorSet(name, frame["factor_set"].tolist(), kind)
    row = rows.iloc[0]
    return {str(column): str(row[column]) for column in frame.columns}


def _gwp_key(name: str) -> str:
    text = name.strip().upper()
    return text[len("GWP-") :] if text.startswith("GWP-") else text


def gwp_table(name: str) -> dict[str, float]:
    """Gas code -> 100-year GWP for one table: ``"AR5"`` or the factor-set name ``"gwp-ar5"``."""
    frame = read_table("gwp")
    tables = sorted(frame["gwp_table"].unique())
    key = _gwp_key(name)
    if key not in tables:
        raise UnknownFactorSet(name, [f"gwp-{t.lower()}" for t in tables] + tables, "gwp")
    rows = frame[frame["gwp_table"] == key]
    return {str(gas): float(value) for gas, value in zip(rows["gas_code"], rows["value"], strict=True)}


# ------------------------------------------------------------------------------------ names (zh, en)

#: items the engine's catalogue adds without a row of their own (see dualcarbon.engine.factors)
BUILTIN_ITEM_NAMES: dict[str, tuple[str, str]] = {
    "ELECTRICITY": ("电力", "electricity"),
    "CO2": ("二氧化碳", "carbon dioxide"),
}
#: the tables whose rows name an item (code column), in the order their names are preferred
_ITEM_TABLES = (
    ("fuels", "fuel_code"),
    ("heat_factors", "item"),
    ("process_factors", "item"),
    ("coal_equivalents", "energy_code"),
)


def item_names() -> pd.DataFrame:
    """Every named item of the library: ``table``, ``factor_set``, ``code``, ``name_zh``, ``name_en``.

    Fuels, heat, process materials and GB/T 2589 energy types, then the engine's built-in items. A code
    may appear in several sets with different names (fuels-a NATURAL_GAS is the oil-field gas).
    """
    frames = []
    for table, column in _ITEM_TABLES:
        frame = read_table(table)
        frames.append(
            pd.DataFrame(
                {
                    "table": table,
                    "factor_set": frame["factor_set"],
                    "code": frame[column],
                    "name_zh": frame["name_zh"],
                    "name_en": frame["name_en"],
                }
            )
        )
    builtin = [("(engine)", "", code, zh, en) for code, (zh, en) in BUILTIN_ITEM_NAMES.items()]
    frames.append(pd.DataFrame(builtin, columns=["table", "factor_set", "code", "name_zh", "name_en"]))
    return pd.concat(frames, ignore_index=True)


@functools.lru_cache(maxsize=1)
def _item_lookup() -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    by_pair: dict[tuple[str, str], str] = {}
    by_code: dict[str, str] = {}
    for code, zh, en in item_names()[["code", "name_zh", "name_en"]].itertuples(index=False):
        by_pair.setdefault((str(code), str(zh)), str(en))
        by_code.setdefault(str(code), str(en))
    return by_pair, by_code


def item_name_en(code: str, name_zh: str = "") -> str:
    """The English name of an item by its code (and the Chinese name stored with it); "" if unknown."""
    by_pair, by_code = _item_lookup()
    return by_pair.get((code, name_zh)) or by_code.get(code, "")


@functools.lru_cache(maxsize=1)
def industry_names() -> dict[str, tuple[str, str]]:
    """GB/T 4754-2017 code → (Chinese, English) for the sections, the divisions and the classes that
    ``key_sectors`` names ("2211;2212" rows give one entry per class)."""
    out: dict[str, tuple[str, str]] = {}
    for code, zh, en in read_table("industries")[["code", "name_zh", "name_en"]].itertuples(index=False):
        out[str(code)] = (str(zh), str(en))
    ks = read_table("key_sectors")
    for codes, zh, en in ks[["industry_class", "industry_class_name", "industry_class_name_en"]].itertuples(
        index=False
    ):
        for code, name_zh, name_en in zip(str(codes).split(";"), str(zh).split(";"), str(en).split(";"), strict=True):
            out.setdefault(code.strip(), (name_zh.strip(), name_en.strip()))
    return out


# ------------------------------------------------------------------------------------ citations


def is_official(name: str) -> bool:
    """A set that names an official document (every status but ``comparison``)."""
    return factor_set_info(name).get("status") != "comparison"


def _date_zh(text: str) -> str:
    parts = [p for p in text.split("-") if p]
    if not parts:
        return ""
    out = f"{int(parts[0])}年"
    if len(parts) > 1:
        out += f"{int(parts[1])}月"
    if len(parts) > 2:
        out += f"{int(parts[2])}日"
    return out


def _read_note(read_from: str, lang: str, detail: bool) -> str:
    kind, _, where = read_from.partition(": ")
    if kind == "official":
        return "本平台依据官方原文录入。" if lang == "zh" else "Entered from the official text."
    if kind == "reprint":
        if lang == "zh":
            return "本平台依据转载件录入，非官方原件" + (f"（{where}）。" if detail else "。")
        return "Entered from a reprint, not the official original" + (f" ({where})." if detail else ".")
    if lang == "zh":
        return "官方原文未能查阅，数值依据公开转录件录入" + (f"（{where}）" if detail else "") + "，应以官方文本为准。"
    return (
        "The official text could not be consulted; the values were entered from public transcriptions"
        + (f" ({where})" if detail else "")
        + " and must be checked against the official text."
    )


@functools.lru_cache(maxsize=256)
def citation(name: str, lang: str = "zh", detail: bool = False) -> str:
    """One set's source as a sentence: publisher, document title and number, table or clause, date, and how the
    values were read (official text, reprint, transcription); a comparison set says it is not an official source.

    The one formatter of a factor set's citation: the account and lineage pages, the PDF report and the Excel
    说明 sheet all show this text. ``lang`` is ``"zh"`` or ``"en"``; ``detail`` adds where a reprint or a
    transcription was read (addresses, file ids), for the workbook and the reference notes rather than the pages.
    """
    lang = "en" if lang.lower().startswith("en") else "zh"
    info = factor_set_info(name)
    if info.get("status") == "comparison":
        if lang == "zh":
            return f"{info['title_zh']}（{info['publisher']}）：不是官方来源，仅供比对。"
        return f"{info['title_en']} ({info['publisher_en']}): not an official source; for comparison only."
    number, published = info.get("document_no", ""), info.get("published", "")
    if lang == "zh":
        text = f"{info['publisher']}发布的《{info['document']}》"
        text += f"（{number}）" if number else ""
        text += f"，{info['table_ref']}" if info.get("table_ref") else ""
        text += f"，{_date_zh(published)}发布。" if published else "。"
        return text + _read_note(info.get("read_from", "official"), lang, detail)
    text = f"{info['document_en']}"
    text += f" ({number})" if number else ""
    text += f", published by {info['publisher_en']}"
    text += f", {info['table_ref_en']}" if info.get("table_ref_en") else ""
    text += f", {published}." if published else "."
    return text + " " + _read_note(info.get("read_from", "official"), lang, detail)


#: the tables whose rows carry their own table/clause reference (code column)
_ROW_TABLES = (("fuels", "fuel_code"), ("heat_factors", "item"))


@functools.lru_cache(maxsize=4096)
def item_source(name: str, code: str, lang: str = "zh") -> str:
    """Where one item's default comes from, shortly: the document number and the table or clause of its row
    (a row that is not in the set's table says so), or that the set is not an official source."""
    lang = "en" if lang.lower().startswith("en") else "zh"
    try:
        info = factor_set_info(name)
    except KeyError:
        return ""
    if info.get("status") == "comparison":
        return "不是官方来源，仅供比对" if lang == "zh" else "not an official source; for comparison only"
    ref = info.get("table_ref" if lang == "zh" else "table_ref_en", "")
    for table, column in _ROW_TABLES:
        frame = read_table(table)
        rows = frame[(frame["factor_set"] == name) & (frame[column] == code)]
        if not rows.empty:
            ref = str(rows.iloc[0]["table_ref" if lang == "zh" else "table_ref_en"]) or ref
            break
    number = info.get("document_no", "")
    document = f"《{info['document']}》" if lang == "zh" else info["document_en"]
    return " ".join(part for part in (document, number, ref) if part)
