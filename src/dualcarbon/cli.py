"""The ``dualcarbon`` console script (also ``python -m dualcarbon``).

``dualcarbon account INPUT`` runs the pure engine on a file; ``dualcarbon meters INPUT`` computes the monthly
electricity-carbon of interval meter readings (engine/meters.py). Any other sub-command is handed to
Django's management commands (``dualcarbon migrate``, ``dualcarbon runserver`` …).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2


def _lang(value: str | None) -> str:
    text = value or os.environ.get("DUALCARBON_LANG") or os.environ.get("LANG", "zh")
    return "en" if text.lower().startswith("en") else "zh"


def _number_arg(text: str) -> float:
    """A number on the command line by the engine's rule (engine/numbers.py): NaN, Infinity, 1e308 are refused
    (argparse then exits 2 with the message)."""
    from .engine import numbers

    try:
        value = numbers.parse_number(text)
    except numbers.NumberError as exc:
        raise argparse.ArgumentTypeError(exc.problem().message(_lang(None))) from None
    if value is None:
        raise argparse.ArgumentTypeError("a number is required / 需要一个数值")
    return float(value)


def _account_parser() -> argparse.ArgumentParser:
    from .engine import factors

    p = argparse.ArgumentParser(
        prog="dualcarbon account",
        description="Compute a carbon account from an activity file (GB/T 32150-2015). "
        "根据活动数据文件核算温室气体排放（GB/T 32150-2015）。",
    )
    p.add_argument("input", help="CSV (UTF-8 or GBK), XLSX or Parquet activity file")
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.add_argument(
        "--format",
        choices=("csv", "json", "xlsx", "table", "parquet"),
        help="output format (default from -o suffix, else json); table = readable summary; "
        "parquet = -o DIRECTORY with lines.parquet (compact: numbers + lineage id), lineage.parquet, totals.parquet",
    )
    p.add_argument(
        "--factor-set",
        default=",".join(factors.DEFAULT_FUEL_SETS),
        help="fuel factor set(s), comma-separated in order of precedence "
        f"(default {','.join(factors.DEFAULT_FUEL_SETS)}; e.g. fuels-a,fuels-b)",
    )
    p.add_argument(
        "--grid",
        default=factors.DEFAULT_GRID,
        help="grid factor: ets | mee:national | mee:regional | mee:provincial | mee:auto, optional @YEAR "
        f"(default {factors.DEFAULT_GRID}: the most specific factor a line's region has)",
    )
    p.add_argument("--gwp", default=factors.DEFAULT_GWP, choices=factors.GWP_TABLES, type=str.upper)
    p.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    p.add_argument(
        "--tce-basis",
        default="equivalent",
        choices=("equivalent", "equal"),
        help="electricity to tce: equivalent value (当量值, default) or equal value (等价值)",
    )
    p.add_argument(
        "--power-coal-rate",
        type=_number_arg,
        help="kgce/kWh for the equal-value basis (that year's thermal power supply coal rate)",
    )
    p.add_argument("--lines", action="store_true", help="with csv output, write the lines instead of the totals")
    p.add_argument("--lang", help="message language: zh (default) or en")
    return p


def _json_value(v: Any) -> Any:
    if v is None or type(v).__name__ == "NAType":  # pandas' missing value of a nullable integer column
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if hasattr(v, "item"):
        return _json_value(v.item())
    return v


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: _json_value(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _totals_records(frame: Any) -> list[dict[str, Any]]:
    from .engine import by_source

    out = []
    for row in _records(frame):
        rec = {k: v for k, v in row.items() if not k.startswith("src_")}
        rec["by_source"] = by_source(row)
        out.append(rec)
    return out


def _write_atomic(target: Path, write: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_atomic_dir(target: Path, write: Any) -> None:
    """Write a directory of files next to ``target`` and move it into place only when complete."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SystemExit(f"{target} exists and is not an empty directory / 目录已存在且非空")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent if target.parent.exists() else None))
    try:
        write(tmp)
        if target.exists():
            target.rmdir()
        shutil.move(str(tmp), str(target))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_parquet(result: Any, directory: Path) -> None:
    """Compact lines + their lineage table + the account totals (for large files: the fast path)."""
    result.write_parquet(directory / "lines.parquet", directory / "lineage.parquet")
    result.con.to_parquet(result.totals, str(directory / "totals.parquet"))


def render_table(frame: Any, meta: dict[str, Any], lang: str) -> str:
    """A readable account: one row per entity and period, a total per entity and year.

    Rounding happens only here (tCO2e to 2 decimals, tce to 3).
    """
    zh = lang == "zh"
    heads = (
        [
            "主体",
            "报告期",
            "排放总量",
            "范围一",
            "范围二",
            "范围二(市场法)",
            "输出",
            "生物质(不计入)",
            "综合能耗tce",
            "缺省值占比",
        ]
        if zh
        else [
            "entity",
            "period",
            "total tCO2e",
            "scope 1",
            "scope 2",
            "scope 2 (market)",
            "exported",
            "biomass (memo)",
            "energy tce",
            "default-factor share",
        ]
    )
    rows: list[list[str]] = []

    def fmt_row(entity: str, period: str, r: dict[str, float]) -> list[str]:
        share = r["tier3_tco2e"] / r["gross"] if r["gross"] else 0.0
        return [
            entity,
            period,
            f"{r['total_tco2e']:,.2f}",
            f"{r['scope1_tco2e']:,.2f}",
            f"{r['scope2_tco2e']:,.2f}",
            f"{r['scope2_market_tco2e']:,.2f}",
            f"{r['exported_tco2e']:,.2f}",
            f"{r['biomass_co2_t']:,.2f}",
            f"{r['energy_tce']:,.3f}",
            f"{share:.0%}",
        ]

    keys = (
        "total_tco2e",
        "scope1_tco2e",
        "scope2_tco2e",
        "scope2_market_tco2e",
        "exported_tco2e",
        "biomass_co2_t",
        "energy_tce",
        "tier3_tco2e",
    )
    years: dict[tuple[str, str], dict[str, float]] = {}
    counts: dict[tuple[str, str], int] = {}
    for rec in frame.to_dict("records"):
        r: dict[str, float] = {k: float(rec[k]) for k in keys}
        r["gross"] = abs(r["scope1_tco2e"]) + abs(r["scope2_tco2e"]) + abs(r["exported_tco2e"])
        rows.append(fmt_row(str(rec["entity"]), str(rec["period"]), r))
        key = (str(rec["entity"]), str(rec["period"])[:4])
        counts[key] = counts.get(key, 0) + 1
        acc = years.setdefault(key, dict.fromkeys((*keys, "gross"), 0.0))
        for k in (*keys, "gross"):
            acc[k] += r[k]
    for (entity, year), r in years.items():
        if counts[(entity, year)] < 2:
            continue  # a single (annual) period is its own year total
        rows.append(fmt_row(entity, f"{year} {'全年' if zh else 'year'}", r))
    widths = [max(len(h), *(len(x[i]) for x in rows)) for i, h in enumerate(heads)]
    out = []
    title = "碳账户（GB/T 32150-2015）" if zh else "Carbon account (GB/T 32150-2015)"
    opts = meta.get("options", {})
    out.append(f"{title}  {meta.get('source', '')}")
    out.append(
        ("因子集" if zh else "factor sets") + f": {'+'.join(opts.get('fuel_sets', []))}, "
        f"grid {opts.get('grid')}, GWP {opts.get('gwp')}, tce {opts.get('tce_basis')}"
    )
    out.append("  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)))
    for cells in rows:
        out.append(
            "  ".join(
                (c.rjust(w) if i >= 2 else c.ljust(w)) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    out.append(
        "单位：tCO2e；每个数字的来历见 --format json 的 lines"
        if zh
        else "unit: tCO2e; how each number was made: the lines of --format json"
    )
    return "\n".join(out) + "\n"


def account(argv: list[str]) -> int:
    args = _account_parser().parse_args(argv)
    lang = _lang(args.lang)
    from .engine import InputError, Options, SelectionError, account_file, factors
    from .engine.reference import UnknownFactorSet

    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "json")
    if fmt not in ("csv", "json", "xlsx", "table", "parquet"):
        print(f"unknown output format {fmt!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if fmt in ("xlsx", "parquet") and not args.output:
        print(f"{fmt} output needs -o / {fmt} 输出需要 -o", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        # the choices are checked before the file is read: a wrong one is the caller's, named with what is accepted
        options = Options(
            fuel_sets=factors.parse_fuel_sets(args.factor_set),
            grid=factors.parse_grid(args.grid),
            gwp=factors.parse_gwp(args.gwp),
            tce_basis=factors.parse_tce_basis(args.tce_basis),
            equal_value_kgce_per_kwh=args.power_coal_rate,
        )
        started = time.perf_counter()
        if sys.stderr.isatty():
            print(f"读取 / reading {args.input} …", file=sys.stderr)
        result = account_file(args.input, options, engine=args.engine)
    except InputError as exc:
        head = "文件有误，未写出任何结果：" if lang == "zh" else "The file has errors; nothing was written:"
        print(head, file=sys.stderr)
        print(exc.render(lang), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (SelectionError, UnknownFactorSet) as exc:
        print(str(exc).strip("'\""), file=sys.stderr)
        return EXIT_BAD_INPUT
    with result:
        if sys.stderr.isatty() and result.meta.get("rows", 0) > 100_000:
            print(f"计算 / computing {result.meta['rows']:,} rows on {args.engine} …", file=sys.stderr)
        if fmt == "table":
            text = render_table(result.totals_frame(), result.meta, lang)
            if args.output:
                _write_atomic(Path(args.output), lambda p: p.write_text(text, encoding="utf-8"))
            else:
                sys.stdout.write(text)
        elif fmt == "json":
            payload = {
                "meta": {**result.meta, "line_columns": list(result.lines.columns)},
                "lines": _records(result.lines_frame()),
                "totals": _totals_records(result.totals_frame()),
            }
            text = json.dumps(payload, ensure_ascii=False, indent=1)
            if args.output:
                _write_atomic(Path(args.output), lambda p: p.write_text(text, encoding="utf-8"))
            else:
                sys.stdout.write(text + "\n")
        elif fmt == "csv":
            from .engine.safe_cells import neutralise_frame, neutralise_table

            # text from the input file (entity, item …) is written so that a spreadsheet cannot run it
            expr = result.lines.order_by("row") if args.lines else result.totals
            if args.output and args.engine == "duckdb":
                _write_atomic(Path(args.output), lambda p: result.con.to_csv(neutralise_table(expr), p))
            else:
                frame = neutralise_frame(result.con.execute(expr))
                if args.output:
                    _write_atomic(Path(args.output), lambda p: frame.to_csv(p, index=False))
                else:
                    frame.to_csv(sys.stdout, index=False)
        elif fmt == "parquet":
            _write_atomic_dir(Path(args.output), lambda d: _write_parquet(result, d))
        else:
            from .engine.report import write_xlsx

            _write_atomic(Path(args.output), lambda p: write_xlsx(result, p))
        if sys.stderr.isatty():
            took = time.perf_counter() - started
            print(f"完成 / done: {result.meta.get('rows', 0):,} rows in {took:.1f}s", file=sys.stderr)
    return 0


def _meters_parser() -> argparse.ArgumentParser:
    from .engine import factors, meters

    p = argparse.ArgumentParser(
        prog="dualcarbon meters",
        description="Monthly electricity-carbon (电碳监测) from interval meter readings: kWh, tCO2e and data-quality "
        "findings per entity, region and month. 由电表分时读数计算各主体每月的电量、排放量和数据质量问题。",
    )
    p.add_argument("input", help="CSV (UTF-8 or GBK) or Parquet: meter_id, entity, ts, kwh [, direction, region]")
    p.add_argument("-o", "--output", help="output file (default: standard output); a directory for parquet")
    p.add_argument(
        "--format",
        choices=("json", "csv", "parquet"),
        help="output format (default from -o suffix, else json); json = {meta, totals, findings}; csv = the totals "
        "(--findings: the findings); parquet = -o DIRECTORY with totals.parquet and findings.parquet",
    )
    p.add_argument(
        "--grid",
        default=factors.DEFAULT_GRID,
        help="grid factor, as for `dualcarbon account`: ets | mee:national | mee:regional | mee:provincial | "
        f"mee:auto, optional @YEAR (default {factors.DEFAULT_GRID})",
    )
    p.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    p.add_argument(
        "--interval",
        type=int,
        default=meters.DEFAULT_INTERVAL_MINUTES,
        help=f"the meters' interval in minutes (default {meters.DEFAULT_INTERVAL_MINUTES})",
    )
    p.add_argument(
        "--max-kw",
        type=_number_arg,
        default=meters.DEFAULT_MAX_KW,
        help=f"the highest plausible power of a meter, kW (default {meters.DEFAULT_MAX_KW:,.0f}); a reading above "
        "max-kw × interval is implausible and not counted",
    )
    p.add_argument("--findings", action="store_true", help="with csv output, write the findings instead of the totals")
    p.add_argument("--lang", help="message language: zh (default) or en")
    return p


def meters_command(argv: list[str]) -> int:
    args = _meters_parser().parse_args(argv)
    lang = _lang(args.lang)
    from .engine import InputError, SelectionError, factors
    from .engine.meters import MeterOptions, meters_file

    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "json")
    if fmt not in ("csv", "json", "parquet"):
        print(f"unknown output format {fmt!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if fmt == "parquet" and not args.output:
        print("parquet output needs -o / parquet 输出需要 -o", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.interval <= 0 or (24 * 60) % args.interval:
        print("--interval must divide a day (e.g. 15, 30, 60) / 间隔须整除一天", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.max_kw <= 0:
        print("--max-kw must be positive / --max-kw 须为正数", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        options = MeterOptions(grid=factors.parse_grid(args.grid), interval_minutes=args.interval, max_kw=args.max_kw)
        result = meters_file(args.input, options, engine=args.engine)
    except InputError as exc:
        head = "文件有误，未写出任何结果：" if lang == "zh" else "The file has errors; nothing was written:"
        print(head, file=sys.stderr)
        print(exc.render(lang), file=sys.stderr)
        return EXIT_BAD_INPUT
    except SelectionError as exc:
        print(str(exc).strip("'\""), file=sys.stderr)
        return EXIT_BAD_INPUT
    if fmt == "json":
        payload = {
            "meta": result.meta,
            "totals": _records(result.totals),
            "findings": _records(result.findings),
        }
        text = json.dumps(payload, ensure_ascii=False, indent=1)
        if args.output:
            _write_atomic(Path(args.output), lambda p: p.write_text(text, encoding="utf-8"))
        else:
            sys.stdout.write(text + "\n")
    elif fmt == "csv":
        from .engine.safe_cells import neutralise_frame

        # text from the input file (entity, meter, region) is written so that a spreadsheet cannot run it
        frame = neutralise_frame(result.findings if args.findings else result.totals)
        if args.output:
            _write_atomic(Path(args.output), lambda p: frame.to_csv(p, index=False))
        else:
            frame.to_csv(sys.stdout, index=False)
    else:

        def write(directory: Path) -> None:
            result.totals.to_parquet(directory / "totals.parquet", index=False)
            result.findings.to_parquet(directory / "findings.parquet", index=False)

        _write_atomic_dir(Path(args.output), write)
    return 0


def _savings_parser() -> argparse.ArgumentParser:
    from .engine import savings

    p = argparse.ArgumentParser(
        prog="dualcarbon savings",
        description="Energy saved (tce) → CO2 avoided (tCO2), with the factor and its source "
        "(docs/methods.md § Savings). 节能量（标准煤）折算二氧化碳减排量，并给出系数及其来源。",
    )
    p.add_argument("quantity", help="energy saved, e.g. 1.7 (with --unit 万tce)")
    p.add_argument("--unit", default="tce", help="tce (default), kgce or 万tce")
    p.add_argument(
        "--basis",
        default="equivalent",
        help="tce basis: equivalent (当量值, default) or equal (等价值; changes only electricity and heat)",
    )
    p.add_argument("--method", default=savings.DEFAULT_METHOD, help=savings.METHOD_HELP)
    p.add_argument(
        "--kgce-per-kwh",
        help="the year's power-supply coal rate, for a grid method on the equal-value basis (e.g. 0.3)",
    )
    p.add_argument("--format", choices=("json", "table"), default="table")
    p.add_argument("--lang", help="message language: zh (default) or en")
    return p


def savings_command(argv: list[str]) -> int:
    args = _savings_parser().parse_args(argv)
    lang = _lang(args.lang)
    from .engine import savings

    try:
        result = savings.convert(args.quantity, args.unit, args.basis, args.method, args.kgce_per_kwh)
    except savings.SavingsError as exc:
        print(("输入有误：" if lang == "zh" else "Wrong input: ") + exc.render(lang), file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=1) + "\n")
        return 0
    zh = lang == "zh"
    lines = [
        (
            f"节能量 {result.quantity} {result.unit}（{result.tce} tce，"
            + ("当量值" if result.basis == "equivalent" else "等价值")
            + "）"
        )
        if zh
        else f"Energy saved {result.quantity} {result.unit} ({result.tce} tce, {result.basis} basis)",
        (
            f"减排量 {result.tco2:,.1f} tCO2（{result.rounded()} 万tCO2）"
            if zh
            else f"CO2 avoided {result.tco2:,.1f} tCO2 ({result.rounded()} 万tCO2)"
        ),
        (
            f"折算系数 {result.factor:.4f} tCO2/tce，方法 {result.method}"
            if zh
            else f"Factor {result.factor:.4f} tCO2/tce, method {result.method}"
        ),
    ]
    for part in result.parts:
        lines.append(f"  · {part.name} ×{part.share}: {part.derivation}")
        lines.append(f"    {'来源' if zh else 'source'}: {part.source}")
    for note in result.notes:
        lines.append(("注：" if zh else "Note: ") + note)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _index_parser() -> argparse.ArgumentParser:
    from .engine import dcindex

    p = argparse.ArgumentParser(
        prog="dualcarbon index",
        description="The dual-carbon index (双碳指数) of areas from an indicator table (docs/methods.md § 17). "
        "由地区指标表计算双碳指数：得分、排名、分级及各维度得分。",
    )
    sub = p.add_subparsers(dest="action", required=True)
    ind = sub.add_parser("indicators", help="list a method's indicators / 列出方法的指标")
    ind.add_argument("--method", default=dcindex.DEFAULT_METHOD, help=f"method (default {dcindex.DEFAULT_METHOD})")
    ind.add_argument("--format", choices=("json", "table"), default="table")
    ind.add_argument("--lang", help="message language: zh (default) or en")
    comp = sub.add_parser("compute", help="score, rank and class areas / 计算各地区得分、排名和分级")
    comp.add_argument("input", help="CSV (UTF-8 or GBK) or XLSX: a column area and one column per indicator code")
    comp.add_argument("--method", default=dcindex.DEFAULT_METHOD, help=f"method (default {dcindex.DEFAULT_METHOD})")
    comp.add_argument("--format", choices=("json", "table"), default="table")
    comp.add_argument(
        "--sensitivity", action="store_true", help="also move every weight by ±10 %% and report the rank changes"
    )
    comp.add_argument("--lang", help="message language: zh (default) or en")
    return p


def index_command(argv: list[str]) -> int:
    args = _index_parser().parse_args(argv)
    lang = _lang(args.lang)
    zh = lang == "zh"
    from .engine import dcindex

    try:
        method = dcindex.get_method(args.method)
        if args.action == "indicators":
            rows = [i.as_dict(lang) for i in method.indicators]
            if args.format == "json":
                sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
                return 0
            lines = [f"{method.name} v{method.version}: {method.title(lang)}"]
            for d in method.dimensions:
                lines.append(f"  [{d.code}] {d.name(lang)} ({'权重' if zh else 'weight'} {d.weight})")
                for i in method.indicators:
                    if i.dimension == d.code:
                        arrow = "↑" if i.higher_is_better else "↓"
                        lines.append(
                            f"    {i.code:<16} {i.name(lang)} [{i.unit}] {arrow} w={i.weight} {i.normalisation}"
                        )
            sys.stdout.write("\n".join(lines) + "\n")
            return 0
        areas = dcindex.read_areas(args.input, method)
        result = dcindex.compute(method, areas)
        sens = dcindex.sensitivity(method, areas) if args.sensitivity else None
    except dcindex.DcIndexError as exc:
        print("输入有误，未输出任何结果：" if zh else "Wrong input; nothing was computed:", file=sys.stderr)
        print(exc.render(lang), file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        payload = result.as_dict(lang)
        if sens is not None:
            payload["sensitivity"] = sens.as_dict()
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
        return 0
    dims = method.dimensions
    head = ["排名" if zh else "rank", "地区" if zh else "area", "得分" if zh else "score", "分级" if zh else "class"]
    table = [head + [d.name(lang) for d in dims]]
    for a in result.areas:
        scores = {d.code: f"{d.score.quantize(dcindex.TWO_PLACES):f}" for d in a.dimensions}
        table.append([str(a.rank), a.area, f"{a.shown:f}", a.index_class.name(lang)] + [scores[d.code] for d in dims])
    widths = [max(_width(r[k]) for r in table) for k in range(len(head) + len(dims))]
    lines = [f"{method.name} v{method.version}: {method.title(lang)}"]
    lines += ["  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.append(("权重：" if zh else "weights: ") + ", ".join(f"{d.name(lang)} {d.weight}" for d in dims))
    lines.append(("来源：" if zh else "source: ") + method.describe(lang)["source"])
    if sens is not None:
        moved = sens.max_by_area()
        lines.append(
            ("权重 ±10% 时各地区排名的最大变动：" if zh else "largest rank change under ±10 % weights: ")
            + ", ".join(f"{area} {n}" for area, n in moved.items())
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _import_region_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dualcarbon import-region",
        description=(
            "Bulk onboarding of a region: enterprises and months of activity data from CSV/Parquet/XLSX files, "
            "validated first (nothing written on any error), then written and accounted "
            "(docs/operations.md § Bulk onboarding) / 批量导入辖区企业及月度活动数据"
        ),
    )
    p.add_argument("files", nargs="+", help="the enterprises, activities and months tables / 企业表、活动、月度表")
    p.add_argument("--user", required=True, help="the importing government officer or admin (username) / 导入人用户名")
    p.add_argument("--lang", choices=("zh", "en"), help="messages: zh (default) or en")
    p.add_argument("--format", choices=("text", "json"), default="text", dest="fmt")
    p.add_argument("--chunk", type=int, default=200, help="enterprises per chunk (one engine run each; default 200)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return p


def import_region_command(argv: list[str]) -> int:
    args = _import_region_parser().parse_args(argv)
    lang = _lang(args.lang)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dualcarbon.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied
    from django.utils import translation

    from .monitoring import aggregates
    from .reporting import region_import

    def progress(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    def refuse(errors: list[dict[str, Any]], total: int) -> int:
        if args.fmt == "json":
            print(json.dumps({"ok": False, "errors": errors, "error_count": total}, ensure_ascii=False, indent=2))
        else:
            head = f"有 {total} 处错误，未导入任何数据：" if lang == "zh" else f"{total} error(s); nothing imported:"
            print(head)
            for e in errors:
                print(f"  - {e['message']}")
            if total > len(errors):
                print(f"  ……另有 {total - len(errors)} 处" if lang == "zh" else f"  … and {total - len(errors)} more")
        return EXIT_BAD_INPUT

    with translation.override("en" if lang == "en" else "zh-hans"):
        user = get_user_model().objects.filter(username=args.user).first()
        if user is None:
            zh, en = f"用户“{args.user}”不存在", f"no user “{args.user}”"
            found = {"file": "", "row": None, "column": "", "rule": "user", "message": zh if lang == "zh" else en}
            return refuse([found], 1)
        try:
            with aggregates.suspended():
                summary = region_import.run(user, args.files, chunk_enterprises=args.chunk, progress=progress)
        except region_import.RegionImportInvalid as exc:
            return refuse([e.as_dict(lang) for e in exc.errors], exc.total)
        except PermissionDenied as exc:
            return refuse([{"file": "", "row": None, "column": "", "rule": "permission", "message": str(exc)}], 1)
        start = time.perf_counter()
        if summary.months_imported:
            aggregates.rebuild()  # the monitoring summary, set-based, once (as the demo builds it)
        summary.seconds["summarise"] = time.perf_counter() - start
    out = summary.as_dict()
    if args.fmt == "json":
        print(json.dumps({"ok": True, **out}, ensure_ascii=False, indent=2))
        return 0
    secs = ", ".join(f"{k} {v:.1f} s" for k, v in out["seconds"].items())
    if lang == "zh":
        print(
            f"新登记企业 {summary.enterprises_created} 家（已登记沿用 {summary.enterprises_existing} 家）；"
            f"导入 {summary.months_imported} 个企业月（{summary.activity_lines} 行活动数据，"
            f"{summary.warnings} 条警告），"
            f"跳过已报送的 {summary.months_skipped} 个企业月；核算 {summary.accounts_computed} 个月度账户；"
            f"用时 {out['seconds_total']:.1f} 秒（{secs}）"
        )
    else:
        print(
            f"{summary.enterprises_created} enterprises registered ({summary.enterprises_existing} already registered, "
            f"reused); {summary.months_imported} enterprise-months imported ({summary.activity_lines} activity lines, "
            f"{summary.warnings} warnings), {summary.months_skipped} already reported months skipped; "
            f"{summary.accounts_computed} monthly accounts computed; {out['seconds_total']:.1f} s ({secs})"
        )
    skipped = "跳过（该月已有报送版本）" if lang == "zh" else "skipped (the month already has a version)"
    for item in summary.skipped[:20]:
        print(f"  {skipped}: {item}")
    return 0


def _load_meters_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dualcarbon load-meters",
        description=(
            "Load a month of a region's interval meter readings (CSV or Parquet: meter_id, entity, ts, kwh "
            "[, direction]) into the enterprises' metered monthly totals (docs/operations.md § Meter data) / "
            "导入辖区一个月的电表读数"
        ),
    )
    p.add_argument("file", help="the readings / 读数文件")
    p.add_argument("--region", required=True, help="the region's GB/T 2260 code / 地区代码")
    p.add_argument("--period", help="YYYY-MM (default: the file's only month) / 月份")
    p.add_argument("--user", required=True, help="the loading government officer or admin (username) / 导入人用户名")
    p.add_argument("--lang", choices=("zh", "en"), help="messages: zh (default) or en")
    p.add_argument("--format", choices=("text", "json"), default="text", dest="fmt")
    return p


def load_meters_command(argv: list[str]) -> int:
    args = _load_meters_parser().parse_args(argv)
    lang = _lang(args.lang)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dualcarbon.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied
    from django.utils import translation

    from .reporting import meter_data

    def refuse(errors: list[dict[str, Any]], total: int) -> int:
        if args.fmt == "json":
            print(json.dumps({"ok": False, "errors": errors, "error_count": total}, ensure_ascii=False, indent=2))
        else:
            print(f"有 {total} 处错误，未导入任何数据：" if lang == "zh" else f"{total} error(s); nothing loaded:")
            for e in errors:
                print(f"  - {e['message']}")
            if total > len(errors):
                print(f"  ……另有 {total - len(errors)} 处" if lang == "zh" else f"  … and {total - len(errors)} more")
        return EXIT_BAD_INPUT

    with translation.override("en" if lang == "en" else "zh-hans"):
        user = get_user_model().objects.filter(username=args.user).first()
        if user is None:
            zh, en = f"用户“{args.user}”不存在", f"no user “{args.user}”"
            return refuse(
                [{"file": "", "row": None, "column": "", "rule": "user", "message": zh if lang == "zh" else en}], 1
            )
        try:
            load = meter_data.load(user, args.file, region_code=args.region, period=args.period, channel="cli")
        except meter_data.MeterLoadInvalid as exc:
            return refuse([e.as_dict(lang) for e in exc.errors], exc.total)
        except PermissionDenied as exc:
            return refuse([{"file": "", "row": None, "column": "region", "rule": "permission", "message": str(exc)}], 1)
    out = {
        "ok": True,
        "load": load.pk,
        "region": load.region_id,
        "period": load.label,
        "file": load.file_name,
        "sha256": load.file_sha256,
        "readings": load.readings,
        "enterprises": load.enterprises,
        "unknown_entities": (load.findings or {}).get("unknown", []),
        "findings": (load.findings or {}).get("counts", {}),
        "replaced": list(load.__class__.objects.filter(replaced_by=load).values_list("pk", flat=True)),
    }
    if args.fmt == "json":
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    counts = ", ".join(f"{k} {v}" for k, v in out["findings"].items()) or "—"
    if lang == "zh":
        print(
            f"已导入 {load.region_id} {load.label} 的电表数据（{load.file_name}，SHA-256 {load.file_sha256[:12]}…）："
            f"{load.readings} 条读数，{load.enterprises} 家企业的月度计量电量；数据质量：{counts}"
        )
    else:
        print(
            f"loaded {load.region_id} {load.label} ({load.file_name}, SHA-256 {load.file_sha256[:12]}…): "
            f"{load.readings} readings, the metered totals of {load.enterprises} enterprises; findings: {counts}"
        )
    for u in out["unknown_entities"][:20]:
        row = u.get("row") or "—"
        print(
            f"  未匹配的主体（读数未计入）：{u['entity']}（第 {row} 行起，{u['readings']} 条读数）"
            if lang == "zh"
            else f"  unknown entity (readings not counted): {u['entity']} (from row {row}, {u['readings']} readings)"
        )
    if out["replaced"]:
        print(
            ("  替换了此前的导入：" if lang == "zh" else "  replaced the earlier load(s): ")
            + ", ".join(map(str, out["replaced"]))
        )
    return 0


def _width(text: str) -> int:
    """Columns a text takes in a terminal (a CJK character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "account":
        return account(argv[1:])
    if argv and argv[0] == "meters":
        return meters_command(argv[1:])
    if argv and argv[0] == "savings":
        return savings_command(argv[1:])
    if argv and argv[0] == "index":
        return index_command(argv[1:])
    if argv and argv[0] == "import-region":
        return import_region_command(argv[1:])
    if argv and argv[0] == "load-meters":
        return load_meters_command(argv[1:])
    if not argv or argv[0] in ("-h", "--help"):
        print(
            "usage: dualcarbon account INPUT [options]   (engine; see dualcarbon account -h)\n"
            "       dualcarbon meters INPUT [options]    (electricity-carbon from meter readings; -h)\n"
            "       dualcarbon savings QUANTITY [options] (energy saved → CO2 avoided; -h)\n"
            "       dualcarbon index indicators|compute …  (the dual-carbon index; -h)\n"
            "       dualcarbon import-region FILE… --user U  (bulk onboarding of a region; -h)\n"
            "       dualcarbon load-meters FILE --region CODE --user U  (a month of meter readings; -h)\n"
            "       dualcarbon <django command>          (migrate, runserver, demo …)"
        )
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dualcarbon.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dualcarbon", *argv])
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
