"""The demo region's meter data (电碳监测): one month of synthetic 15-minute readings for every enterprise of the city,
loaded by the city's government through :func:`dualcarbon.reporting.meter_data.load` (as ``dualcarbon load-meters``
would), so the nowcast (``/monitoring/nowcast/``), the loads page (``/report/meters/``) and the ``meter_mismatch``
validator and alert have something to show.

The month is December of the last demo year. Each enterprise's meter reads what it reported as purchased electricity
give or take 3 % (a month without a report: an estimate from the others), over a working-day load profile; the
featured enterprise (ent1) is metered 25 % above what it reported (the mismatch: a validator finding on its version
and a ``meter_mismatch`` alert). A few data-quality findings are planted: one meter misses a morning (32 quarter
hours), one sends a day twice (exact duplicates, counted once), and one meter belongs to an entity the city has not
registered (listed as unknown, not counted).
"""

from __future__ import annotations

import calendar
import datetime
import math
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: metered / reported of the featured enterprise (more than the default 10 % tolerance)
MISMATCH = 1.25
NOISE = 0.03
UNKNOWN_ENTITY = "91339900MA0DEMO0XX"
#: the average power of one synthetic meter at most (kW): a larger consumer gets several meters
METER_KW = 40_000


def profile(days: int) -> np.ndarray:
    """Weights of the month's quarter hours (sum 1): nights lower than working hours."""
    hours = np.arange(96) / 4.0
    day = 0.55 + 0.45 * np.clip(np.sin((hours - 6.0) / 14.0 * np.pi), 0.0, None)
    w = np.tile(day, days)
    return w / w.sum()


def readings(enterprises: Sequence[tuple[str, float]], year: int, month: int, seed: int = 2026) -> pd.DataFrame:
    """Quarter-hour readings of one month for (uscc, kWh of the month) pairs, with the planted findings."""
    days = calendar.monthrange(year, month)[1]
    ts = pd.date_range(datetime.datetime(year, month, 1), periods=days * 96, freq="15min")
    weights = profile(days)
    rng = np.random.default_rng(seed)
    frames = []
    for i, (uscc, kwh) in enumerate(enterprises):
        # a large consumer has several meters (each well below the 100 MW the engine finds implausible)
        n = max(1, math.ceil(kwh / (days * 24 * METER_KW)))
        for j in range(n):
            share = kwh / n
            values = share * weights * rng.uniform(0.97, 1.03, len(weights))
            values *= share / values.sum() if values.sum() else 1.0
            meter = f"DB{i + 1:05d}" + (f"-{j + 1}" if n > 1 else "")
            frame = pd.DataFrame({"meter_id": meter, "entity": uscc, "ts": ts, "kwh": np.round(values, 3)})
            if i == 1 and j == 0:  # a morning lost by the meter's concentrator
                frame = frame.drop(frame.index[96 * 9 + 24 : 96 * 9 + 56])
            if i == 2 and j == 0:  # a day sent twice: exact duplicates, counted once
                frame = pd.concat([frame, frame.iloc[96 * 14 : 96 * 15]])
            frames.append(frame)
    frames.append(pd.DataFrame({"meter_id": "DB99999", "entity": UNKNOWN_ENTITY, "ts": ts[:96], "kwh": 12.5}))
    return pd.concat(frames, ignore_index=True)


def build(gov_user: Any, city_code: str, years: Sequence[int], featured: Any) -> dict[str, int]:
    """Generate and load the month; the counts for the build's summary."""
    from dualcarbon.registry.models import Organisation
    from dualcarbon.reporting import meter_data

    year, month = years[-1], 12
    orgs = list(
        Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, region__code__startswith=city_code[:4])
        .exclude(uscc__isnull=True)
        .order_by("pk")
        .values_list("pk", "uscc")
    )
    reported = meter_data.reported_kwh(None, year, month, region_prefix=city_code[:4])
    known = sorted(float(v) for v in reported.values() if v > 0)
    typical = known[len(known) // 2] if known else 500_000.0
    rng = np.random.default_rng(7)
    plan: list[tuple[str, float]] = []
    for pk, uscc in orgs:
        base = float(reported.get(pk) or Decimal(0)) or typical * float(rng.uniform(0.3, 1.5))
        factor = MISMATCH if featured is not None and pk == featured.pk else 1.0 + float(rng.uniform(-NOISE, NOISE))
        plan.append((str(uscc), base * factor))
    frame = readings(plan, year, month)
    with tempfile.TemporaryDirectory(prefix="demo-meters-") as tmp:
        path = Path(tmp) / f"示范市电表读数-{year}-{month:02d}.parquet"
        frame.to_parquet(path, index=False)
        load = meter_data.load(gov_user, path, region_code=city_code, period=f"{year}-{month:02d}", channel="cli")
    return {"meter_readings": load.readings, "metered_enterprises": load.enterprises}
