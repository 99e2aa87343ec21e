"""Energy saved → CO2 avoided (engine/savings.py): the seed's published project figures, both tce bases, the
units a saving is given in, each method's derivation from the cited tables, and refusals in both languages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dualcarbon.engine import savings
from dualcarbon.engine.savings import SavingsError, convert

# NDRC 2015 guideline Table 2.1 (reference/fuels.csv, set ndrc-2015): anthracite CC 0.0274 tC/GJ, OF 0.94;
# bituminous coal CC 0.0261 tC/GJ, OF 0.93. 29.3076 GJ/tce (GB/T 2589). Worked by hand:
ANTHRACITE = Decimal("29.3076") * Decimal("0.0274") * Decimal("0.94") * 44 / 12  # 2.76777…
BITUMINOUS = Decimal("29.3076") * Decimal("0.0261") * Decimal("0.93") * 44 / 12  # 2.60840…


@pytest.mark.parametrize(
    ("quantity", "published"),
    [("1.7", Decimal("4.6")), ("0.88", Decimal("2.4"))],
    ids=["manure-biogas-1.7wan-tce", "0.88wan-tce"],
)
def test_the_seed_projects_are_reproduced_as_published(quantity, published):
    result = convert(quantity, "万tce", "equivalent")
    assert result.rounded("万tCO2", 1) == published
    assert result.method == "coal-ranks"
    assert result.factor == (ANTHRACITE + BITUMINOUS) / 2
    assert "发改办气候〔2015〕1722号" in result.source and "GB/T 2589" in result.source


def test_the_seed_figures_would_not_be_reproduced_by_one_coal_rank_alone():
    # the seed publishes no factor; its figures imply 2.676–2.735 tCO2/tce, which neither rank alone meets
    assert convert("1.7", "万tce", method="fuel:BITUMINOUS").rounded() == Decimal("4.4")
    assert convert("1.7", "万tce", method="fuel:ANTHRACITE").rounded() == Decimal("4.7")


@pytest.mark.parametrize(
    ("quantity", "unit"), [("17000", "tce"), ("17000000", "kgce"), ("1.7", "万tce"), ("1.7", "万吨标准煤")]
)
def test_units_are_converted_exactly(quantity, unit):
    result = convert(quantity, unit)
    assert result.tce == Decimal("17000")
    assert result.tco2 == Decimal("17000") * (ANTHRACITE + BITUMINOUS) / 2


def test_a_fuel_saving_is_the_same_on_both_bases_and_says_so():
    equivalent, equal = convert("100", "tce", "equivalent"), convert("100", "tce", "equal")
    assert equivalent.tco2 == equal.tco2
    assert any("当量值与等价值下相同" in n for n in equal.notes)


def test_an_electricity_saving_depends_on_the_basis():
    # equivalent value: 1 tce = 1000/0.1229 kWh; 2023 national factor 0.5306 tCO2/MWh (公告2025年第47号)
    eq = convert("1", "tce", "equivalent", "grid:mee:national@2023")
    assert eq.factor == Decimal(1000) / Decimal("0.1229") * Decimal("0.5306") / 1000
    # equal value at 0.3 kgce/kWh: 3333.3 kWh per tce
    ev = convert("1", "tce", "equal", "grid:mee:national@2023", "0.3")
    assert ev.factor == Decimal(1000) / Decimal("0.3") * Decimal("0.5306") / 1000
    assert "公告2025年第47号" in ev.source
    assert "等价值 0.3 kgce/kWh" in ev.parts[0].derivation


def test_the_grid_method_chooses_the_factor_the_account_engine_would():
    # a Huzhou (330500) line of 2022 takes Zhejiang's provincial factor, as a purchased-electricity line would
    from dualcarbon.engine.factors import GridSelector

    choice = GridSelector("mee:auto").choose(2022, "330500")
    result = convert("1", "tce", method="grid:mee:auto@2022/330500")
    assert result.factor == Decimal(1000) / Decimal("0.1229") * Decimal(str(choice.value)) / 1000
    assert "浙江" in result.source


def test_a_mix_is_the_share_weighted_mean():
    result = convert("10", "tce", method="mix:ANTHRACITE=0.25,BITUMINOUS=0.75")
    assert result.factor == ANTHRACITE / 4 + BITUMINOUS * 3 / 4
    assert [p.code for p in result.parts] == ["ANTHRACITE", "BITUMINOUS"]


def test_the_json_form_carries_factor_method_and_source():
    payload = convert("1.7", "万tce").as_dict()
    assert payload["tco2"] == pytest.approx(45697.499, rel=1e-6)
    assert payload["method"] == "coal-ranks" and payload["factor_unit"] == "tCO2/tce"
    assert payload["factor"] == pytest.approx(2.68809, rel=1e-5)
    assert payload["wan_tco2"] == 4.6
    assert len(payload["derivation"]) == 2 and payload["source"]


@pytest.mark.parametrize(
    ("kwargs", "zh", "en"),
    [
        ({"quantity": "abc"}, "节能量须为数字", "must be a number"),
        ({"quantity": "-1"}, "不能为负", "cannot be negative"),
        ({"quantity": "1", "unit": "MWh"}, "不是节能量单位", "not a unit of energy saved"),
        ({"quantity": "1", "basis": "gross"}, "折标口径", "basis must be"),
        ({"quantity": "1", "method": "magic"}, "未知方法", "unknown method"),
        ({"quantity": "1", "method": "fuel:UNOBTAINIUM"}, "不在因子集", "is not in the fuel set"),
        ({"quantity": "1", "method": "mix:ANTHRACITE=0.5,BITUMINOUS=0.4"}, "合计为 0.9", "add up to 0.9"),
        ({"quantity": "1", "method": "grid", "basis": "equal"}, "供电煤耗", "power-supply coal rate"),
        ({"quantity": "1", "method": "grid/999999"}, "GB/T 2260", "GB/T 2260"),
    ],
)
def test_wrong_input_is_refused_in_both_languages(kwargs, zh, en):
    with pytest.raises(SavingsError) as caught:
        convert(**kwargs)
    assert zh in caught.value.render("zh")
    assert en in caught.value.render("en")


def test_the_default_method_is_documented_as_a_convention():
    assert savings.PRESETS[savings.DEFAULT_METHOD] == "mix:ANTHRACITE=0.5,BITUMINOUS=0.5"
    assert any("platform convention" in n for n in convert("1").notes)
