"""Quantile scores on Spark: cut points computed in parallel by default, identical to DuckDB's with the same method."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import cmokit
from cmokit.segments.rfm import rfm_expr

from .test_routines import AS_OF, canonical

pytestmark = pytest.mark.spark


def test_spark_default_scores_with_cut_points_and_matches_duckdb_cut_points(duck, on_spark):
    expected = canonical(cmokit.segments.rfm(duck, AS_OF, scoring="quantile"))
    got = canonical(cmokit.segments.rfm(on_spark, AS_OF))  # auto: cut points on Spark
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9, atol=1e-9)
    assert not canonical(cmokit.segments.rfm(duck, AS_OF)).equals(expected)  # DuckDB's default ranks instead


def test_spark_default_plan_has_no_global_ranking_window(duck, on_spark):
    spark_sql = str(on_spark.backend.compile(rfm_expr(on_spark.table("orders"), AS_OF))).upper()
    duck_sql = str(duck.backend.compile(rfm_expr(duck.table("orders"), AS_OF))).upper()
    ntile = re.compile(r"\bNTILE\s*\(")  # not the NTILE inside PERCENTILE
    assert not ntile.search(spark_sql) and "PERCENTILE(" in spark_sql
    assert ntile.search(duck_sql)
