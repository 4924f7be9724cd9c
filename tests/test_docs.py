"""The documentation build (docs/build.py): the contract page is generated from the code, and the
build refuses broken references (``make docs`` renders the site; CI runs it in ``make test``)."""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def docs_build():
    spec = importlib.util.spec_from_file_location("cmokit_docs_build", ROOT / "docs" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_contract_page_is_the_generated_one(docs_build):
    assert (ROOT / "docs" / "contract.md").read_text() == docs_build.contract_page(), (
        "docs/contract.md is stale: run `python docs/build.py --write-contract` and commit it")


def test_contract_page_states_every_table_column_and_check(docs_build):
    from cmokit.warehouse.contract import CONTRACT

    page = docs_build.contract_page()
    for spec in CONTRACT.values():
        assert f"## {spec.name}\n" in page and spec.grain in page
        for col in spec.columns:
            assert f"| `{col.name}` | {col.type} |" in page
        for inv in spec.invariants:
            assert f"| `{inv.name}` | `{inv.column}` |" in page


def test_references_resolve_qualified_relative_and_through_shadowed_names(docs_build):
    resolve = docs_build.resolve
    assert resolve("cmokit.segments.rfm")
    assert resolve("cmokit.warehouse.build.build")  # the submodule, though warehouse.build is the function
    assert resolve("cmokit.connect") and resolve("cmokit.Warehouse")
    assert not resolve("cmokit.segments.rfm_typo")
    assert not resolve("cmokit.clv.score_to_parquet")
    engine = __import__("cmokit.engine", fromlist=["x"])
    assert resolve("snapshot_day", engine) and not resolve("snapshot_days", engine)


def test_a_broken_reference_fails_the_build(docs_build):
    fake = types.ModuleType("cmokit.fake", "See :func:`cmokit.segments.nope` and ``cmokit.clv.BetaGeo``.")
    assert docs_build.broken_references([fake]) == ["cmokit.fake: reference 'cmokit.segments.nope' does not resolve"]


def test_the_library_has_no_broken_reference_and_every_module_imports(docs_build):
    modules, problems = docs_build._modules()
    assert problems == []
    assert docs_build.broken_references(modules) == []


def test_every_markdown_file_in_docs_is_a_page(docs_build):
    assert set(docs_build.PAGES) >= {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")}
    assert list(docs_build.PAGES)[:3] == ["docs/design.md", "docs/contract.md", "docs/metrics.md"]


def test_page_links_to_missing_pages_are_reported(docs_build, tmp_path):
    html, problems = docs_build.render_markdown("docs/design.md", "[c](contract.md) [x](nowhere.md)", tmp_path)
    assert 'href="contract.html"' in html
    assert problems == ["docs/design.md: links to nowhere.md, which does not exist"]
