"""Target lists for activation: a segment, or the top-N churn risks, minus opted-out customers.

A target list holds pseudonymous ``customer_id`` values only (plus the
segment or score that selected them) and never a customer who is not
contactable under the one consent rule, :func:`cmokit.features.contactable`:
``marketing_consent`` true in the contract ``customers`` table (a null flag,
or a customer missing from that table, counts as not consenting). For a segment
list the consent join runs in the engine with the RFM query; for a top-N
list the scores are already a per-customer frame in memory, so the engine
returns the consenting ids and the scores are filtered against them. The number of customers left out for lack of consent is
reported with every export.

>>> import pandas as pd, tempfile, os
>>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", "b"],
...     "ordered_at": pd.to_datetime(["2025-12-30", "2025-12-30"]), "revenue": [10.0, 10.0],
...     "campaign_id": [None, None]})
>>> customers = pd.DataFrame({"customer_id": ["a", "b"], "marketing_consent": [True, False]})
>>> out = os.path.join(tempfile.mkdtemp(), "targets.csv")
>>> export_targets({"orders": orders, "customers": customers}, out, segment=None, as_of="2025-12-31")
TargetExport(path='...targets.csv', exported=1, excluded_no_consent=1, selection='all customers')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cmokit.errors import ConfigError


@dataclass(frozen=True)
class TargetExport:
    """What an export wrote: the file, rows exported, customers excluded for lack of consent."""

    path: str
    exported: int
    excluded_no_consent: int
    selection: str

    def __repr__(self) -> str:
        return (f"TargetExport(path='...{Path(self.path).name}', exported={self.exported}, "
                f"excluded_no_consent={self.excluded_no_consent}, selection={self.selection!r})")


def _consent_flag(customers):
    from cmokit.features import contactable

    return customers.select("customer_id", consent=contactable(customers))


#: A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame):
    """``frame`` with every text cell that a spreadsheet would run as a formula prefixed with ``'``
    (OWASP's advice for CSV injection); numbers are left alone.

    >>> import pandas as pd
    >>> csv_safe(pd.DataFrame({"segment": ["=HYPERLINK(1)", "Loyal", "-2+3", "@SUM(A1)"], "score": [-1, 2, 3, 4]})
    ...          ).values.tolist()
    [["'=HYPERLINK(1)", -1], ['Loyal', 2], ["'-2+3", 3], ["'@SUM(A1)", 4]]
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v)
    return out


def _write(frame, path) -> str:
    path = Path(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        csv_safe(frame).to_csv(path, index=False)
    elif suffix in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:
        raise ConfigError(f"target list {path}: use a .csv or .parquet file name")
    return str(path)


def segment_targets(r, segments, as_of, *, revenue: str = "net"):
    """(consenting rows, excluded count) for RFM segments, joined to consent in the engine.

    ``as_of`` is the snapshot day, inclusive (UTC); ``None`` = the latest order day in the data.
    Segments are those of :func:`cmokit.segments.rfm.rfm` with the same ``revenue`` (net by
    default); guest orders never reach a target list.
    """
    from cmokit.revenue import refunds_of
    from cmokit.segments.rfm import ORDER_COLUMNS, SEGMENTS, rfm_expr

    scored = rfm_expr(r.table("orders", columns=ORDER_COLUMNS), r.as_of(as_of), refunds=refunds_of(r, revenue))
    if segments is not None:
        unknown = sorted(set(segments) - set(SEGMENTS))
        if unknown:
            raise ConfigError(f"unknown segments {unknown}; choose from {list(SEGMENTS)}")
        scored = scored.filter(scored.segment.isin(list(segments)))
    consent = _consent_flag(r.table("customers", columns=("customer_id", "marketing_consent")))
    joined = scored.left_join(consent, scored.customer_id == consent.customer_id)
    joined = joined.mutate(ok=joined.consent.fill_null(False))
    excluded = int(r.warehouse.execute((~joined.ok).cast("int64").sum().fill_null(0), output="pandas"))
    keep = joined.filter(joined.ok).select("customer_id", "segment", "rfm_score").order_by("customer_id")
    return r.warehouse.execute(keep, output="pandas"), excluded


def risk_targets(r, scores, top_n: int):
    """(top-N consenting rows by churn risk, opted-out customers ranked above the last one kept)."""
    from cmokit._frames import require_columns
    from cmokit.features import contactable

    customers = r.table("customers", columns=("customer_id", "marketing_consent"))
    consenting = customers.filter(contactable(customers)).select("customer_id")
    allowed = set(r.warehouse.execute(consenting, output="pandas")["customer_id"])
    ranked = require_columns(scores, ("customer_id", "churn_probability"), "churn scores",
                             numeric=("churn_probability",), not_null=("customer_id", "churn_probability"))
    ranked = ranked.sort_values(["churn_probability", "customer_id"], ascending=[False, True], kind="stable")
    ok = ranked["customer_id"].isin(allowed).to_numpy()
    keep = ranked[ok].head(int(top_n))
    if keep.empty:
        return keep[["customer_id", "churn_probability"]], int((~ok).sum())
    last = ranked.index.get_loc(keep.index[-1])
    excluded = int((~ok[: last + 1]).sum())
    return keep[["customer_id", "churn_probability"]].reset_index(drop=True), excluded


def export_targets(source, path, *, segment=None, as_of=None, scores=None, top_n=None,
                   revenue: str = "net") -> TargetExport:
    """Write a consent-safe target list as CSV or Parquet (by the file suffix).

    Parameters
    ----------
    source
        A :class:`cmokit.Warehouse` (or path), or a dict with ``orders`` and
        ``customers`` frames (the consent flag lives in ``customers``).
    path
        Output file, ``.csv`` or ``.parquet``.
    segment
        A segment name or list of names from :data:`cmokit.segments.SEGMENTS`
        (``None`` = every customer with an order by ``as_of``).
    as_of
        Snapshot day of the RFM segments, inclusive (orders up to the end of
        this UTC day count); ``None`` = the latest order day in the data.
    scores, top_n
        Instead of a segment: a frame ``customer_id, churn_probability`` (from
        :meth:`cmokit.retention.ChurnModel.predict`) and how many of the
        highest-risk consenting customers to export.
    revenue
        ``"net"`` (default) or ``"gross"`` monetary value of the RFM segments
        (:func:`cmokit.segments.rfm.rfm`). Guest orders never reach a list.

    Returns
    -------
    TargetExport
        ``path, exported, excluded_no_consent, selection``. For a segment,
        ``excluded_no_consent`` counts the segment's customers without
        consent; for top-N, the opted-out customers ranked above the last
        exported one.
    """
    from cmokit.warehouse import resolve

    r = resolve(source, "orders")
    if not r.warehouse.has_table("customers"):
        raise ConfigError("target lists need the customers table (marketing_consent); "
                          "pass the warehouse or a dict with 'orders' and 'customers' frames")
    if scores is not None:
        if top_n is None or int(top_n) < 1:
            raise ConfigError("with scores, give top_n (a positive number of customers)")
        rows, excluded = risk_targets(r, scores, int(top_n))
        selection = f"top {int(top_n)} by churn risk"
    else:
        names = [segment] if isinstance(segment, str) else segment
        rows, excluded = segment_targets(r, names, as_of, revenue=revenue)
        selection = "all customers" if names is None else f"segments {', '.join(names)} as of {r.as_of(as_of)}"
    written = _write(rows, path)
    return TargetExport(path=written, exported=len(rows), excluded_no_consent=excluded, selection=selection)


__all__ = ["TargetExport", "export_targets", "risk_targets", "segment_targets"]
