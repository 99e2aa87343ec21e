"""Connect to the calculation backend: DuckDB (default, in-process) or Apache Spark (local or remote).

The engine's expressions are backend-neutral Ibis; only the connection differs.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from typing import Any

import ibis
import ibis.expr.operations as ops
from ibis.backends.duckdb import Backend as _DuckDBBackend

ENGINES = ("duckdb", "spark")


def connect(engine: str = "duckdb", **kwargs: Any) -> Any:
    """Return an Ibis backend connection.

    duckdb: in-memory database with a spill directory, so large inputs stay within memory_limit.
    spark: ``SPARK_REMOTE`` (Spark Connect URL) if set, else ``local[*]`` (needs ``dualcarbon[spark]``
    and a Java 17+ runtime).
    """
    if engine == "duckdb":
        memory_limit = kwargs.pop("memory_limit", os.environ.get("DUALCARBON_DUCKDB_MEMORY", "2GB"))
        threads = kwargs.pop("threads", None)
        con = CompileOnceDuckDB().connect(**kwargs)
        con.raw_sql(f"SET memory_limit='{memory_limit}'")
        con.raw_sql(f"SET temp_directory='{tempfile.gettempdir()}/dualcarbon-duckdb-spill'")
        con.raw_sql("SET preserve_insertion_order=false")
        if threads:
            con.raw_sql(f"SET threads={int(threads)}")
        return con
    if engine == "spark":
        return ibis.pyspark.connect(spark_session(**kwargs))
    raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")


#: how a data table of an expression is named while its SQL is compiled once for every table of its shape
_PLACEHOLDER = "__dualcarbon_table_{}__"
#: compiled SQL by the expression's shape (its data tables replaced by placeholders) and row limit: the engine
#: builds the same few expressions for every month submitted, over different data (bounded; least recently used
#: dropped first)
_COMPILED: OrderedDict[Any, str] = OrderedDict()
_COMPILED_MAX = 512
_COMPILED_LOCK = threading.Lock()
#: counts for the benchmark and the tests: compiled (a shape seen first), reused (a shape seen before)
COMPILE_STATS = {"compiled": 0, "reused": 0}
#: off: compile every expression as Ibis does (bench/submit.py's baseline)
COMPILE_ONCE = True


class CompileOnceDuckDB(_DuckDBBackend):
    """Ibis' DuckDB backend that compiles each expression shape once and binds it to new data many times.

    The engine's expressions are built over in-memory tables (the submitted month's records, its lineage
    groups): the graph is the same from one month to the next, only the tables' data and generated names
    differ, and compiling the graph to SQL (Ibis' rewrites and sqlglot) costs more than running it on a
    small month. :meth:`compile` replaces every in-memory table by a named placeholder of the same schema,
    looks that shape up, compiles it only when unseen, and writes the actual tables' names into the SQL.
    The tables themselves are registered with DuckDB as before (Ibis' pre-execute hooks run on the real
    expression), so the SQL that runs is the SQL Ibis would have produced, table names aside.
    Expressions with parameters, or asked for pretty SQL, are compiled as Ibis does.
    """

    def compile(
        self,
        expr: Any,
        /,
        *,
        limit: Any = None,
        params: Any = None,
        pretty: bool = False,
        **kwargs: Any,
    ) -> str:
        if params or pretty or kwargs or not COMPILE_ONCE:
            return str(super().compile(expr, limit=limit, params=params, pretty=pretty, **kwargs))
        op = expr.op()
        tables = op.find(ops.InMemoryTable)
        names = {t: _PLACEHOLDER.format(i) for i, t in enumerate(tables)}
        shape = op.replace({t: ops.UnboundTable(name=names[t], schema=t.schema) for t in tables}) if tables else op
        key = (shape, limit)
        with _COMPILED_LOCK:
            sql = _COMPILED.get(key)
            if sql is not None:
                _COMPILED.move_to_end(key)
                COMPILE_STATS["reused"] += 1
        if sql is None:
            sql = str(super().compile(shape.to_expr(), limit=limit))
            with _COMPILED_LOCK:
                _COMPILED[key] = sql
                COMPILE_STATS["compiled"] += 1
                while len(_COMPILED) > _COMPILED_MAX:
                    _COMPILED.popitem(last=False)
        for table, name in names.items():
            sql = sql.replace(f'"{name}"', f'"{table.name}"')
        return sql


def spark_session(master: str | None = None, app_name: str = "dualcarbon") -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise RuntimeError("Spark engine needs the 'spark' extra: pip install 'dualcarbon[spark]'") from exc
    import sys

    # Python workers (if any expression needs one) must use this interpreter and its packages
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    remote = os.environ.get("SPARK_REMOTE")
    if remote and master is None:
        return builder.remote(remote).getOrCreate()
    return (
        builder.master(master or os.environ.get("DUALCARBON_SPARK_MASTER", "local[2]"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.driver.memory", os.environ.get("DUALCARBON_SPARK_DRIVER_MEMORY", "2g"))
        .getOrCreate()
    )


def read_parquet(con: Any, path: str) -> Any:
    return con.read_parquet(str(path))
