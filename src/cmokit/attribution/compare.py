"""Every attribution model side by side, next to each channel's share of spend.

``compare`` runs the chosen models on one paths table and returns a long tidy
table (one row per channel per model) with the channel's media spend from
``marketing_spend`` over the same days, its spend share and the return on
spend under that model (``roas = conversion_value / spend``; missing for
channels without spend, such as ``direct`` or ``email``). ``wide`` pivots it to
one row per channel and one share column per model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cmokit._frames import like, to_pandas
from cmokit.engine import renamed_args
from cmokit.errors import ConfigError

#: Models ``compare`` knows: the rules, Markov orders 1-3 and Shapley.
MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based",
          "markov_1", "markov_2", "markov_3", "shapley")
DEFAULT_MODELS = ("first_touch", "last_touch", "linear", "position_based", "markov_1", "shapley")


@renamed_args(end="as_of")
def spend_by_channel(source, *, start: str | None = None, as_of=None) -> pd.DataFrame:
    """Media spend per channel from ``start`` to ``as_of`` (UTC days, inclusive), in the engine.

    ``as_of=None`` is the latest order day in the data (the latest spend day when ``source``
    is a ``marketing_spend`` frame alone); ``end=`` is its old name. Returns ``channel``,
    ``spend`` (EUR) and ``spend_share``, in the caller's frame kind.
    """
    import ibis

    from cmokit._inputs import snapshot
    from cmokit.engine import as_of_date
    from cmokit.warehouse.connect import resolve

    res = resolve(source, "marketing_spend")
    t = res.table("marketing_spend", ("spend_date", "channel", "spend"), nonempty=True)
    t = t.filter(t.spend_date <= ibis.literal(snapshot(res, as_of), type="date"))
    if start is not None:
        t = t.filter(t.spend_date >= ibis.literal(as_of_date(start), type="date"))
    agg = t.group_by("channel").aggregate(spend=t.spend.sum().cast("float64")).order_by("channel")
    out = res.warehouse.execute(agg, output="pandas")
    total = out["spend"].sum()
    out["spend_share"] = out["spend"] / total if total > 0 else 0.0
    return res.finish(out.reset_index(drop=True))


def reach(journeys) -> pd.DataFrame:
    """Journeys (converting or not) whose path contains each channel: ``channel``, ``journeys_reached``.

    Dividing a model's credit by it gives credit per reached journey, which
    compares channels of very different volume.
    """
    from cmokit.attribution.journeys import encode

    enc = encode(journeys)
    present = np.unique(enc.path_index * len(enc.channels) + enc.codes)
    paths, codes = np.divmod(present, len(enc.channels))
    flow = enc.conversions + enc.nulls
    reached = np.bincount(codes, flow[paths], minlength=len(enc.channels))
    return like(pd.DataFrame({"channel": enc.channels, "journeys_reached": reached}), journeys)


def run_model(journeys, model: str, **settings) -> pd.DataFrame:
    """Run one named model (see :data:`MODELS`) and return its channel table.

    ``"markov"`` means Markov of order ``settings["markov_order"]`` (default 1).
    """
    from cmokit.attribution.rules import RULES, rule_attribution

    if model in RULES:
        keys = ("half_life_touches", "first_weight", "last_weight", "direct_channels")
        return rule_attribution(journeys, model, **{k: v for k, v in settings.items() if k in keys})
    if model == "markov" or (model.startswith("markov_") and model[-1] in "123"):
        from cmokit.attribution.markov import markov_attribution

        order = settings.get("markov_order", 1) if model == "markov" else int(model[-1])
        return markov_attribution(journeys, order=order)
    if model == "shapley":
        from cmokit.attribution.shapley import shapley_attribution

        keys = ("exact_max_channels", "n_permutations", "random_state")
        return shapley_attribution(journeys, **{k: v for k, v in settings.items() if k in keys})
    raise ConfigError(f"unknown attribution model {model!r}; choose from {', '.join(MODELS)}")


@renamed_args(end="as_of")
def compare(journeys, source=None, *, models=DEFAULT_MODELS, start: str | None = None,
            as_of=None, **settings) -> pd.DataFrame:
    """Channel credit under every model, with spend share and ROAS per model.

    Parameters
    ----------
    journeys
        A paths table (:func:`~cmokit.attribution.build_journeys` / :func:`~cmokit.attribution.from_paths`).
    source
        Warehouse (or a ``marketing_spend`` frame) for spend; ``None`` leaves spend out.
    models
        Names from :data:`MODELS`; ``"markov"`` takes its order from ``markov_order``.
    start, as_of
        Spend period (UTC days, inclusive); use the journeys' conversion window.
        ``as_of=None`` is the latest order day in ``source`` (see :func:`spend_by_channel`);
        ``end=`` is its old name.
    **settings
        Passed to the models that take them (``markov_order``, ``half_life_touches``,
        ``first_weight``, ...).

    Returns
    -------
    pandas.DataFrame (or the kind of ``journeys``)
        ``channel``, ``model``, ``conversions``, ``conversion_value``, ``share``,
        ``journeys_reached``, ``conversions_per_journey`` (credit per reached
        journey), ``spend``, ``spend_share``, ``roas``; sorted by model (in ``models``
        order) then channel.

    Examples
    --------
    >>> paths = pd.DataFrame({"path": ["A > B", "B"], "conversions": [2, 1],
    ...     "conversion_value": [20.0, 10.0], "nulls": [1, 3]})
    >>> compare(paths, models=["first_touch", "last_touch"])[["channel", "model", "share"]]
      channel        model     share
    0       A  first_touch  0.666667
    1       B  first_touch  0.333333
    2       A   last_touch  0.000000
    3       B   last_touch  1.000000
    """
    models = list(models)
    if not models:
        raise ConfigError("compare needs at least one model")
    from cmokit.attribution.journeys import paths_table, same_kind

    paths = paths_table(journeys)
    table = pd.concat([run_model(paths, m, **settings) for m in models], ignore_index=True)
    spend = to_pandas(spend_by_channel(source, start=start, as_of=as_of)) if source is not None else None
    if spend is not None:
        # a channel that spent but appears in no journey earns nothing under every model: keep it visible
        unseen = sorted(set(spend["channel"]) - set(table["channel"]))
        if unseen:
            zero = pd.DataFrame([(c, m) for m in dict.fromkeys(table["model"]) for c in unseen],
                                columns=["channel", "model"]).assign(conversions=0.0, conversion_value=0.0, share=0.0)
            table = pd.concat([table, zero], ignore_index=True)
    table = table.merge(to_pandas(reach(paths)), on="channel", how="left")
    table["journeys_reached"] = table["journeys_reached"].fillna(0.0)
    reached = table["journeys_reached"].to_numpy(dtype=float)
    table["conversions_per_journey"] = np.where(
        reached > 0, table["conversions"] / np.where(reached > 0, reached, 1.0), np.nan)
    if spend is not None:
        table = table.merge(spend, on="channel", how="left")
    else:
        table["spend"] = np.nan
        table["spend_share"] = np.nan
    table["spend"] = table["spend"].astype("float64")
    table["spend_share"] = table["spend_share"].astype("float64").fillna(0.0 if source is not None else np.nan)
    spend = table["spend"].to_numpy()
    table["roas"] = np.where(spend > 0, table["conversion_value"] / np.where(spend > 0, spend, 1.0), np.nan)
    models = list(dict.fromkeys(table["model"]))
    order = {m: i for i, m in enumerate(models)}
    table = table.sort_values(["model", "channel"], key=lambda s: s.map(order) if s.name == "model" else s,
                              kind="stable")
    return same_kind(journeys, table.reset_index(drop=True))


def wide(comparison: pd.DataFrame, value: str = "share") -> pd.DataFrame:
    """One row per channel: ``spend_share`` then one ``value`` column per model (kind of ``comparison``)."""
    source, comparison = comparison, to_pandas(comparison)
    models = list(dict.fromkeys(comparison["model"]))
    out = comparison.pivot(index="channel", columns="model", values=value)[models]
    out.columns = [f"{value}_{m}" for m in models]
    spend = comparison.drop_duplicates("channel").set_index("channel")["spend_share"]
    out.insert(0, "spend_share", spend.reindex(out.index))
    return like(out.reset_index(), source)


__all__ = ["MODELS", "DEFAULT_MODELS", "spend_by_channel", "reach", "run_model", "compare", "wide"]
