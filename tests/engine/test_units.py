from __future__ import annotations

import pytest

from dualcarbon.engine import units


@pytest.mark.parametrize(
    ("src", "dst", "factor"),
    [
        ("kg", "t", 0.001),
        ("吨", "kg", 1000),
        ("千克", "t", 0.001),
        ("万立方米", "Nm3", 1e4),
        ("m3", "万Nm3", 1e-4),
        ("立方米", "Nm3", 1),
        ("10^4 Nm3", "万Nm3", 1),
        ("万千瓦时", "MWh", 10),
        ("千瓦时", "kWh", 1),
        ("兆瓦时", "kWh", 1000),
        ("吉焦", "MJ", 1000),
        ("tce", "GJ", 29.3076),
        ("kgce", "MJ", 29.3076),
        ("kgCO2/kWh", "tCO2/MWh", 1),
        ("tC/TJ", "tC/GJ", 0.001),
        ("MJ/kg", "GJ/t", 1),
        ("GJ/万Nm3", "MJ/Nm3", 0.1),
        ("tCO2e", "kgCO2e", 1000),
        ("万元", "yuan", 1e4),
    ],
)
def test_conversions(src, dst, factor):
    assert units.factor(src, dst) == pytest.approx(factor)


@pytest.mark.parametrize("pair", [("t", "Nm3"), ("kWh", "t"), ("万元", "t"), ("GJ/t", "GJ/万Nm3")])
def test_incompatible_units_are_refused(pair):
    with pytest.raises(units.UnitError):
        units.factor(*pair)


def test_unknown_units():
    assert not units.is_known("桶桶")
    assert not units.is_known("")
    assert units.is_known("万Nm3") and units.is_known("吨标准煤")
