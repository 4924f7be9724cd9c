"""``cmokit report list | run | run-all``: the command-line face of :mod:`cmokit.reports`.

:func:`add_parser` registers the ``report`` command on the main ``cmokit``
parser; each sub-command sets ``func`` (``args.func(args)`` returns the exit
status: 0 every report ran or explained which data it lacks, 1 a report failed, 2 bad input
refused before any kernel ran).
``python -m cmokit.reports.cli ...`` runs it on its own.
"""

from __future__ import annotations

import argparse
import sys

from cmokit.errors import CmokitError


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--notebooks", default=None, help="folder of report notebooks (default ./notebooks or $CMOKIT_NOTEBOOKS)")
    p.add_argument("--warehouse", default=None, help="warehouse file (default $CMOKIT_WAREHOUSE)")
    p.add_argument("--out", default="reports", help="reports folder (default ./reports)")
    p.add_argument("--show-code", action="store_true", help="show code cells in the HTML")
    p.add_argument("--seed", type=int, default=None, help="random seed for notebooks with a `seed` parameter")
    p.add_argument("--pdf", action="store_true", help="also print report.pdf with headless Chromium (for the meeting invite)")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``report`` (with ``list``, ``run``, ``run-all``) to a ``cmokit`` sub-parser set."""
    report = subparsers.add_parser("report", help="list and run parameterised report notebooks")
    sub = report.add_subparsers(dest="report_command", required=True)

    ls = sub.add_parser("list", help="reports, their parameters and the data they need")
    ls.add_argument("--notebooks", default=None)
    ls.add_argument("--manifest", default=None, help="manifest whose `needs` apply (default ./reports.yml if present)")
    ls.add_argument("--warehouse", default=None,
                    help="also say, per report, whether this warehouse has the data it needs")
    ls.set_defaults(func=cmd_list)

    run = sub.add_parser("run", help="run one report into reports/<name>/<run-key>/report.html")
    run.add_argument("name", help="report name, e.g. 00_data_health")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                     help="set a parameter (repeatable); checked against the parameters cell before running")
    run.add_argument("--cell-timeout-s", type=float, default=None, help="longest a single cell may run")
    run.add_argument("--manifest", default=None,
                     help="manifest whose `needs` for this report apply (default ./reports.yml if present)")
    _common(run)
    run.set_defaults(func=cmd_run)

    every = sub.add_parser("run-all", help="run every report of a manifest in parallel; writes reports/index.html")
    every.add_argument("--manifest", default=None, help="manifest (default ./reports.yml, else every notebook)")
    every.add_argument("--jobs", "-j", type=int, default=2, help="reports running at once (default 2)")
    every.add_argument("--timeout-s", type=float, default=None, help="whole-report limit, overrides the manifest")
    _common(every)
    every.set_defaults(func=cmd_run_all)
    return report


def _fail(exc: Exception) -> int:
    print(f"cmokit: {exc}", file=sys.stderr)
    return 2


def cmd_list(args) -> int:
    from cmokit.reports.batch import manifest_needs
    from cmokit.reports.execute import unmet_needs
    from cmokit.reports.notebooks import list_reports

    try:
        reports = list_reports(args.notebooks)
        for r in reports:
            print(f"{r.name}  {r.title}")
            for p in r.parameters:
                print(f"    {p.name}: {p.type} = {p.default!r}" + (f"  # {p.help}" if p.help else ""))
            needs = manifest_needs(args.manifest, r.name)
            shown = needs if needs is not None else {n.label: n.min_rows for n in r.needs}
            if shown:
                print("    needs (rows): " + ", ".join(f"{k} ≥ {v:,}" for k, v in shown.items()))
            if args.warehouse:
                unmet = unmet_needs(r, args.warehouse, needs)
                print("    data: " + ("; ".join(u.reason for u in unmet) + " (would explain, not run)"
                                      if unmet else "ready"))
    except CmokitError as exc:
        return _fail(exc)
    return 0


def cmd_run(args) -> int:
    from cmokit.reports.batch import manifest_needs
    from cmokit.reports.execute import run

    try:
        result = run(args.name, dict(args.parameter), warehouse=args.warehouse, out_dir=args.out,
                     notebooks=args.notebooks, show_code=args.show_code, seed=args.seed,
                     cell_timeout_s=args.cell_timeout_s, pdf=args.pdf,
                     needs=manifest_needs(args.manifest, args.name))
    except CmokitError as exc:
        return _fail(exc)
    if result.status == "explained":
        print(f"cmokit: {result.report} explained: " + "; ".join(n["reason"] for n in result.needs or []), file=sys.stderr)
    elif not result.ok:
        err = result.error or {}
        print(f"cmokit: {result.report} {result.status}: {err.get('ename')}: {err.get('evalue')}", file=sys.stderr)
    print(result.html)
    if result.pdf:
        print(result.pdf)
    return 1 if result.failed else 0


def cmd_run_all(args) -> int:
    from cmokit.reports.batch import run_all

    try:
        batch = run_all(args.manifest, jobs=args.jobs, timeout_s=args.timeout_s, warehouse=args.warehouse,
                        out_dir=args.out, notebooks=args.notebooks, show_code=args.show_code, seed=args.seed,
                        pdf=args.pdf)
    except CmokitError as exc:
        return _fail(exc)
    for r in batch.results:
        err = r.error or {}
        detail = ""
        if r.status == "explained":
            detail = "  needs: " + "; ".join(n["reason"] for n in r.needs or [])
        elif not r.ok:
            detail = f"  {err.get('ename')}: {str(err.get('evalue', ''))[:120]}"
        print(f"{r.status:9} {r.duration_s:7.1f} s  {r.report}{detail}")
    n_ok, n_explained = sum(r.ok for r in batch.results), len(batch.explained)
    more = f", {n_explained} explained (data missing), {len(batch.failed)} failed" if n_explained else ""
    print(f"{n_ok}/{len(batch.results)} reports ok{more}; index: {batch.index}")
    return 0 if batch.ok else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="cmokit")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["add_parser", "main"]
