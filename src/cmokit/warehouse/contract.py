"""The data contract of the marketing warehouse, declared once as data.

Each :class:`TableSpec` states its grain, key, columns (type, nullability,
accepted values, lower bound, meaning), foreign keys and invariants. The build
validates raw rows against it, ``warehouse check`` checks published tables
against it, and docs, validation messages and plot labels read from it.

>>> from cmokit.warehouse.contract import CONTRACT, glossary
>>> CONTRACT["orders"].grain
'one row per order'
>>> CONTRACT["orders"].key
('order_id',)
>>> glossary()["revenue"][:24]
'Order value in the repor'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

#: Marketing channels accepted in campaigns, spend and touchpoints.
CHANNELS: tuple[str, ...] = (
    "paid_search",
    "paid_social",
    "display",
    "video",
    "affiliate",
    "email",
    "organic_search",
    "direct",
    "referral",
)

#: Channels that carry media spend (the rest are owned or earned).
PAID_CHANNELS: tuple[str, ...] = ("paid_search", "paid_social", "display", "video", "affiliate")

TOUCH_TYPES: tuple[str, ...] = ("impression", "click", "open", "visit")

#: Reporting currency of every money column (see DECISIONS.md).
CURRENCY = "EUR"


class _IsoCountries(Sequence):
    """ISO-3166-1 alpha-2 codes (and ``XK``, Kosovo) from ``country_converter``'s maintained
    table (:mod:`cmokit.warehouse.countries`), read on first use (importing the contract stays cheap).

    >>> "DE" in ISO_COUNTRIES, "XK" in ISO_COUNTRIES, "XX" in ISO_COUNTRIES, len(ISO_COUNTRIES) > 240
    (True, True, False, True)
    """

    @cached_property
    def _codes(self) -> tuple[str, ...]:
        from cmokit.warehouse.countries import iso2_codes

        return tuple(sorted(iso2_codes()))

    def __getitem__(self, i):
        return self._codes[i]

    def __len__(self) -> int:
        return len(self._codes)

    @cached_property
    def _set(self) -> frozenset[str]:
        return frozenset(self._codes)

    def __contains__(self, code) -> bool:
        return code in self._set

    def __repr__(self) -> str:
        return "ISO_COUNTRIES"


#: Accepted ``country`` values: ISO-3166-1 alpha-2 codes and XK (country_converter's table).
ISO_COUNTRIES = _IsoCountries()


@dataclass(frozen=True)
class Column:
    """One contract column. ``type`` is a DuckDB type name."""

    name: str
    type: str
    meaning: str
    nullable: bool = False
    accepted: tuple[str, ...] | None = None
    minimum: float | None = None
    label: str | None = None  # short label for plots

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    target: str


@dataclass(frozen=True)
class Invariant:
    """A row-level rule. ``sql`` is a fixed predicate over contract columns
    (no user values are ever formatted into it); a row fails when it is false.
    """

    name: str
    column: str
    sql: str
    description: str
    severity: str = "error"


@dataclass(frozen=True)
class TableSpec:
    name: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    time_column: str | None = None  # freshness and daily volumes
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def duckdb_schema(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}


MONEY = "DECIMAL(18,2)"

_TABLES = [
    TableSpec(
        name="customers",
        grain="one row per customer",
        key=("customer_id",),
        time_column="first_seen_at",
        description="Every known customer or registered prospect, pseudonymised.",
        columns=(
            Column("customer_id", "VARCHAR", "Pseudonymous customer id: keyed HMAC-SHA256 of the source system's id.", label="Customer"),
            Column("first_seen_at", "TIMESTAMP", "When the customer was first known (sign-up or first order), UTC.", label="First seen"),
            Column("country", "VARCHAR", "ISO-3166 alpha-2 country code (XK for Kosovo).", nullable=True, accepted=ISO_COUNTRIES, label="Country"),
            Column("acquisition_channel", "VARCHAR", "Channel the source system credits with acquiring the customer.", nullable=True, accepted=CHANNELS, label="Acquisition channel"),
            Column("marketing_consent", "BOOLEAN", "Whether the customer agreed to marketing contact; false keeps them out of exported target lists.", label="Marketing consent"),
            Column("region", "VARCHAR", "Sales region of the customer (the unit of a geo test), when the source maps one.", nullable=True, label="Region"),
        ),
        invariants=(
            Invariant("country_iso2", "country", "country IS NULL OR regexp_full_match(country, '[A-Z]{2}')", "country is a two-letter upper-case ISO code"),
            Invariant("not_in_future", "first_seen_at", "first_seen_at <= $now", "customer is not first seen in the future"),
        ),
    ),
    TableSpec(
        name="orders",
        grain="one row per order",
        key=("order_id",),
        time_column="ordered_at",
        description="Completed shop orders.",
        columns=(
            Column("order_id", "VARCHAR", "The shop's order number.", label="Order"),
            Column("customer_id", "VARCHAR", "Pseudonymous id of the ordering customer; NULL for a guest checkout "
                   "(counts in revenue, not in customer analytics).", nullable=True, label="Customer"),
            Column("ordered_at", "TIMESTAMP", "When the order was placed, UTC.", label="Ordered at"),
            Column("revenue", MONEY, f"Order value in the reporting currency ({CURRENCY}), net of tax, two decimals.", minimum=0, label=f"Revenue ({CURRENCY})"),
            Column("campaign_id", "VARCHAR", "Campaign the shop's own last-click attribution credits, if any.", nullable=True, label="Campaign"),
            Column("region", "VARCHAR", "Sales region the order shipped to, when the source maps one (the only region a "
                   "guest order has); a geo test reads it before the customer's region.", nullable=True, label="Region"),
        ),
        foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"), ForeignKey("campaign_id", "campaigns", "campaign_id")),
        invariants=(
            Invariant("not_in_future", "ordered_at", "ordered_at <= $now", "order is not dated in the future"),
        ),
    ),
    TableSpec(
        name="refunds",
        grain="one row per refund or cancellation",
        key=("refund_id",),
        time_column="refunded_at",
        description="Money given back: returns, cancellations and credit notes, linked to their order or customer.",
        columns=(
            Column("refund_id", "VARCHAR", "The source's refund, cancellation or credit-note number.", label="Refund"),
            Column("order_id", "VARCHAR", "Order refunded, when the source links it.", nullable=True, label="Order"),
            Column("customer_id", "VARCHAR", "Pseudonymous id of the refunded customer; NULL for a guest.", nullable=True, label="Customer"),
            Column("refunded_at", "TIMESTAMP", "When the refund or cancellation was booked, UTC.", label="Refunded at"),
            Column("amount", MONEY, f"Amount given back in the reporting currency ({CURRENCY}), positive, two decimals.", minimum=0, label=f"Refund ({CURRENCY})"),
        ),
        # order_id is not a foreign key: a refund often concerns an order older than the exports at hand
        foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"),),
        invariants=(
            Invariant("not_in_future", "refunded_at", "refunded_at <= $now", "refund is not dated in the future"),
        ),
    ),
    TableSpec(
        name="campaigns",
        grain="one row per campaign",
        key=("campaign_id",),
        description="Marketing campaigns with their channel and flight dates.",
        columns=(
            Column("campaign_id", "VARCHAR", "Campaign code shared by the ad platforms and the shop.", label="Campaign"),
            Column("campaign_name", "VARCHAR", "Human-readable campaign name.", label="Campaign name"),
            Column("channel", "VARCHAR", "Marketing channel.", accepted=CHANNELS, label="Channel"),
            Column("starts_on", "DATE", "First day of the flight.", label="Starts on"),
            Column("ends_on", "DATE", "Last day of the flight (inclusive).", label="Ends on"),
            Column("budget", MONEY, f"Planned budget in {CURRENCY}.", nullable=True, minimum=0, label=f"Budget ({CURRENCY})"),
        ),
        invariants=(
            Invariant("ends_after_start", "ends_on", "ends_on >= starts_on", "campaign ends on or after it starts"),
        ),
    ),
    TableSpec(
        name="marketing_spend",
        grain="one row per campaign per day",
        key=("spend_date", "campaign_id"),
        time_column="spend_date",
        description="Daily media spend and delivery from the ad platforms.",
        columns=(
            Column("spend_date", "DATE", "Day of delivery (UTC).", label="Date"),
            Column("campaign_id", "VARCHAR", "Campaign the spend belongs to.", label="Campaign"),
            Column("channel", "VARCHAR", "Marketing channel.", accepted=CHANNELS, label="Channel"),
            Column("spend", MONEY, f"Media cost in {CURRENCY}.", minimum=0, label=f"Spend ({CURRENCY})"),
            Column("impressions", "BIGINT", "Ads served.", minimum=0, label="Impressions"),
            Column("clicks", "BIGINT", "Clicks on the ads.", minimum=0, label="Clicks"),
            Column("region", "VARCHAR", "Region the spend targeted, when the source maps one; NULL for national spend.", nullable=True, label="Region"),
        ),
        foreign_keys=(ForeignKey("campaign_id", "campaigns", "campaign_id"),),
        invariants=(
            Invariant("clicks_le_impressions", "clicks", "clicks <= impressions", "clicks do not exceed impressions"),
        ),
    ),
    TableSpec(
        name="touchpoints",
        grain="one row per marketing touch on a customer",
        key=("touchpoint_id",),
        time_column="touched_at",
        description="Marketing touches (impressions, clicks, opens, visits) on known customers.",
        columns=(
            Column("touchpoint_id", "VARCHAR", "Id of the touch event in the tracking system.", label="Touchpoint"),
            Column("customer_id", "VARCHAR", "Pseudonymous id of the touched customer.", label="Customer"),
            Column("touched_at", "TIMESTAMP", "When the touch happened, UTC.", label="Touched at"),
            Column("channel", "VARCHAR", "Marketing channel of the touch.", accepted=CHANNELS, label="Channel"),
            Column("campaign_id", "VARCHAR", "Campaign behind the touch, if any.", nullable=True, label="Campaign"),
            Column("touch_type", "VARCHAR", "Kind of touch.", accepted=TOUCH_TYPES, label="Touch type"),
        ),
        foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"), ForeignKey("campaign_id", "campaigns", "campaign_id")),
        invariants=(
            Invariant("not_in_future", "touched_at", "touched_at <= $now", "touch is not dated in the future"),
        ),
    ),
    TableSpec(
        name="experiments",
        grain="one row per experiment",
        key=("experiment_id",),
        description="Randomised experiments (pilots) and the campaign they test.",
        columns=(
            Column("experiment_id", "VARCHAR", "Experiment code.", label="Experiment"),
            Column("campaign_id", "VARCHAR", "Campaign whose effect the experiment measures, if any.", nullable=True, label="Campaign"),
            Column("starts_on", "DATE", "First day of the experiment.", label="Starts on"),
            Column("ends_on", "DATE", "Last day of the experiment (inclusive).", label="Ends on"),
            Column("primary_metric", "VARCHAR", "Metric the experiment was powered for.", accepted=("conversion", "revenue_per_customer", "orders_per_customer"), label="Primary metric"),
        ),
        foreign_keys=(ForeignKey("campaign_id", "campaigns", "campaign_id"),),
        invariants=(
            Invariant("ends_after_start", "ends_on", "ends_on >= starts_on", "experiment ends on or after it starts"),
        ),
    ),
    TableSpec(
        name="experiment_assignments",
        grain="one row per customer per experiment",
        key=("experiment_id", "customer_id"),
        time_column="assigned_at",
        description="Which variant each customer was randomised into.",
        columns=(
            Column("experiment_id", "VARCHAR", "Experiment code.", label="Experiment"),
            Column("customer_id", "VARCHAR", "Pseudonymous id of the assigned customer.", label="Customer"),
            Column("variant", "VARCHAR", "'control' or the name of a treatment.", label="Variant"),
            Column("assigned_at", "TIMESTAMP", "When the customer was assigned, UTC.", label="Assigned at"),
        ),
        foreign_keys=(ForeignKey("experiment_id", "experiments", "experiment_id"), ForeignKey("customer_id", "customers", "customer_id")),
    ),
]

_TABLES.append(TableSpec(
    name="lift_tests",
    grain="one row per lift test (experiment measuring a paid channel's incremental revenue)",
    key=("test_id",),
    time_column="ends_on",
    description=("Incrementality experiments on paid media (geo holdouts, matched markets, platform conversion "
                 "lift): the spend change they caused and the revenue change they measured, with its interval. "
                 "The marketing-mix model calibrates the tested channels with them."),
    columns=(
        Column("test_id", "VARCHAR", "Lift test code.", label="Lift test"),
        Column("channel", "VARCHAR", "Paid channel whose spend the test changed.", accepted=PAID_CHANNELS, label="Channel"),
        Column("starts_on", "DATE", "First day of the test.", label="Starts on"),
        Column("ends_on", "DATE", "Last day of the test (inclusive).", label="Ends on"),
        Column("kpi", "VARCHAR", "What the measured revenue counts: all orders or customers' first orders.", accepted=("revenue", "first_order_revenue"), label="KPI"),
        Column("spend_change", MONEY, f"Change in the channel's spend the test caused ({CURRENCY}; negative when spend was withheld, as in a holdout).", label=f"Spend change ({CURRENCY})"),
        Column("incremental_revenue", MONEY, f"Revenue change the test measured ({CURRENCY}; same sign as the spend change when the channel works).", label=f"Incremental revenue ({CURRENCY})"),
        Column("incremental_revenue_lower", MONEY, f"Lower end of the measured revenue change's interval ({CURRENCY}).", label="Lower"),
        Column("incremental_revenue_upper", MONEY, f"Upper end of the measured revenue change's interval ({CURRENCY}).", label="Upper"),
        Column("interval_level", "DOUBLE", "Coverage of the interval (0.9 = 90 %).", minimum=0, label="Interval level"),
        Column("method", "VARCHAR", "How the test was run.", accepted=("geo_holdout", "matched_markets", "conversion_lift", "time_based"), label="Method"),
    ),
    invariants=(
        Invariant("ends_after_start", "ends_on", "ends_on >= starts_on", "lift test ends on or after it starts"),
        Invariant("interval_contains_estimate", "incremental_revenue_lower",
                  "incremental_revenue_lower <= incremental_revenue AND incremental_revenue <= incremental_revenue_upper",
                  "the interval contains the measured revenue change"),
        Invariant("spend_changed", "spend_change", "spend_change <> 0", "the test changed the channel's spend"),
        Invariant("level_below_one", "interval_level", "interval_level < 1", "interval level is a share below 1"),
    ),
))

#: The contract: table name -> spec, in load order (parents before children).
CONTRACT: dict[str, TableSpec] = {t.name: t for t in _TABLES}

#: Columns that carry personal data in raw exports and never reach the warehouse.
PERSONAL_COLUMNS: tuple[str, ...] = ("email", "full_name", "phone")


def glossary() -> dict[str, str]:
    """Column name -> meaning, over all contract tables (first definition wins)."""
    out: dict[str, str] = {}
    for spec in CONTRACT.values():
        for col in spec.columns:
            out.setdefault(col.name, col.meaning)
    return out


def reporting_currency() -> str:
    """The currency money is reported in: ``$CMOKIT_CURRENCY`` when set, else :data:`CURRENCY`.

    The report runner sets ``$CMOKIT_CURRENCY`` in each report's kernel from the warehouse's
    ``meta_build.currency`` (a build with ``reporting_currency: GBP`` in its ``sources.yml``),
    so labels say GBP where the money is in pounds.
    """
    import os

    return (os.environ.get("CMOKIT_CURRENCY") or CURRENCY).strip().upper()


def in_reporting_currency(text: str, currency: str | None = None) -> str:
    """``text`` with the contract's currency code replaced by ``currency`` (default :func:`reporting_currency`).

    >>> import os; os.environ["CMOKIT_CURRENCY"] = "GBP"
    >>> in_reporting_currency("Revenue (EUR)")
    'Revenue (GBP)'
    >>> del os.environ["CMOKIT_CURRENCY"]; in_reporting_currency("Revenue (EUR)")
    'Revenue (EUR)'
    """
    import re

    currency = (currency or reporting_currency()).strip().upper()
    return text if currency == CURRENCY else re.sub(rf"\b{CURRENCY}\b", currency, text)


def label(column: str) -> str:
    """Plot label for a contract column (falls back to a tidied name), money in the reporting currency.

    >>> label("revenue")
    'Revenue (EUR)'
    >>> label("p_alive")
    'P alive'
    >>> label("BG/NBD log-likelihood")  # already a human label: kept as written
    'BG/NBD log-likelihood'
    """
    for spec in CONTRACT.values():
        for col in spec.columns:
            if col.name == column:
                return in_reporting_currency(col.title)
    if column != column.lower():  # has capitals of its own (BG/NBD, ROI): only the first letter is raised
        return column[:1].upper() + column[1:]
    return column.replace("_", " ").capitalize()


def table(name: str) -> TableSpec:
    """The spec of a contract table, or a clear error."""
    try:
        return CONTRACT[name]
    except KeyError:
        from cmokit.errors import ContractError

        raise ContractError(
            f"unknown contract table {name!r}; the contract has: {', '.join(CONTRACT)}",
            table=name,
        ) from None


__all__ = [
    "CHANNELS", "PAID_CHANNELS", "TOUCH_TYPES", "CURRENCY", "ISO_COUNTRIES", "PERSONAL_COLUMNS",
    "Column", "ForeignKey", "Invariant", "TableSpec", "CONTRACT", "glossary", "in_reporting_currency", "label",
    "reporting_currency", "table",
]
