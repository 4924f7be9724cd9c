"""Property-based: random bad rows thrown at the loader are never lost."""

from __future__ import annotations

import csv
import datetime as dt
import io

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmokit.warehouse.build import build
from tests.conftest import SAMPLE_NOW

cell = st.one_of(
    st.just(""), st.text(max_size=12), st.sampled_from(["-5", "1e309", "2031-01-01T00:00:00Z", "NaN", "null", "CRM-0000001",
                                                        "SO-00000001", "\u00e9\u00e8", "2024-02-30", "0", "Y", "maybe"]),
)
row = st.lists(cell, min_size=3, max_size=7)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad_rows=st.lists(row, min_size=1, max_size=8), raw_bytes=st.lists(st.binary(min_size=1, max_size=20), max_size=2))
def test_random_bad_rows_are_loaded_or_quarantined(raw, tmp_path_factory, bad_rows, raw_bytes):
    p = raw / "shop_orders.csv"
    original = p.read_bytes()
    try:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(bad_rows)
        extra = buf.getvalue().encode() + b"".join(b.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n" for b in raw_bytes)
        p.write_bytes(original + extra)
        out = tmp_path_factory.mktemp("prop") / "w.duckdb"
        r = build(raw, out, dev_key=True, now=SAMPLE_NOW)
        s = r.summary()
        assert (s.read == s.loaded + s.quarantined).all()
        orders = s[s.file == "shop_orders.csv"].iloc[0]
        physical = len(original.split(b"\n")) - 2  # header, trailing newline
        assert orders.read >= physical  # every original row is counted
        con = duckdb.connect(str(out), read_only=True)
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == orders.loaded
        con.close()
    finally:
        p.write_bytes(original)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(max_size=8),
                                 st.sampled_from(["", " ", "abc", " abc", "abc ", "\tabc", "abc\t", "\u00a0abc", "abc\u3000",
                                                  " \u00e9 ", "a b", "\u2003", "\u200babc", "x\u0085"])), min_size=1, max_size=20))
def test_the_cheap_trim_is_trim(values):
    """The build's shortcut for values that need no trimming gives exactly NULLIF(trim(value), '')."""
    import importlib

    trimmed = importlib.import_module("cmokit.warehouse.build")._trimmed
    con = duckdb.connect()
    try:
        got = con.execute(f"SELECT {trimmed('v')} IS NOT DISTINCT FROM NULLIF(trim(v), '') FROM (SELECT unnest($v) AS v)",
                          {"v": values}).fetchall()
    finally:
        con.close()
    assert all(ok for (ok,) in got)


_stamp_char = st.one_of(st.sampled_from("0123456789"), st.sampled_from("+-:. TZzaQ/,"), st.characters())


@st.composite
def _utc_shaped(draw):
    """Text of the shape the build casts without time zone handling: ``____-__-__T__:__:__Z``, mostly a
    valid timestamp with a few characters replaced by anything (an offset sign, a space, a letter...)."""
    valid = draw(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31))).strftime("%Y-%m-%dT%H:%M:%SZ")
    chars = list(valid.rjust(20, "0"))
    for pos in draw(st.lists(st.sampled_from([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]), max_size=3)):
        chars[pos] = draw(_stamp_char)
    return "".join(chars)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(_utc_shaped(), st.text(max_size=24),
                                 st.sampled_from(["2025-01-31T23:59:59+02:00", "2025-01-31 23:59:59", "2025-01-31T23:59:59.5Z",
                                                  "2025-01-31T23:59:59-0530", "2025-01-31", "2025-02-30T00:00:00Z",
                                                  "2025-01-31T23:59:59Z ", "2025-01-31T24:00:00Z"])), min_size=1, max_size=20))
def test_the_cheap_timestamp_cast_is_the_zone_aware_cast(values):
    """The build's plain cast for UTC-shaped text gives exactly what the zone-aware cast gives (UTC session)."""
    import importlib

    timestamp = importlib.import_module("cmokit.warehouse.build")._timestamp
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        got = con.execute(f"SELECT v, {timestamp('v')}, TRY_CAST(v AS TIMESTAMPTZ)::TIMESTAMP FROM (SELECT unnest($v) AS v)",
                          {"v": values}).fetchall()
    finally:
        con.close()
    assert [(v, a) for v, a, _ in got] == [(v, b) for v, _, b in got]
