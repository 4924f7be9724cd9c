"""The build's in-DuckDB HMAC gives byte-identical pseudonyms to Python's ``hmac`` (RFC 2104)."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest

from cmokit.warehouse.pseudonym import DEV_KEY, HEX_CHARS, PREFIX, hmac_sql, pseudonymise

IDS = ["CRM-0000001", "", " ", "é€😀", "x" * 200, 'a,b"c', "line\nbreak", "\x00nul", "Ω" * 70]


@pytest.mark.parametrize("key", [DEV_KEY, b"k" * 16, b"\xff" * 64, bytes(range(65)), b"long-" * 40],
                         ids=["dev", "16 bytes", "64 bytes", "65 bytes", "200 bytes"])
def test_hmac_sql_equals_python_hmac(key):
    import duckdb
    import pyarrow as pa

    rng = random.Random(3)
    ids = IDS + ["".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(1, 90))) for _ in range(300)] + [None]
    con = duckdb.connect()
    con.register("ids", pa.table({"id": pa.array(ids, pa.string())}))
    expr, params = hmac_sql('"id"', key)
    got = [r[0] for r in con.execute(f"SELECT {expr} FROM ids", params).fetchall()]
    want = [None if s is None else PREFIX + hmac.new(key, s.encode(), hashlib.sha256).hexdigest()[:HEX_CHARS]
            for s in ids]
    assert got == want
    assert got == pseudonymise(ids, key)


def test_hmac_sql_keeps_the_key_out_of_the_sql_text():
    expr, params = hmac_sql('"id"', DEV_KEY)
    assert DEV_KEY.decode() not in expr and "cmokit" not in expr
    assert set(params) == {"hmac_ipad", "hmac_opad", "hmac_prefix", "hmac_chars"}
