"""Connect to the calculation backend: DuckDB (default, in-process) or Apache Spark (local or remote).

The engine's expressions are backend-neutral Ibis; only the connection differs.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import ibis

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
        con = ibis.duckdb.connect(**kwargs)
        con.raw_sql(f"SET memory_limit='{memory_limit}'")
        con.raw_sql(f"SET temp_directory='{tempfile.gettempdir()}/dualcarbon-duckdb-spill'")
        con.raw_sql("SET preserve_insertion_order=false")
        if threads:
            con.raw_sql(f"SET threads={int(threads)}")
        return con
    if engine == "spark":
        return ibis.pyspark.connect(spark_session(**kwargs))
    raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")


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
