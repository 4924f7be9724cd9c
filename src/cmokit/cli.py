"""The ``cmokit`` command line.

    cmokit sample --out DIR [--customers N] [--seed S]
    cmokit warehouse build RAW_DIR --out PATH.duckdb [--dev-key [--force] | --key-file F] [--now TS]
                           [--accept GATE ...] [--suppress FILE] [--delivery-order date|mtime]
                           [--sources YML]
    cmokit warehouse init RAW_DIR --out sources.yml
    cmokit warehouse check PATH [--failing]
    cmokit report list | run NAME | run-all          (see ``cmokit report --help``)

Exit status: 0 on success, 1 when a check, a publish gate or a report failed,
2 on a usage or input error (the message says what to do next).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False, soft_wrap=True)


def _interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


# --------------------------------------------------------------------------- sample
def _cmd_sample(args) -> int:
    from cmokit.sample.generator import generate

    t = time.perf_counter()
    truth = generate(args.out, customers=args.customers, seed=args.seed, progress=None if not args.quiet else False)
    rows = truth["rows"]
    print(f"wrote {args.out}: {rows['crm_customers']:,} customers, {rows['shop_orders']:,} orders, "
          f"{rows['touchpoints']:,} touchpoints in {time.perf_counter() - t:.1f}s; planted truth in "
          f"{os.path.join(args.out, 'truth.json')}")
    return 0


# --------------------------------------------------------------------------- warehouse
def _cmd_build(args) -> int:
    import datetime as dt

    from cmokit.warehouse.build import build
    from cmokit.warehouse.gates import GateError

    now = dt.datetime.fromisoformat(args.now) if args.now else None
    bar = None
    progress_cb = None
    if _interactive():
        from rich.progress import Progress, SpinnerColumn, TextColumn

        bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True)
        task = bar.add_task("reading exports")
        bar.start()

        def progress_cb(name, rows):
            bar.update(task, description=f"read {name}: {rows:,} rows")

    if args.dev_key:
        print("note: using the documented development key (--dev-key): for the bundled sample only", file=sys.stderr)
    t = time.perf_counter()
    try:
        result = build(args.raw_dir, args.out, key_file=args.key_file, dev_key=args.dev_key, now=now,
                       progress=progress_cb, memory_limit=args.memory_limit, accept=args.accept or (),
                       max_quarantine_share=args.max_quarantine_share, max_nulled_share=args.max_nulled_share,
                       max_row_drop=args.max_row_drop,
                       suppress=args.suppress, delivery_order=args.delivery_order, force=args.force,
                       sources=args.sources)
    except GateError as exc:
        if exc.reasons is not None and len(exc.reasons):
            _print_reasons(exc.reasons)
        shown = exc.gates[~exc.gates.passed] if exc.gates is not None else None
        if shown is not None and len(shown):
            _print_table(shown.rename(columns={"table_name": "table"}), title="Publish gates that failed")
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.stop()
    summary = result.summary()
    _print_reconciliation(summary)
    if result.reasons is not None and len(result.reasons):
        _print_reasons(result.reasons)
    totals = summary[["read", "loaded", "quarantined", "erased"]].sum()
    for line in result.lines:  # raw lines -> the tables they were aggregated into (sources.yml builds)
        print(f"lines: {line}")
    if args.suppress:
        print(f"erased {result.customers_erased:,} customer(s) on the suppression list "
              f"({totals['erased']:,} raw rows) from the warehouse and the quarantine")
    if result.accepted_gates:
        print(f"note: published past failed gate(s) {', '.join(result.accepted_gates)} (--accept; recorded in meta_build)")
    print(f"published {result.path} in {time.perf_counter() - t:.1f}s: read {totals['read']:,}, "
          f"loaded {totals['loaded']:,}, quarantined {totals['quarantined']:,} "
          f"(IT-side quarantine: {result.quarantine_path})")
    return 0


def _cmd_init(args) -> int:
    from cmokit.warehouse.init import draft

    result = draft(args.raw_dir, args.out, force=args.force)
    print(result.report())
    return 0


def _print_reasons(reasons) -> None:
    shown = reasons.rename(columns={"table_name": "table", "check_name": "check", "column_name": "column"})
    _print_table(shown, title="Top quarantine reasons per table (rows kept with a null are 'loaded_with_null')")


def _cmd_check(args) -> int:
    from cmokit.warehouse.checks import check

    result = check(args.path)
    # failing checks first (errors before warnings), then the passing ones in contract order
    order = (result.failing_rows == 0).astype(int) * 2 + (result.severity != "error").astype(int)
    shown = result.assign(_order=order).sort_values("_order", kind="stable").drop(columns=["_order"])
    if args.failing:
        shown = shown[shown.failing_rows > 0]
    if len(shown):
        _print_table(shown.drop(columns=["description"]).rename(columns={"failing_rows": "failing rows"}),
                     title="Contract checks")
    errors = result[(result.severity == "error") & (result.failing_rows > 0)]
    print(f"{len(result)} checks, {int((result.failing_rows > 0).sum())} failing, {len(errors)} error-severity")
    return 1 if len(errors) else 0


def _cmd_export(args) -> int:
    from cmokit.warehouse.export import export_parquet

    written = export_parquet(args.path, args.parquet, tables=args.tables or None, overwrite=args.overwrite,
                             memory_limit=args.memory_limit, temp_directory=args.temp_directory)
    for name, rows in written.items():
        print(f"{name:<24} {rows:>12,} rows")
    print(f"wrote {len(written)} tables to {args.parquet} (Parquet; time-keyed tables partitioned by month)")
    return 0


def _print_reconciliation(summary) -> None:
    """The per-file reconciliation with counts as 1,234, and each file's warnings on lines of their own
    below it (as a column, one long warning stretched every row of the table past the screen)."""
    counts = ["read", "loaded", "quarantined", "erased"]
    shown = summary.drop(columns=["warnings"]).astype(object)
    for c in counts:
        shown[c] = [f"{int(v):,}" for v in summary[c]]
    _print_table(shown, title="Reconciliation (rows read = loaded + quarantined + erased)")
    notes = [(row.table, row.file, w) for row in summary.itertuples() for w in str(row.warnings or "").split("; ") if w]
    if notes:
        print("Warnings:")
        for table, file, warning in notes:
            print(f"  {table} ({file}): {warning}")


def _print_table(frame, title: str | None = None) -> None:
    if _interactive():
        from rich.table import Table

        table = Table(title=title)
        for c in frame.columns:
            table.add_column(str(c))
        for row in frame.itertuples(index=False):
            table.add_row(*["" if v is None or v != v else str(v) for v in row])  # v != v: NaN
        _console().print(table)
    else:
        if title:
            print(title)
        print(frame.astype(object).where(frame.notna(), "").to_string(index=False))


# --------------------------------------------------------------------------- parser
def parser() -> argparse.ArgumentParser:
    from cmokit.warehouse import gates  # thresholds only (no heavy imports)

    p = argparse.ArgumentParser(prog="cmokit", description="Customer-data analytics kit for marketing and IT.")
    p.add_argument("--version", action="version", version=f"cmokit {_version()}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="write deterministic sample raw exports with planted truth")
    s.add_argument("--out", required=True, help="folder to write")
    s.add_argument("--customers", type=int, default=5000, help="number of customers (default 5000)")
    s.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_sample)

    w = sub.add_parser("warehouse", help="build, check and export the marketing warehouse")
    wsub = w.add_subparsers(dest="warehouse_command", required=True)
    b = wsub.add_parser("build", help="map, cast, validate, quarantine, pseudonymise and publish raw exports")
    b.add_argument("raw_dir", help="folder of raw CSV exports")
    b.add_argument("--out", required=True, help="warehouse file to publish (e.g. build/warehouse.duckdb)")
    key = b.add_mutually_exclusive_group()
    key.add_argument("--key-file", help="file holding the pseudonymisation secret (default: $CMOKIT_PSEUDONYM_KEY)")
    key.add_argument("--dev-key", action="store_true",
                     help="use the documented development key (bundled sample only; never for real data)")
    b.add_argument("--now", help="the build's clock for 'not in the future' checks (ISO timestamp, UTC)")
    b.add_argument("--memory-limit", help="DuckDB memory limit, e.g. 2GB (spills to disk beyond it)")
    b.add_argument("--sources", metavar="SOURCES_YML",
                   help="where each contract table's data is and how to map it (docs/sources.md; draft one with "
                        "`cmokit warehouse init`); default: the bundled sample's exports")
    b.add_argument("--force", action="store_true", help="allow --dev-key on data that is not the bundled sample")
    b.add_argument("--accept", action="append", metavar="GATE",
                   help="publish although this gate fails (quarantine_share, nulled_values, required_not_empty, "
                        "row_count_drop; "
                        "GATE:TABLE for one table); repeatable, recorded in meta_build")
    b.add_argument("--max-quarantine-share", type=float, default=gates.DEFAULT_MAX_QUARANTINE_SHARE, metavar="FRACTION",
                   help="gate: most rows per table quarantined as errors (default 0.05 = 5%%)")
    b.add_argument("--max-nulled-share", type=float, default=gates.DEFAULT_MAX_NULLED_SHARE, metavar="FRACTION",
                   help="gate: most rows per table and optional column loaded with that value nulled (default 0.05)")
    b.add_argument("--max-row-drop", type=float, default=gates.DEFAULT_MAX_ROW_DROP, metavar="FRACTION",
                   help="gate: largest drop in rows per table against the published warehouse (default 0.20)")
    b.add_argument("--suppress", metavar="FILE",
                   help="suppression list: customer source ids to erase (one a line) from warehouse and quarantine")
    b.add_argument("--delivery-order", choices=("date", "mtime"), default="date",
                   help="order of deliveries of one export (later wins): date in the file name (default) or mtime")
    b.set_defaults(func=_cmd_build)
    i = wsub.add_parser("init", help="draft a sources.yml for the raw exports in a folder")
    i.add_argument("raw_dir", help="folder of raw exports (CSV/TSV, Parquet, JSON lines)")
    i.add_argument("--out", required=True, help="the sources.yml to write")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")
    i.set_defaults(func=_cmd_init)
    c = wsub.add_parser("check", help="run the contract checks; exit 1 when an error-severity check fails")
    c.add_argument("path", help="warehouse file")
    c.add_argument("--failing", action="store_true", help="show only the failing checks")
    c.add_argument("--all", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for old scripts
    c.set_defaults(func=_cmd_check)
    e = wsub.add_parser("export", help="write the contract tables as Parquet (for Spark), partitioned by month")
    e.add_argument("path", help="warehouse file")
    e.add_argument("--parquet", required=True, metavar="DIR", help="folder to write, one sub-folder per table")
    e.add_argument("--tables", nargs="+", help="contract tables to export (default: all)")
    e.add_argument("--overwrite", action="store_true", help="replace existing table folders")
    e.add_argument("--memory-limit", help="DuckDB memory limit, e.g. 2GB (spills to disk beyond it)")
    e.add_argument("--temp-directory", help="DuckDB spill folder")
    e.set_defaults(func=_cmd_export)

    try:
        from cmokit.reports.cli import add_parser as add_report_parser
    except ImportError:  # the reports package is optional during development
        add_report_parser = None
    if add_report_parser is not None:
        add_report_parser(sub)
    return p


def _version() -> str:
    import cmokit

    return cmokit.__version__


def main(argv: list[str] | None = None) -> int:
    from cmokit.errors import CmokitError

    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except CmokitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
