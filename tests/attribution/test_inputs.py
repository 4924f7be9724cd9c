"""Frames are checked at the entry of every attribution routine that reads the warehouse, and
every routine answers in the kind of frame it was given (pandas, polars or Arrow)."""

from __future__ import annotations

import pandas as pd
import pytest

from cmokit import attribution
from cmokit._frames import kind_of, to_pandas
from cmokit.errors import ContractError
from tests.campaign_world import LAST, check_entry, convert, world

#: routine -> (call on a dict of frames, the table it cannot do without, a required typed column of it)
ROUTINES = {
    "build_journeys/touchpoints": (lambda f: attribution.build_journeys(f, as_of=LAST), "touchpoints", "touched_at"),
    "build_journeys/orders": (lambda f: attribution.build_journeys(f, as_of=LAST), "orders", "revenue"),
    "journey_touches": (lambda f: attribution.journey_touches(f, as_of=LAST)[0].count().execute(), "touchpoints",
                        "touched_at"),
    "time_decay_by_days": (lambda f: attribution.time_decay_by_days(f, as_of=LAST), "orders", "ordered_at"),
    "spend_by_channel": (lambda f: attribution.spend_by_channel(f, as_of=LAST), "marketing_spend", "spend"),
    "compare": (lambda f: attribution.compare(attribution.from_paths(pd.DataFrame(
        {"path": ["email"], "total_conversions": [1], "total_conversion_value": [5.0], "total_null": [1]})),
        f, as_of=LAST), "marketing_spend", "spend_date"),
}


@pytest.mark.parametrize("name", sorted(ROUTINES))
def test_missing_column_wrong_type_and_empty_table_name_the_table(name):
    check_entry(*ROUTINES[name])


def test_duplicate_touch_ids_are_refused():
    frames = world()
    frames["touchpoints"] = pd.concat([frames["touchpoints"], frames["touchpoints"].head(1)], ignore_index=True)
    with pytest.raises(ContractError, match=r"touchpoints: touchpoint_id is not unique .*t1"):
        attribution.build_journeys(frames)


@pytest.mark.parametrize("kind", ["polars", "arrow"])
@pytest.mark.parametrize("name", ["build_journeys/orders", "time_decay_by_days", "spend_by_channel"])  # compare: kind of journeys
def test_warehouse_routines_answer_in_the_input_kind(name, kind):
    call = ROUTINES[name][0]
    frames = {k: convert(kind)(v) for k, v in world().items()}
    out = call(frames)
    assert kind_of(out) == kind
    pd.testing.assert_frame_equal(to_pandas(out), call(world()), check_dtype=False)


@pytest.mark.parametrize("kind", ["polars", "arrow"])
@pytest.mark.parametrize("model", [
    lambda p: attribution.rule_attribution(p, "linear"), attribution.all_rules, attribution.markov_attribution,
    attribution.shapley_attribution, lambda p: attribution.compare(p, models=["linear", "markov_1"]),
    attribution.reach, lambda p: attribution.wide(attribution.compare(p, models=["linear"])),
], ids=["rules", "all_rules", "markov", "shapley", "compare", "reach", "wide"])
def test_models_answer_in_the_kind_of_the_paths(tiny_paths, model, kind):
    out = model(convert(kind)(tiny_paths))
    assert kind_of(out) == kind
    pd.testing.assert_frame_equal(to_pandas(out), model(tiny_paths), check_dtype=False)
