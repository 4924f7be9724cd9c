"""A small raw export folder full of planted defects, written from a seeded RNG (no sample generator).

Every contract check the build makes fires somewhere: missing, unparseable and out-of-range values,
money such as 12.505, 1e3, 12,50 or €12, bad accepted values in hard and optional columns, future
timestamps, broken invariants, orphaned required and optional references, duplicate keys with the same
and with different values across two deliveries, malformed lines (too many or too few fields, an
unterminated quote, invalid UTF-8), a BOM and CRLF line ends. ``tests/warehouse/test_build_golden.py``
pins what a build makes of it.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from cmokit.warehouse.sources import SOURCES

CHANNELS = ["paid_search", "paid_social", "display", "email", "affiliate"]
BAD = ["", " ", "abc", "12.505", "1e3", "12,50", "\u20ac12", "-1", "0", "2099-01-01T00:00:00Z", "2025-02-30",
       "de", "XX", "maybe", "n", "TRUE", " 7 ", ".5", "+3.10", "NULL", "CRM-9999999", "SO-99999999", "carrier_pigeon"]


def _ts(rng: random.Random) -> str:
    return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"


def _day(rng: random.Random) -> str:
    return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _rows(rng: random.Random, n_customers: int) -> dict[str, list[list[str]]]:
    crm = [f"CRM-{i:07d}" for i in range(1, n_customers + 1)]
    camps = [f"C-{i:02d}" for i in range(12)]
    out = {
        "campaigns": [[c, f"Campaign {c}", rng.choice(CHANNELS), "2024-01-01", "2024-12-31", f"{rng.uniform(100, 9000):.2f}"]
                      for c in camps],
        "customers": [[c, f"{c.lower()}@example.org", f"Name {c}", "+49 1", _ts(rng), rng.choice(["DE", "FR", "at"]),
                       rng.choice(CHANNELS), rng.choice(["Y", "N"])] for c in crm],
        "orders": [[f"SO-{i:08d}", rng.choice(crm + [""]), _ts(rng), f"{rng.uniform(1, 200):.2f}", rng.choice(camps + [""])]
                   for i in range(1, 4 * n_customers)],
        "touchpoints": [[f"EV-{i:09d}", rng.choice(crm), _ts(rng), rng.choice(CHANNELS), rng.choice(camps + [""]),
                         rng.choice(["impression", "click", "open", "visit"])] for i in range(1, 3 * n_customers)],
        "marketing_spend": [[_day(rng), c, rng.choice(CHANNELS), f"{rng.uniform(1, 500):.2f}", "1000", str(rng.randint(0, 900))]
                            for c in camps for _ in range(8)],
        "experiments": [["EXP-1", camps[0], "2024-03-01", "2024-03-31", "conversion"]],
        "experiment_assignments": [["EXP-1", c, rng.choice(["a", "b"]), _ts(rng)] for c in crm[: n_customers // 2]],
        "lift_tests": [["LT-1", "paid_search", "2024-05-01", "2024-06-01", "first_order_revenue", "-100.00", "-250.00",
                        "-300.00", "-200.00", "0.90", "geo_holdout"]],
    }
    out["refunds"] = [[f"RF-{i:08d}", rng.choice([o[0] for o in out["orders"][:50]] + ["SO-99999999", ""]),
                       rng.choice(crm + [""]), _ts(rng), f"{rng.uniform(1, 50):.2f}"] for i in range(1, n_customers // 2)]
    return out


#: rows breaking the invariants and bounds, added after the random spoiling
PLANTED = {
    "campaigns": [["C-99", "Backwards", "email", "2024-06-01", "2024-05-01", "10.00"]],
    "marketing_spend": [["2023-06-15", "C-01", "email", "5.00", "10", "50"], ["2023-06-16", "C-01", "email", "-5.00", "10", "5"]],
    "orders": [["SO-88888888", "CRM-0000001", "2024-02-02T00:00:00Z", "-1.00", ""]],
    "customers": [["CRM-8888888", "x@example.org", "X", "+1", "2024-01-01T00:00:00Z", "D1", "email", "Y"]],
}


def _spoil(rng: random.Random, rows: list[list[str]], share: float) -> None:
    """Put a bad value in a random field of about ``share`` of the rows; copy some rows (same or changed)."""
    for row in rows:
        if rng.random() < share:
            row[rng.randrange(len(row))] = rng.choice(BAD)
    for _ in range(max(1, len(rows) // 40)):
        row = list(rng.choice(rows))
        if rng.random() < 0.5:
            row[-1] = rng.choice(BAD)
        rows.insert(rng.randrange(len(rows) + 1), row)


def write_messy(folder, seed: int = 13, n_customers: int = 120, spoil: bool = True) -> Path:
    """Write the messy exports (two deliveries of customers and orders) into ``folder``; ``spoil=False``
    writes the same exports clean, one delivery each, in key order (the build's no-sort path)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    data = _rows(rng, n_customers)
    personal_order = {"customers": ["crm_id", "email", "full_name", "phone", "signup_ts", "country",
                                    "acquisition_source", "marketing_opt_in"]}
    for table, rows in data.items():
        src = SOURCES[table]
        header = personal_order.get(table) or src.needed_raw_columns  # d37f821's layout: no region columns
        if table not in ("experiments", "lift_tests") and spoil:
            _spoil(rng, rows, 0.12)
        rows += PLANTED.get(table, []) if spoil else []
        deliveries = {src.pattern.replace("*", ""): rows}
        if table in ("customers", "orders") and spoil:  # a later delivery repeating and changing some rows
            later = [list(r) for r in rng.sample(rows, len(rows) // 10)]
            for r in later[::2]:
                r[-1] = rng.choice(BAD + [r[-1]])
            deliveries[src.pattern.replace("*", "_2025-01-15")] = later
        for name, body in deliveries.items():
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\r\n" if table == "touchpoints" else "\n").writerows([header, *body])
            text = buf.getvalue()
            if table == "orders" and "_2025" not in name and spoil:
                lines = text.split("\n")
                lines.insert(5, lines[5] + ",extra,fields")
                lines.insert(9, "SO-77777777,CRM-0000001")
                lines.insert(13, 'SO-77777778,"CRM-0000002,2024-01-01T00:00:00Z,5.00,')
                text = "\n".join(lines)
            raw = text.encode("utf-8")
            if table == "customers" and "_2025" not in name and spoil:
                raw = b"\xef\xbb\xbf" + raw.replace(b"Name CRM-0000003", b"Name \xff\xfe CRM-0000003")
            if table == "refunds" and spoil:
                raw = raw.replace(b"RF-00000004,", b"RF-00000004\xc3,", 1)
            (folder / name).write_bytes(raw)
    return folder
