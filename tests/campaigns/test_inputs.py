"""Frames are checked at the entry of every campaigns routine: a missing column, a wrongly typed
column, an empty table, a duplicated assignment or an unknown experiment is a ContractError that
names it, never a silently wrong (or empty) result; and a frame comes back as its own kind."""

from __future__ import annotations

import pandas as pd
import pytest

import cmokit
from cmokit import campaigns
from cmokit.campaigns.power import baseline_metrics
from cmokit.errors import ContractError
from tests.campaign_world import LAST, check_entry, convert, world

#: routine -> (call on a dict of frames, the table it cannot do without, a required column of it)
ROUTINES = {
    "campaign_kpis": (lambda f: campaigns.campaign_kpis(f, as_of=LAST), "orders", "revenue"),
    "campaign_kpis/spend": (lambda f: campaigns.campaign_kpis(f, as_of=LAST), "marketing_spend", "spend"),
    "budget_pacing": (lambda f: campaigns.budget_pacing(f, LAST), "campaigns", "ends_on"),
    "baseline_metrics": (lambda f: baseline_metrics(f, as_of=LAST), "customers", "first_seen_at"),
    "plan_pilot": (lambda f: campaigns.plan_pilot(f, as_of=LAST), "orders", "revenue"),
    "customer_features": (lambda f: campaigns.customer_features(f, LAST), "customers", "first_seen_at"),
    "customer_outcomes": (lambda f: campaigns.customer_outcomes(f, "e1"), "experiment_assignments", "variant"),
    "experiment_stats": (lambda f: campaigns.experiment_stats(f, "e1"), "orders", "revenue"),
    "experiment_readout": (lambda f: campaigns.experiment_readout(f, "e1"), "experiments", "starts_on"),
    "sample_ratio_mismatch": (lambda f: campaigns.sample_ratio_mismatch(f, "e1"), "experiment_assignments",
                              "variant"),
    "incremental_roi": (lambda f: campaigns.incremental_roi(f), "marketing_spend", "spend"),
    "uplift_features": (lambda f: campaigns.uplift_features(f, "e1"), "customers", "marketing_consent"),
}


@pytest.mark.parametrize("name", sorted(ROUTINES))
def test_every_routine_runs_on_the_world(name):
    call, _, _ = ROUTINES[name]
    assert len(call(world())) > 0


@pytest.mark.parametrize("name", sorted(ROUTINES))
def test_missing_column_wrong_type_and_empty_table_name_the_table(name):
    check_entry(*ROUTINES[name])


def test_nan_revenue_is_refused_not_summed():
    frames = world()
    frames["orders"].loc[0, "revenue"] = float("nan")
    with pytest.raises(ContractError, match=r"orders: revenue is missing"):
        campaigns.campaign_kpis(frames)


def test_duplicate_assignments_are_refused_by_the_readout(warehouse, truth):
    """On the sample, 163 duplicated assignment rows used to inflate n from 956 to 1,119 per arm."""
    ex = truth["experiment"]["experiment_id"]
    frames = {name: warehouse.execute(warehouse.table(name)) for name in
              ("experiments", "experiment_assignments", "orders")}
    clean = campaigns.experiment_readout(frames, ex)
    a = frames["experiment_assignments"]
    frames["experiment_assignments"] = pd.concat([a, a[a.variant == "control"].head(163)], ignore_index=True)
    with pytest.raises(ContractError, match=r"experiment_assignments: experiment_id, customer_id is not unique") as err:
        campaigns.experiment_readout(frames, ex)
    assert "326 rows" in str(err.value) and err.value.table == "experiment_assignments"  # both copies
    assert set(clean.n_control) == {int((a.variant == "control").sum())}


@pytest.mark.parametrize("call", [
    lambda f: campaigns.experiment_readout(f, "e9"),
    lambda f: campaigns.customer_outcomes(f, ["e1", "e9"]),
    lambda f: campaigns.sample_ratio_mismatch(f, "e9"),
    lambda f: campaigns.uplift_features(f, "e9"),
], ids=["readout", "outcomes", "srm", "uplift_features"])
def test_unknown_experiment_is_named_with_the_known_ones(call):
    with pytest.raises(ContractError, match=r"experiment 'e9' is not in experiments; known experiments: e1"):
        call(world())


@pytest.mark.parametrize("kind", ["polars", "arrow"])
@pytest.mark.parametrize("name", ["campaign_kpis", "budget_pacing", "customer_features", "customer_outcomes",
                                  "experiment_readout", "incremental_roi", "uplift_features", "plan_pilot"])
def test_frames_come_back_as_their_own_kind(name, kind):
    frames = {k: convert(kind)(v) for k, v in world().items()}
    out = ROUTINES[name][0](frames)
    assert cmokit._frames.kind_of(out) == kind
    expected = ROUTINES[name][0](world())
    pd.testing.assert_frame_equal(cmokit._frames.to_pandas(out).reset_index(drop=True),
                                  expected.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("kind", ["polars", "arrow"])
def test_targeting_and_goals_keep_the_kind(kind):
    scores = pd.DataFrame({"customer_id": ["a", "b", "c"], "marketing_consent": [True, False, True],
                           "predicted_uplift": [1.0, 5.0, 2.0]})
    kpis = pd.DataFrame({"channel": ["email"], "roas": [4.0]})
    out = campaigns.targeting_list(convert(kind)(scores))
    assert cmokit._frames.kind_of(out) == kind and cmokit._frames.to_pandas(out)["customer_id"].tolist() == ["c", "a"]
    assert cmokit._frames.kind_of(campaigns.targeting_value(convert(kind)(scores), 1)) == kind
    assert cmokit._frames.kind_of(campaigns.kpi_status(convert(kind)(kpis), {"roas": 2.0})) == kind


def test_goals_have_their_own_name_and_the_old_one_warns():
    import importlib
    import sys

    assert campaigns.load_goals({"roas": 2.0}) == {"roas": {"default": 2.0}}
    with pytest.warns(FutureWarning, match="load_goals"):
        assert campaigns.load_targets({"roas": 2.0}) == {"roas": {"default": 2.0}}
    sys.modules.pop("cmokit.campaigns.targets", None)
    with pytest.warns(FutureWarning, match="cmokit.campaigns.goals"):
        old = importlib.import_module("cmokit.campaigns.targets")
    assert old.kpi_status is campaigns.kpi_status
    with pytest.warns(FutureWarning, match="goals="):
        campaigns.kpi_status(pd.DataFrame({"channel": ["email"], "roas": [4.0]}), targets={"roas": 2.0})
