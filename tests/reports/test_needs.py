"""Reports whose data is missing explain themselves; run-all exits 0 unless a report really failed.

The warehouse is built from the Online Retail II subset (tests/fixtures/online_retail, CC BY 4.0,
UCI / Daqing Chen): orders, refunds and derived customers, and empty marketing tables — the shape
of a real shop export with no ad-platform, tracking or experiment data.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import nbformat
import pytest
import yaml

from cmokit.errors import ConfigError
from cmokit.reports.batch import read_manifest, run_all
from cmokit.reports.cli import main
from cmokit.reports.needs import Need, check, parse_needs

from .conftest import make_notebook

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "online_retail"
SOURCES = ROOT / "examples" / "online_retail" / "sources.yml"

#: Reads the warehouse the runner passes, so "ran" really means the data was there.
READS_ORDERS = ["import duckdb",
                "con = duckdb.connect(warehouse, read_only=True)\n"
                "n = con.execute('SELECT count(*) FROM orders').fetchone()[0]\nassert n > 0\nn"]
WH_PARAMS = 'warehouse: str = ""  # warehouse file\ndays: int = 7  # window in days'


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("needs_notebooks")
    make_notebook(folder / "10_reads_orders.ipynb", READS_ORDERS, params=WH_PARAMS)
    make_notebook(folder / "20_raises.ipynb", ["raise ValueError('planted failure')"], params=WH_PARAMS)
    make_notebook(folder / "40_labels.ipynb", [  # money labels in the kernel follow the warehouse's currency
        "from cmokit.warehouse.contract import label\nassert label('revenue') == 'Revenue (GBP)', label('revenue')"],
        params=WH_PARAMS)
    path = make_notebook(folder / "30_declares_needs.ipynb", READS_ORDERS, params=WH_PARAMS)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["cmokit"] = {"needs": {"experiments": 1}}  # declared in the notebook, no manifest entry
    nbformat.write(nb, path)
    return folder


def _manifest(folder, entries) -> Path:
    path = folder / "reports.yml"
    path.write_text(yaml.safe_dump({"defaults": {"timeout_s": 300}, "reports": entries}))
    return path


def test_the_subset_warehouse_has_orders_but_empty_marketing_tables(retail):
    con = duckdb.connect(str(retail), read_only=True)
    counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
              for t in ("orders", "customers", "marketing_spend", "touchpoints", "experiments")}
    guests = con.execute("SELECT count(*) FROM orders WHERE customer_id IS NULL").fetchone()[0]
    con.close()
    guest_invoices = duckdb.sql(  # counted on the raw lines: invoices without a customer, not credit notes
        "SELECT count(DISTINCT Invoice) FROM read_parquet(?) WHERE \"Customer ID\" IS NULL "
        "AND NOT starts_with(Invoice, 'C') AND NOT starts_with(Invoice, 'A')",
        params=[str(FIXTURE / "online_retail_II_subset.parquet")]).fetchone()[0]
    assert counts["orders"] > 0 and counts["customers"] == 137  # the fixture README's 137 customers
    assert counts["marketing_spend"] == counts["touchpoints"] == counts["experiments"] == 0
    assert guests == guest_invoices > 0


def test_check_names_empty_tables_and_column_needs(retail, tmp_path):
    needs = parse_needs({"orders": 1, "orders.customer_id": 137 * 2, "marketing_spend": 1})
    unmet = check(needs, retail)
    assert [(u.need.label, u.found) for u in unmet] == [("marketing_spend", 0)]
    assert unmet[0].reason == "marketing_spend is empty (0 rows)"
    con = duckdb.connect(str(retail), read_only=True)
    identified = con.execute("SELECT count(*) FROM orders WHERE customer_id IS NOT NULL").fetchone()[0]
    con.close()
    too_many = check(parse_needs({"orders.customer_id": identified + 1}), retail)
    assert [u.found for u in too_many] == [identified]
    assert f"needs at least {identified + 1:,}" in too_many[0].reason
    assert check(parse_needs({"orders.customer_id": identified}), retail) == []
    # a warehouse without the table at all (an older build, another tool's file)
    bare = tmp_path / "bare.duckdb"
    duckdb.connect(str(bare)).execute("CREATE TABLE orders (order_id VARCHAR)").close()
    assert [(u.need.table, u.found) for u in check(parse_needs(["touchpoints"]), bare)] == [("touchpoints", None)]


@pytest.mark.parametrize("spec, message", [
    ({"spend": 1}, "'spend', which is not a contract table"),
    ({"orders.amount": 1}, "orders has no column 'amount'"),
    ({"orders": 0}, "whole number ≥ 1"),
    ({"orders": "many"}, "whole number ≥ 1"),
    ("orders", "a mapping of contract table to minimum rows"),
])
def test_bad_needs_are_config_errors_naming_the_manifest(tmp_path, spec, message):
    manifest = _manifest(tmp_path, [{"notebook": "10_reads_orders", "needs": spec}])
    with pytest.raises(ConfigError, match=message) as info:
        read_manifest(manifest)
    assert "report 10_reads_orders" in str(info.value)


def test_unmet_needs_give_an_explained_page_and_exit_0(retail, notebooks, tmp_path, capsys):
    manifest = _manifest(tmp_path, [
        {"notebook": "10_reads_orders", "needs": {"orders": 1, "customers": 1}},
        {"notebook": "10_reads_orders", "parameters": {"days": 2},
         "needs": {"marketing_spend": 1, "campaigns": 1, "orders": 1}},
        {"notebook": "30_declares_needs"},
    ])
    out = tmp_path / "reports"
    code = main(["report", "run-all", "--manifest", str(manifest), "--notebooks", str(notebooks),
                 "--warehouse", str(retail), "--out", str(out), "--jobs", "1"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    statuses = [r["status"] for r in json.loads((out / "index.json").read_text())]
    assert statuses == ["ok", "explained", "explained"]
    assert "1/3 reports ok, 2 explained (data missing), 0 failed" in printed
    results = json.loads((out / "index.json").read_text())
    spend = results[1]
    assert sorted(n["table"] for n in spend["needs"]) == ["campaigns", "marketing_spend"]  # orders is there
    assert not Path(spend["notebook"]).exists()  # no kernel started
    page = Path(spend["html"]).read_text()
    assert "Not run: this warehouse lacks the data this report needs" in page and "badge explained" in page
    assert "marketing_spend</strong>: at least one row — daily media spend and delivery" in page
    assert "marketing_spend is empty (0 rows)" in page
    assert "spend_date: RAW_COLUMN " in page and "docs/sources.md" in page and "sources.yml" in page
    assert "experiments is empty (0 rows)" in Path(results[2]["html"]).read_text()
    index = (out / "index.html").read_text()
    assert index.count("badge explained") == 2 and "marketing_spend is empty" in index
    assert "1 of 3 reports ok · 2 explained (data missing) · 0 failed" in index


def test_a_failing_report_still_fails_the_batch(retail, notebooks, tmp_path, capsys):
    manifest = _manifest(tmp_path, [
        {"notebook": "10_reads_orders", "needs": {"touchpoints": 1}},
        {"notebook": "20_raises", "needs": {"orders": 1}},
    ])
    out = tmp_path / "reports"
    code = main(["report", "run-all", "--manifest", str(manifest), "--notebooks", str(notebooks),
                 "--warehouse", str(retail), "--out", str(out), "--jobs", "1"])
    assert code == 1
    batch = run_all(manifest, notebooks=notebooks, warehouse=retail, out_dir=tmp_path / "again", progress=False)
    assert [r.status for r in batch.results] == ["explained", "failed"]
    assert not batch.ok and [r.report for r in batch.failed] == ["20_raises"]
    assert [r.report for r in batch.explained] == ["10_reads_orders"]


def test_report_run_explains_with_the_notebooks_own_needs(retail, notebooks, tmp_path, capsys):
    code = main(["report", "run", "30_declares_needs", "--notebooks", str(notebooks),
                 "--warehouse", str(retail), "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0 and "explained: experiments is empty (0 rows)" in captured.err
    assert "experiments</strong>" in Path(captured.out.strip()).read_text()


def test_need_describes_itself_from_the_contract():
    assert Need("orders", "customer_id", 100).describe().startswith(
        "orders.customer_id: at least 100 rows — completed shop orders; one row per order; rows with customer_id")


def test_money_labels_in_the_kernel_follow_the_warehouse_currency(retail, notebooks, tmp_path):
    from cmokit.reports.execute import run

    con = duckdb.connect(str(retail), read_only=True)
    assert con.execute("SELECT currency FROM meta_build").fetchone()[0] == "GBP"  # examples/online_retail/sources.yml
    con.close()
    result = run("40_labels", warehouse=retail, notebooks=notebooks, out_dir=tmp_path)
    assert result.status == "ok", result.error


def test_report_run_applies_the_manifests_needs(retail, notebooks, tmp_path, capsys):
    manifest = _manifest(tmp_path, [{"notebook": "10_reads_orders", "needs": {"touchpoints": 1}}])
    code = main(["report", "run", "reads_orders", "--manifest", str(manifest), "--notebooks", str(notebooks),
                 "--warehouse", str(retail), "--out", str(tmp_path / "out")])
    assert code == 0 and "explained: touchpoints is empty (0 rows)" in capsys.readouterr().err


def test_on_an_empty_build_every_report_of_the_manifest_explains_itself(tmp_path):
    """Issue 13 item 4: after a build that loaded nothing, run-all printed "ok" for 2 of 8 reports (the
    media mix showed ROI 0 for every channel) and cryptic errors for the rest. With the manifest's
    needs, every report that reads data explains itself without starting a kernel."""
    from cmokit.warehouse.contract import CONTRACT

    empty = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(empty))
    for name, spec in CONTRACT.items():
        con.execute(f'CREATE TABLE "{name}" ({", ".join(f"{c} {t}" for c, t in spec.duckdb_schema().items())})')
    con.close()
    jobs = [j for j in read_manifest(ROOT / "reports.yml") if j.notebook != "00_data_health"]
    assert jobs and all(j.needs for j in jobs)  # data health reports on whatever is there; the rest declare needs
    manifest = _manifest(tmp_path, [{"notebook": j.notebook, "needs": j.needs} for j in jobs])
    batch = run_all(manifest, notebooks=ROOT / "notebooks", warehouse=empty, out_dir=tmp_path / "out", progress=False)
    assert [r.status for r in batch.results] == ["explained"] * len(jobs) and batch.ok
    media_mix = next(r for r in batch.results if r.report == "70_media_mix")
    assert "marketing_spend is empty (0 rows)" in Path(media_mix.html).read_text()
    assert not any(Path(r.notebook).exists() for r in batch.results)  # no kernel ran


def test_report_list_says_which_reports_this_warehouse_can_feed(retail, notebooks, tmp_path, capsys):
    manifest = _manifest(tmp_path, [{"notebook": "10_reads_orders", "needs": {"orders": 1, "touchpoints": 1}},
                                    {"notebook": "20_raises", "needs": {"orders.customer_id": 10}}])
    assert main(["report", "list", "--notebooks", str(notebooks), "--manifest", str(manifest),
                 "--warehouse", str(retail)]) == 0
    blocks = {}
    for line in capsys.readouterr().out.splitlines():  # one block per report: its name line, then indented lines
        if not line.startswith(" "):
            name = line.split()[0]
        blocks.setdefault(name, []).append(line.strip())
    assert "needs (rows): orders ≥ 1, touchpoints ≥ 1" in blocks["10_reads_orders"]
    assert "data: touchpoints is empty (0 rows) (would explain, not run)" in blocks["10_reads_orders"]
    assert "needs (rows): orders.customer_id ≥ 10" in blocks["20_raises"] and "data: ready" in blocks["20_raises"]
    assert "needs (rows): experiments ≥ 1" in blocks["30_declares_needs"]  # from the notebook's metadata
    assert "data: experiments is empty (0 rows) (would explain, not run)" in blocks["30_declares_needs"]
    assert not any(line.startswith("needs") for line in blocks["40_labels"])  # declares nothing


def test_geo_report_on_a_warehouse_without_regions_says_which_entry_provides_them(retail, tmp_path, capsys):
    """55_geo_tests used to show a simulated panel when the warehouse had no regions; with the manifest's
    needs it explains itself instead: no kernel, the page names customers.region and the sources.yml
    entry with its region column."""
    code = main(["report", "run", "55_geo_tests", "--manifest", str(ROOT / "reports.yml"), "--notebooks", str(ROOT / "notebooks"),
                 "--warehouse", str(retail), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 0 and "explained: no row of customers has region filled in" in captured.err
    page = Path(captured.out.strip()).read_text()
    assert "customers.region</strong>" in page and "region: RAW_COLUMN" in page and "Sales region" in page


def test_the_online_retail_manifest_needs_at_least_what_the_repository_manifest_needs():
    """The example manifest is the repository's with settings for that export: a report must not lose a
    need there (55_geo_tests once needed only orders in the example and failed on an export without regions)."""
    root = Path(__file__).resolve().parents[2]
    main = {Path(j.notebook).stem: dict(j.needs or {}) for j in read_manifest(root / "reports.yml")}
    example = {Path(j.notebook).stem: dict(j.needs or {}) for j in read_manifest(root / "examples/online_retail/reports.yml")}
    assert set(example) == set(main)
    for name, needs in main.items():
        missing = {k: v for k, v in needs.items() if example[name].get(k, 0) < v}
        assert not missing, f"{name}: the Online Retail manifest drops {missing}"
