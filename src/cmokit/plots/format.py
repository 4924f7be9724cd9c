"""Values as text a reader reads: money in the contract's currency, percentages, counts, ratios.

Shared by the figures (bar labels) and the report tables (:mod:`cmokit.reports.present`).
A column's format comes from its name (:func:`column_kind`): ``revenue``, ``spend``,
``cac``, ``clv``... are money; ``*_share``, ``*_rate``, ``*_retention``, ``ctr``... are
percentages; ``roas``, ``roi``, ``ltv_cac`` are ratios; counts are integers.

>>> money(1234567.891)
'€1,234,568'
>>> money(12.5, decimals=2)
'€12.50'
>>> percent(0.1234)
'12.3 %'
>>> column_kind("attributed_revenue"), column_kind("customer_retention"), column_kind("roas")
('money', 'percent', 'ratio')
>>> column_label("attributed_revenue")
'Attributed revenue (EUR)'
"""

from __future__ import annotations

import re

#: Symbol shown before money values, by ISO currency code (others print the code after the value).
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "}

#: Labels of derived metrics (the contract's glossary covers the contract's own columns).
LABELS: dict[str, str] = {
    "spend": "Spend", "attributed_revenue": "Attributed revenue", "orders": "Orders",
    "new_customers": "New customers", "active_customers": "Active customers", "customers": "Customers",
    "roas": "ROAS", "roi": "ROI", "cpa": "CPA", "cac": "CAC", "ltv_cac": "LTV : CAC",
    "payback_days": "Payback (days)", "ctr": "Click-through rate", "impressions": "Impressions",
    "clicks": "Clicks", "clv": "CLV", "clv_lower": "CLV, lower", "clv_upper": "CLV, upper",
    "r_score": "Recency score", "f_score": "Frequency score", "m_score": "Monetary score",
    "fm_score": "Frequency–monetary score", "segment": "Segment", "share": "Share",
    "share_of_from": "Share of earlier segment", "customer_retention": "Customers retained",
    "revenue_retention": "Revenue retained", "churn_probability": "Churn probability",
    "p_alive": "Probability still active", "marginal_roi": "Marginal ROI", "kpi": "KPI",
    "value": "Value", "target": "Target", "gap": "Gap to target", "status": "Status",
    "rows_read": "Rows read", "rows_loaded": "Rows loaded", "rows_quarantined": "Rows quarantined",
    "table_name": "Table", "source_file": "Source file", "check_name": "Check", "column_name": "Column",
    "lag_days": "Days behind", "latest_at": "Latest timestamp", "pacing_index": "Pacing index",
    "elapsed_share": "Flight elapsed", "spent_share": "Budget spent", "campaign_name": "Campaign",
    "avg_order_value": "Average order value", "orders_per_customer": "Orders per customer",
    "previous": "Previous period", "last_year": "Same period last year", "change": "Change",
    "metric": "Metric", "evidence": "Evidence", "current_budget": "Current budget",
    "recommended_budget": "Recommended budget", "r_min": "Recency score from", "r_max": "Recency score to",
    "fm_min": "Frequency–monetary score from", "fm_max": "Frequency–monetary score to",
}

_MONEY = re.compile(r"(^|_)(revenue|spend|budget|cac|cpa|clv|monetary|spent|aov|cost)(_|$)|(order|conversion)_value|_eur$")
_PERCENT = re.compile(r"(^|_)(share|rate|retention|ctr|pct|percent|probability|p_alive|elapsed|churn|conversion)(_|$)")
_RATIO = re.compile(r"(^|_)(roas|roi|ltv_cac|pacing_index|per_customer|lift)(_|$)")
_COUNT = re.compile(r"(^|_)(customers|orders|count|rows|journeys|conversions|impressions|clicks|n|days|"
                    r"nulls|touches|checks|weeks|periods)(_|$)|^rows_|_rows$|score$")
_NOT_MONEY = re.compile(r"(^|_)(days|rows|customers|orders|score|count)(_|$)")


def _currency(currency: str | None) -> str:
    """``currency``, or the reporting currency (``$CMOKIT_CURRENCY``, set by the report runner from the
    warehouse's build: GBP for a GBP build) when none is given -- read at call time, not import time."""
    from cmokit.warehouse.contract import reporting_currency

    return currency or reporting_currency()


def currency_symbol(currency: str | None = None) -> str:
    return SYMBOLS.get(_currency(currency), "")


def _missing(value) -> bool:
    """None, NaN, NaT or pandas' NA."""
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a container: not one missing value
        return False


def money(value, currency: str | None = None, decimals: int = 0) -> str:
    """``value`` in ``currency`` (default the reporting currency) with thousands separators (``€1,234``);
    ``–`` when missing."""
    if _missing(value):
        return "–"
    currency = _currency(currency)
    value = float(value)
    sign = "−" if value < 0 else ""
    symbol = currency_symbol(currency)
    body = f"{abs(value):,.{decimals}f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def percent(value, decimals: int = 1, signed: bool = False) -> str:
    """A share (0.123) as ``12.3 %``; ``signed`` writes ``+12.3 %`` for changes."""
    if _missing(value):
        return "–"
    text = f"{abs(float(value)) * 100:,.{decimals}f} %"
    if float(value) < 0:
        return "−" + text
    return ("+" + text) if signed else text


def number(value, decimals: int = 0) -> str:
    """A number with thousands separators (``12,345``); ``–`` when missing."""
    if _missing(value):
        return "–"
    value = float(value)
    return ("−" if value < 0 else "") + f"{abs(value):,.{decimals}f}"


def ratio(value, decimals: int = 2) -> str:
    """A ratio such as ROAS (``2.35``)."""
    return number(value, decimals)


def column_kind(column: str, dtype=None) -> str:
    """How a column is formatted: ``money``, ``percent``, ``ratio``, ``count``, ``number`` or ``text``."""
    name = str(column).lower()
    if dtype is not None and not _numeric(dtype):
        return "text"
    if "per_customer" in name and _MONEY.search(name.replace("_per_customer", "")):
        return "money"  # revenue per customer is an amount; orders per customer a ratio
    if _RATIO.search(name):
        return "ratio"
    if _PERCENT.search(name):
        return "percent"
    if _MONEY.search(name) and not _NOT_MONEY.search(name.replace("per_customer", "")):
        return "money"
    if _COUNT.search(name):
        return "count"
    return "number"


def _numeric(dtype) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def column_label(column: str, currency: str | None = None) -> str:
    """A human label: the metric labels, then the contract's glossary; money columns name the currency."""
    from cmokit.warehouse.contract import label

    currency = _currency(currency)
    name = str(column)
    base = LABELS.get(name) or label(name)
    if column_kind(name) == "money" and f"({currency})" not in base:
        base = f"{base} ({currency})"
    return base


def formatter(kind: str, currency: str | None = None, decimals: int | None = None):
    """The one-value formatter for a column kind."""
    currency = _currency(currency)
    if kind == "money":
        return lambda v: money(v, currency, 0 if decimals is None else decimals)
    if kind == "percent":
        return lambda v: percent(v, 1 if decimals is None else decimals)
    if kind == "ratio":
        return lambda v: ratio(v, 2 if decimals is None else decimals)
    if kind == "count":
        return lambda v: number(v, 0 if decimals is None else decimals)
    if kind == "number":
        return lambda v: number(v, 2 if decimals is None else decimals)
    return _text


def _text(value) -> str:
    """A value as text: ``–`` when missing, a midnight timestamp as its day (``2009-12-01``, not
    ``2009-12-01 00:00:00``: cohort months and snapshot days are days)."""
    import datetime as dt

    if _missing(value):
        return "–"
    if isinstance(value, dt.datetime) and value.time() == dt.time(0) and value.tzinfo is None:
        return value.date().isoformat()
    return str(value)



__all__ = ["LABELS", "SYMBOLS", "column_kind", "column_label", "currency_symbol", "formatter", "money", "number",
           "percent", "ratio"]
