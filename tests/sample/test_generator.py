"""The sample generator: deterministic, realistic, and its planted truth is self-consistent."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from cmokit.sample.generator import generate, geometric_adstock, hill


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_byte_for_byte_deterministic(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, customers=400, seed=11, progress=False)
    generate(b, customers=400, seed=11, progress=False)
    generate(c, customers=400, seed=12, progress=False)
    assert _digest(a) == _digest(b)
    assert _digest(a)["shop_orders.csv"] != _digest(c)["shop_orders.csv"]


def test_committed_sample_matches_the_generator(tmp_path, sample_dir):
    generate(tmp_path / "s", customers=5000, seed=42, progress=False)
    assert _digest(tmp_path / "s") == {k: v for k, v in _digest(sample_dir).items() if k != "README.md"}


def test_sample_is_small_and_documented(sample_dir):
    size = sum(p.stat().st_size for p in sample_dir.rglob("*") if p.is_file())
    assert size < 10 * 1024 * 1024
    readme = (sample_dir / "README.md").read_text()
    for name in ("crm_customers.csv", "shop_orders.csv", "campaigns.csv", "ad_spend.csv", "touchpoints.csv",
                 "experiments.csv", "experiment_assignments.csv", "truth.json"):
        assert name in readme


def test_raw_exports_carry_personal_data_and_source_ids(sample_dir):
    cust = pd.read_csv(sample_dir / "crm_customers.csv", dtype=str)
    assert {"email", "full_name", "phone", "crm_id"} <= set(cust.columns)
    assert cust.email.str.contains("@").all() and cust.crm_id.is_unique
    assert 0.75 < (cust.marketing_opt_in == "Y").mean() < 0.95


def test_planted_media_roi_is_what_the_generator_made(truth):
    for channel, m in truth["media"].items():
        assert m["incremental_roi"] == pytest.approx(m["incremental_revenue"] / m["spend"], rel=1e-4)
    assert truth["media"]["display"]["incremental_roi"] == 0
    assert "display" in truth["journeys"]["inert"]
    assert sum(truth["journeys"]["channel_effect"].values()) == pytest.approx(1.0, abs=1e-4)


def test_orders_follow_the_planted_process(sample_dir, truth):
    """Orders per ordering customer and mean order value match the planted moments."""
    orders = pd.read_csv(sample_dir / "shop_orders.csv")
    gg = truth["gamma_gamma"]
    assert orders.amount_eur.mean() == pytest.approx(gg["p"] * gg["gamma"] / (gg["q"] - 1), rel=0.05)
    assert (orders.amount_eur >= 0).all()


def test_spend_has_seasonality_trend_and_several_channels(sample_dir):
    spend = pd.read_csv(sample_dir / "ad_spend.csv", parse_dates=["date"])
    assert spend.channel.nunique() >= 5
    orders = pd.read_csv(sample_dir / "shop_orders.csv", parse_dates=["order_ts"])
    by_year = orders.groupby(orders.order_ts.dt.year).size()
    assert by_year.is_monotonic_increasing  # trend
    month = orders.groupby(orders.order_ts.dt.month).size()
    assert month.idxmax() in (11, 12)  # seasonality peaks before Christmas


def test_experiment_has_control_and_treatments(sample_dir, truth):
    a = pd.read_csv(sample_dir / "experiment_assignments.csv")
    assert set(a.variant) == {"control", "email_10", "email_20"}
    assert truth["experiment"]["average_lift"]["email_20"]["conversion"] > truth["experiment"]["average_lift"]["email_10"]["conversion"] > 0


def test_transforms():
    np.testing.assert_allclose(geometric_adstock(np.array([1.0, 0, 0]), 0.5), [1, 0.5, 0.25])
    assert hill(np.array([2.0]), 2.0, 1.5)[0] == pytest.approx(0.5)


def test_truth_json_is_valid(sample_dir):
    t = json.loads((sample_dir / "truth.json").read_text())
    assert {"bgnbd", "gamma_gamma", "media", "experiment", "journeys", "segments"} <= set(t)


def test_progress_bar_on_a_terminal_only(tmp_path, monkeypatch, capfd):
    from cmokit.sample import generator

    monkeypatch.delenv("CI", raising=False)
    generate(tmp_path / "quiet", customers=200, seed=5)  # default: stderr is not a terminal under pytest
    assert capfd.readouterr().err == ""
    monkeypatch.setattr(generator.sys.stderr, "isatty", lambda: True)
    bar = generator._Progress(None, 10, "generating customers")
    assert bar._bar is not None
    bar.close()
    monkeypatch.setenv("CI", "true")  # CI logs stay quiet even on a pseudo-terminal
    assert generator._Progress(None, 10, "generating customers")._bar is None
