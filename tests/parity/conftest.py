"""One Spark local session per test run, and the sample warehouse as Parquet for it.

Parity tests skip (with the reason) when PySpark or Java is missing; CI installs
PySpark with the ``dev`` extra and has Java 17.
"""

from __future__ import annotations

import os
import shutil

import pytest


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install cmokit[spark])"
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))):
        return "Java is not installed (Spark needs a JVM: Java 17+)"
    return None


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """A small Spark local session shared by every parity test (2 threads, 2 shuffle partitions)."""
    reason = _spark_missing()
    if reason:
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("cmokit-parity")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))  # not the cwd
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def parquet_dir(warehouse_path, tmp_path_factory):
    """The sample warehouse exported as month-partitioned Parquet."""
    from cmokit.warehouse.export import export_parquet

    out = tmp_path_factory.mktemp("parquet") / "warehouse"
    export_parquet(warehouse_path, out)
    return out


@pytest.fixture(scope="session")
def duck(warehouse_path):
    """The sample warehouse on DuckDB."""
    import cmokit

    wh = cmokit.connect(warehouse_path)
    yield wh
    wh.close()


@pytest.fixture(scope="session")
def on_spark(spark, parquet_dir):
    """The same warehouse on Spark, read from the Parquet export."""
    import cmokit

    return cmokit.connect(spark, tables=parquet_dir)
