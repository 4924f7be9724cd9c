"""How raw exports map onto the contract: file patterns, column mapping, parsing.

Each :class:`Source` names the files of one export (a glob, so daily deliveries
such as ``shop_orders_2025-12-31.csv`` sit beside the first full export), the
raw column behind each contract column, and which raw columns are personal
(kept on the IT side only).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    table: str
    pattern: str
    columns: dict  # contract column -> raw column
    personal: tuple[str, ...] = ()
    pseudonymise: tuple[str, ...] = ()  # contract columns holding source customer ids
    required: bool = False
    optional: tuple[str, ...] = ()  # contract columns whose raw column an export may leave out (then NULL)

    @property
    def raw_columns(self) -> list[str]:
        return list(self.columns.values())

    @property
    def needed_raw_columns(self) -> list[str]:
        """Raw columns every file of this export must have (the optional ones may be absent)."""
        return [raw for name, raw in self.columns.items() if name not in self.optional]


SOURCES: dict[str, Source] = {
    s.table: s
    for s in (
        Source("customers", "crm_customers*.csv",
               {"customer_id": "crm_id", "first_seen_at": "signup_ts", "country": "country",
                "acquisition_channel": "acquisition_source", "marketing_consent": "marketing_opt_in",
                "region": "region"},
               personal=("email", "full_name", "phone"), pseudonymise=("customer_id",), required=True,
               optional=("region",)),
        Source("campaigns", "campaigns*.csv",
               {"campaign_id": "campaign_code", "campaign_name": "campaign_name", "channel": "channel",
                "starts_on": "start_date", "ends_on": "end_date", "budget": "budget_eur"}),
        Source("orders", "shop_orders*.csv",
               {"order_id": "order_number", "customer_id": "crm_id", "ordered_at": "order_ts",
                "revenue": "amount_eur", "campaign_id": "campaign_code", "region": "ship_region"},
               pseudonymise=("customer_id",), required=True, optional=("region",)),
        Source("refunds", "refunds*.csv",
               {"refund_id": "refund_number", "order_id": "order_number", "customer_id": "crm_id",
                "refunded_at": "refund_ts", "amount": "amount_eur"},
               pseudonymise=("customer_id",)),
        Source("marketing_spend", "ad_spend*.csv",
               {"spend_date": "date", "campaign_id": "campaign_code", "channel": "channel", "spend": "cost_eur",
                "impressions": "impressions", "clicks": "clicks", "region": "region"}, optional=("region",)),
        Source("touchpoints", "touchpoints*.csv",
               {"touchpoint_id": "event_id", "customer_id": "crm_id", "touched_at": "event_ts",
                "channel": "channel", "campaign_id": "campaign_code", "touch_type": "event_type"},
               pseudonymise=("customer_id",)),
        Source("experiments", "experiments*.csv",
               {"experiment_id": "experiment_code", "campaign_id": "campaign_code", "starts_on": "start_date",
                "ends_on": "end_date", "primary_metric": "primary_metric"}),
        Source("experiment_assignments", "experiment_assignments*.csv",
               {"experiment_id": "experiment_code", "customer_id": "crm_id", "variant": "variant",
                "assigned_at": "assigned_ts"},
               pseudonymise=("customer_id",)),
        Source("lift_tests", "lift_tests*.csv",
               {"test_id": "test_code", "channel": "channel", "starts_on": "start_date", "ends_on": "end_date",
                "kpi": "kpi", "spend_change": "spend_change_eur", "incremental_revenue": "incremental_revenue_eur",
                "incremental_revenue_lower": "incremental_revenue_lower_eur",
                "incremental_revenue_upper": "incremental_revenue_upper_eur", "interval_level": "interval_level",
                "method": "method"}),
    )
}


def load_order() -> list[str]:
    """Contract tables in build order: parents before the tables whose foreign keys point at them."""
    from cmokit.warehouse.contract import CONTRACT

    return list(SOURCES) + [t for t in CONTRACT if t not in SOURCES]


def _matches(table: str, name: str) -> bool:
    import fnmatch

    if not fnmatch.fnmatch(name, SOURCES[table].pattern):
        return False
    # 'experiments*.csv' must not swallow 'experiment_assignments*.csv'
    return not any(other != table and len(SOURCES[other].pattern) > len(SOURCES[table].pattern)
                   and fnmatch.fnmatch(name, SOURCES[other].pattern) for other in SOURCES)


def discover(raw_dir) -> dict[str, list]:
    """Raw files per contract table, sorted by name (delivery order)."""
    from pathlib import Path

    files = sorted(p for p in Path(raw_dir).iterdir() if p.is_file() and p.suffix == ".csv")
    return {t: [p for p in files if _matches(t, p.name)] for t in SOURCES}
