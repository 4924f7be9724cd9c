"""CDNOW fixtures, the sample warehouse and the BG/NBD simulator for the CLV tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CDNOW_CALIBRATION_END = "1997-09-30"
CDNOW_HOLDOUT_END = "1998-06-30"


@pytest.fixture(scope="session")
def cdnow_orders() -> pd.DataFrame:
    """CDNOW 1/10 purchases shaped like the contract's orders table."""
    raw = pd.read_csv(FIXTURES / "cdnow_sample_orders.csv", dtype={"customer_id": str})
    return pd.DataFrame({
        "order_id": raw.index.astype(str),
        "customer_id": raw["customer_id"],
        "ordered_at": pd.to_datetime(raw["ordered_on"]),
        "revenue": raw["revenue"].astype(float),
        "campaign_id": pd.Series([None] * len(raw), dtype="string"),
    })


@pytest.fixture(scope="session")
def cdnow_published_summary() -> pd.DataFrame:
    """The summary the papers fit (rounded to 2 decimals), as frequency/recency/T/monetary_value."""
    raw = pd.read_csv(FIXTURES / "cdnow_sample_summary.csv")
    return pd.DataFrame({"customer_id": raw["ID"].astype(str), "frequency": raw["x"], "recency": raw["t_x"],
                         "T": raw["T"], "monetary_value": raw["zbar"]})


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_orders) -> pd.DataFrame:
    from cmokit.clv import purchase_summary

    return purchase_summary(cdnow_orders, CDNOW_CALIBRATION_END, time_unit="weeks")


@pytest.fixture(scope="session")
def cdnow_calibration_holdout(cdnow_orders) -> pd.DataFrame:
    from cmokit.clv import calibration_holdout

    return calibration_holdout(cdnow_orders, CDNOW_CALIBRATION_END, CDNOW_HOLDOUT_END, time_unit="weeks")


@pytest.fixture(scope="session")
def bgnbd_simulator():
    """The continuous-time BG/NBD simulator (a function), for planted-truth tests."""
    from cmokit.clv.bgnbd import simulate

    return simulate


SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"
SAMPLE_END = "2025-12-28"  # truth.json "end": last day of the generated period


@pytest.fixture(scope="session")
def clv_sample_warehouse(request, tmp_path_factory):
    """The lead's session ``warehouse_path`` when it exists, else the sample built once into tmp."""
    try:
        return request.getfixturevalue("warehouse_path")
    except pytest.FixtureLookupError:
        from cmokit.warehouse import build

        out = tmp_path_factory.mktemp("clv_warehouse") / "sample.duckdb"
        build(SAMPLE_DIR, out, dev_key=True)
        return out


@pytest.fixture(scope="session")
def sample_bgnbd_orders(clv_sample_warehouse) -> pd.DataFrame:
    """Sample orders without the experiment's extra orders, which the generator adds outside BG/NBD."""
    import cmokit

    extra = set(pd.read_csv(SAMPLE_DIR / "truth" / "experiment_orders.csv")["order_number"])
    with cmokit.connect(clv_sample_warehouse) as wh:
        orders = wh.execute(wh.orders)
    return orders[~orders["order_id"].isin(extra)].reset_index(drop=True)


@pytest.fixture(scope="session")
def sample_truth() -> dict:
    import json

    return json.loads((SAMPLE_DIR / "truth.json").read_text())


PLANTED_BGNBD = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5}
PLANTED_GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "gamma": 15.0}


@pytest.fixture(scope="session")
def clv_simulator():
    """``simulate(n, seed)``: BG/NBD histories (weeks, T up to 104) with Gamma-Gamma ``monetary_value``
    from planted parameters, which the function carries as ``.bgnbd`` and ``.gamma_gamma``."""
    from cmokit.clv.bgnbd import simulate
    from cmokit.clv.gamma_gamma import simulate_spend

    def make(n: int, seed: int) -> pd.DataFrame:
        summary = simulate(n, **PLANTED_BGNBD, T_max=104.0, seed=seed)
        summary["monetary_value"] = simulate_spend(summary["frequency"], **PLANTED_GAMMA_GAMMA, seed=seed + 1)
        return summary

    make.bgnbd, make.gamma_gamma = dict(PLANTED_BGNBD), dict(PLANTED_GAMMA_GAMMA)
    return make
