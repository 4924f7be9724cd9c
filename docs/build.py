"""Build the offline HTML documentation into ``build/docs/`` (``make docs``).

The API reference is generated from the docstrings by pdoc; beside it go the project's pages
(design, data contract, metric definitions, scheduling, decisions, changelog), rendered from
their Markdown. The build fails (exit 1, every problem listed) when

- a cmokit module does not import,
- a docstring reference to a cmokit name (``:func:`cmokit.segments.rfm```, ``:class:`Warehouse```,
  ````cmokit.connect````) does not resolve,
- a page links to a file that does not exist,
- ``docs/contract.md`` is not the page generated from :data:`cmokit.warehouse.contract.CONTRACT`
  (regenerate it with ``python docs/build.py --write-contract`` and commit it).

    python docs/build.py [--out build/docs]
    python docs/build.py --write-contract
"""

from __future__ import annotations

import argparse
import builtins
import html
import importlib
import inspect
import os
import pkgutil
import re
import shutil
import sys
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CONTRACT_PAGE = DOCS / "contract.md"
_FIRST = ("docs/design.md", "docs/contract.md", "docs/metrics.md")
#: Markdown source -> HTML page of the site, in the order of the navigation: the design, contract and
#: metric pages, every other page in docs/, then the decision log and the changelog.
PAGES = {source: f"{Path(source).stem.lower()}.html" for source in (
    *_FIRST,
    *sorted(p.relative_to(ROOT).as_posix() for p in DOCS.glob("*.md") if p.relative_to(ROOT).as_posix() not in _FIRST),
    "DECISIONS.md", "CHANGELOG.md")}
ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj|exc):`~?([^`<>]+?)(?:\(\))?`")
QUALIFIED = re.compile(r"``(cmokit(?:\.\w+)+)(?:\(\))?``")


# --- the data contract page ---------------------------------------------------------------------

def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def contract_page() -> str:
    """The Markdown page of the data contract, generated from ``cmokit.warehouse.contract``."""
    from cmokit.warehouse import contract as c

    lines = [
        "# The data contract",
        "",
        "<!-- Generated from src/cmokit/warehouse/contract.py by `python docs/build.py --write-contract`;",
        "     do not edit by hand (a test compares this file with the generated page). -->",
        "",
        "The tables of the marketing warehouse, as `cmokit warehouse build` publishes them and",
        "`cmokit warehouse check` checks them. Every table states its grain; keys are unique and not",
        f"null; foreign keys resolve; money is in the reporting currency ({c.CURRENCY}) with two decimals;",
        "timestamps are UTC. Personal columns of the raw exports "
        f"({', '.join(f'`{p}`' for p in c.PERSONAL_COLUMNS)}) never reach the warehouse: `customer_id` "
        "is a keyed pseudonym.",
        "",
        "| table | grain | key |",
        "|---|---|---|",
    ]
    lines += [f"| [`{t.name}`](#{t.name}) | {_cell(t.grain)} | {', '.join(f'`{k}`' for k in t.key)} |"
              for t in c.CONTRACT.values()]
    for t in c.CONTRACT.values():
        lines += ["", f"## {t.name}", ""]
        if t.description:
            lines += [_cell(t.description), ""]
        lines.append(f"Grain: {t.grain}. Key: {', '.join(f'`{k}`' for k in t.key)}.")
        if t.time_column:
            lines.append(f"Time column (freshness, daily volumes): `{t.time_column}`.")
        lines += ["", "| column | type | null | accepted values / bound | meaning |", "|---|---|---|---|---|"]
        for col in t.columns:
            rule = ", ".join(f"`{v}`" for v in col.accepted) if col.accepted else ""
            if col.minimum is not None:
                rule = f"≥ {col.minimum:g}"
            lines.append(f"| `{col.name}` | {col.type} | {'yes' if col.nullable else 'no'} | {rule} | "
                         f"{_cell(col.meaning)} |")
        if t.foreign_keys:
            lines += ["", "Foreign keys: " + "; ".join(
                f"`{fk.column}` → `{fk.table}.{fk.target}`" for fk in t.foreign_keys) + "."]
        if t.invariants:
            lines += ["", "| check | column | rule | severity |", "|---|---|---|---|"]
            lines += [f"| `{i.name}` | `{i.column}` | {_cell(i.description)} | {i.severity} |" for i in t.invariants]
    return "\n".join(lines) + "\n"


# --- import and reference checks ----------------------------------------------------------------

def _modules() -> tuple[list, list[str]]:
    """Every cmokit module, imported; and one problem line per module that failed to import."""
    import cmokit

    mods, problems = [cmokit], []
    with warnings.catch_warnings():  # moved modules warn on import; their pages say where to go
        warnings.simplefilter("ignore", FutureWarning)
        for info in sorted(pkgutil.walk_packages(cmokit.__path__, "cmokit."), key=lambda i: i.name):
            try:
                mods.append(importlib.import_module(info.name))
            except Exception:  # noqa: BLE001 - every import error is reported, then the build fails
                problems.append(f"{info.name}: does not import\n{traceback.format_exc(limit=-2)}")
    return mods, problems


def resolve(target: str, module=None, owner=None) -> bool:
    """Whether a docstring reference names something that exists (qualified, or relative to the
    class, module or package it is written in)."""
    parts = target.split(".")
    if parts[0] != "cmokit":
        scopes = [vars(owner)] if owner is not None else []
        if module is not None:
            scopes.append(vars(module))
        scopes.append(vars(builtins))
        for scope in scopes:
            if parts[0] in scope:
                return _getattrs(scope[parts[0]], parts[1:])
        if module is not None:  # a sibling module or a name of the package: "engine.snapshot_day"
            package = module.__name__ if hasattr(module, "__path__") else module.__name__.rpartition(".")[0]
            while package:
                if resolve(f"{package}.{target}"):
                    return True
                package = package.rpartition(".")[0]
        if len(parts) == 1:
            return False
    for i in range(len(parts), 0, -1):  # the longest importable module prefix, then attributes
        try:
            found = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        return _getattrs(found, parts[i:])
    return False


def _getattrs(obj, names) -> bool:
    for name in names:
        fields = getattr(obj, "__dataclass_fields__", {})
        annotations = getattr(obj, "__annotations__", {}) if inspect.isclass(obj) else {}
        if name in fields or name in annotations:
            return True
        if not hasattr(obj, name):
            return False
        obj = getattr(obj, name)
    return True


def _docstrings(module):
    """(owner class or None, docstring) for the module and everything defined in it."""
    yield None, module.__doc__ or ""
    for obj in vars(module).values():
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            yield None, obj.__doc__ or ""
        elif inspect.isclass(obj):
            yield obj, obj.__doc__ or ""
            for member in vars(obj).values():
                member = getattr(member, "fget", None) or getattr(member, "__func__", member)
                if inspect.isfunction(member):
                    yield obj, member.__doc__ or ""


def broken_references(modules) -> list[str]:
    problems = []
    for module in modules:
        for owner, doc in _docstrings(module):
            for target in ROLE.findall(doc) + QUALIFIED.findall(doc):
                if not resolve(target, module, owner):
                    where = f"{module.__name__}.{owner.__name__}" if owner is not None else module.__name__
                    problems.append(f"{where}: reference {target!r} does not resolve")
    return sorted(set(problems))


# --- pages --------------------------------------------------------------------------------------

STYLE = """body{font:16px/1.55 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:14px ui-monospace,monospace;background:#f4f5f7}pre{padding:.8rem;overflow:auto}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccd;padding:.25rem .5rem;vertical-align:top}
nav{margin-bottom:1.5rem;font-size:.95rem}nav a{margin-right:1rem}a{color:#1f4e79}"""


def _nav() -> str:
    links = ['<a href="index.html">Home</a>', '<a href="api.html">API reference</a>']
    links += [f'<a href="{page}">{Path(src).stem.capitalize()}</a>' for src, page in PAGES.items()]
    return "<nav>" + "".join(links) + "</nav>"


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{_nav()}<main>{body}</main></body></html>\n")


def _module_list(modules) -> str:
    """The API reference's contents: every public module, linked to its pdoc page, with its summary."""
    rows = []
    for m in modules:
        name = m.__name__
        if any(p.startswith("_") for p in name.split(".")):
            continue
        summary = html.escape((inspect.getdoc(m) or "").split("\n\n")[0].replace("\n", " "))
        depth = name.count(".")
        rows.append(f'<li style="margin-left:{depth * 1.5}rem"><a href="{name.replace(".", "/")}.html">'
                    f"<code>{name}</code></a> — {summary}</li>")
    return "<h1>API reference</h1><p>Generated from the docstrings by pdoc.</p><ul>" + "".join(rows) + "</ul>"


def render_markdown(source: str, text: str, out: Path) -> tuple[str, list[str]]:
    """HTML of a Markdown page, its relative links rewritten for the site in ``out`` (other pages
    to their HTML, repository files to the checkout); and one problem per link to nothing."""
    from pdoc.render_helpers import to_html

    here = (ROOT / source).parent
    problems = []

    def link(m: re.Match) -> str:
        target, anchor = m.group(2), m.group(3) or ""
        path = (here / target).resolve()
        key = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else None
        if key == "README.md":
            return f"{m.group(1)}(index.html{anchor})"
        if key in PAGES:
            return f"{m.group(1)}({PAGES[key]}{anchor})"
        if path.exists():  # a file of the checkout (LICENSE, an example's README)
            return f"{m.group(1)}({os.path.relpath(path, out.resolve())}{anchor})"
        problems.append(f"{source}: links to {target}, which does not exist")
        return m.group(0)

    text = re.sub(r"(\[[^\]]*\])\((?!https?:|#|mailto:)([^)#\s]+)(#[^)\s]*)?\)", link, text)
    return to_html(text), problems


def _public_submodules(self) -> list:
    """A package's sidebar lists every public submodule; pdoc lists only those named in ``__all__``
    (which, in cmokit, names functions and classes)."""
    import pdoc.doc

    if not self.is_package:
        return []
    names = sorted(i.name for i in pkgutil.iter_modules(self.obj.__path__, f"{self.modulename}.")
                   if not i.name.rpartition(".")[2].startswith("_"))
    return [pdoc.doc.Module.from_name(name) for name in names]


def build(out: Path) -> list[str]:
    import pdoc
    import pdoc.doc
    import pdoc.render

    import cmokit

    modules, problems = _modules()
    problems += broken_references(modules)
    if CONTRACT_PAGE.read_text() != contract_page():
        problems.append("docs/contract.md is not the page generated from the contract: "
                        "run `python docs/build.py --write-contract` and commit it")
    if problems:
        return problems

    if out.exists():
        shutil.rmtree(out)
    pdoc.doc.Module.submodules = property(_public_submodules)
    pdoc.render.configure(docformat="numpy", footer_text=f"cmokit {cmokit.__version__}", show_source=False,
                          template_directory=DOCS / "templates")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # every public module, not only the subpackages named in cmokit.__all__
        pdoc.pdoc(*(m.__name__ for m in modules if not any(p.startswith("_") for p in m.__name__.split("."))),
                  output_directory=out)
    problems += [f"pdoc: {w.message}" for w in caught  # a package spec re-adding its submodules is harmless
                 if "pdoc" in w.filename and "has already been added" not in str(w.message)]
    (out / "api.html").write_text(_page("cmokit: API reference", _module_list(modules)))

    pages = [("README.md", "index.html")] + list(PAGES.items())
    for source, page in pages:
        text = (ROOT / source).read_text()
        body, bad = render_markdown(source, text, out)
        problems += bad
        title = next((line.lstrip("# ") for line in text.splitlines() if line.startswith("# ")), page)
        (out / page).write_text(_page(f"cmokit: {title}", body))
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "docs")
    parser.add_argument("--write-contract", action="store_true", help="regenerate docs/contract.md and stop")
    args = parser.parse_args(argv)
    if args.write_contract:
        CONTRACT_PAGE.write_text(contract_page())
        print(f"wrote {CONTRACT_PAGE.relative_to(ROOT)}")
        return 0
    problems = build(args.out)
    if problems:
        print("documentation build failed:", *problems, sep="\n- ", file=sys.stderr)
        return 1
    print(f"documentation: {(args.out / 'index.html').resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
