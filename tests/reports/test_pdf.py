"""`--pdf` prints the report with the same headless Chromium; the PDF carries the report's title on page one."""

from __future__ import annotations

import pytest
import yaml

from cmokit.reports.browser import chromium_path

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(chromium_path() is None, reason="needs chromium (apt-get install -y chromium)")]


def _page_one(path) -> str:
    from pypdf import PdfReader

    return PdfReader(str(path)).pages[0].extract_text()


def test_report_run_pdf_writes_a_pdf_with_the_title_on_page_one(test_notebooks, report_warehouse, tmp_path, capsys):
    from cmokit.cli import main

    status = main(["report", "run", "10_ok", "--pdf", "--notebooks", str(test_notebooks),
                   "--warehouse", str(report_warehouse), "--out", str(tmp_path)])
    printed = capsys.readouterr().out.split()
    assert status == 0
    pdf = [p for p in printed if p.endswith("report.pdf")]
    assert pdf, printed
    assert "Test report 10_ok" in _page_one(pdf[0])


def test_a_manifest_asks_for_pdfs_per_report(test_notebooks, report_warehouse, tmp_path):
    from cmokit.reports.batch import read_manifest, run_all

    manifest = tmp_path / "reports.yml"
    manifest.write_text(yaml.safe_dump({"defaults": {"pdf": False},
                                        "reports": [{"notebook": "10_ok", "pdf": True}]}))
    assert [job.pdf for job in read_manifest(manifest)] == [True]
    batch = run_all(manifest, warehouse=report_warehouse, notebooks=test_notebooks, out_dir=tmp_path / "out",
                    progress=False)
    (result,) = batch.results
    assert result.ok and result.pdf.endswith("report.pdf")
    assert "Test report 10_ok" in _page_one(result.pdf)


def test_a_manifest_pdf_flag_must_be_a_boolean(tmp_path):
    from cmokit.errors import ConfigError
    from cmokit.reports.batch import read_manifest

    manifest = tmp_path / "reports.yml"
    manifest.write_text(yaml.safe_dump({"reports": [{"notebook": "10_ok", "pdf": "yes please"}]}))
    with pytest.raises(ConfigError, match="must be true or false"):
        read_manifest(manifest)
