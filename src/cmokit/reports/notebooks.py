"""Find report notebooks and read their ``parameters`` cell.

A report notebook's first code cell is tagged ``parameters``; each line is one
typed, commented assignment (the convention papermill's own docs recommend)::

    as_of: str = "2025-12-31"  # snapshot date, inclusive

:func:`parse_parameters` reads that cell with :mod:`ast` (nothing is executed)
into :class:`Parameter` rows, and :func:`validate` checks the values a caller
passes against them *before* a kernel starts: papermill itself only warns about
unknown names and injects values of any type.

>>> from cmokit.reports.notebooks import parse_source, validate
>>> params = parse_source('days: int = 90  # window in days\\nas_of: str = ""  # snapshot date')
>>> [(p.name, p.type, p.default, p.help) for p in params]
[('days', 'int', 90, 'window in days'), ('as_of', 'str', '', 'snapshot date')]
>>> validate(params, {"days": "30"})
{'days': 30}
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmokit.errors import ConfigError, ReportError

#: Types a parameter may declare; values from the command line are parsed into them
#: (a list as JSON or comma-separated, a dict as JSON).
TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Parameter:
    """One line of a ``parameters`` cell: name, declared type, default, help text."""

    name: str
    type: str
    default: Any
    help: str = ""


@dataclass(frozen=True)
class Report:
    """A report notebook: its name (file stem), path, title, parameters and the data it needs.

    ``needs`` comes from the notebook's metadata key ``needs`` under ``cmokit`` (``{table[.column]: min_rows}``,
    see :mod:`cmokit.reports.needs`); a ``reports.yml`` entry's ``needs`` overrides it.
    """

    name: str
    path: Path
    title: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    needs: tuple = field(default_factory=tuple)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}


def default_directory() -> Path:
    """``$CMOKIT_NOTEBOOKS`` or ``./notebooks`` (relative to the working directory)."""
    import os

    return Path(os.environ.get("CMOKIT_NOTEBOOKS", "notebooks"))


def parameters_cell(nb) -> Any:
    """The first code cell, which must carry the ``parameters`` tag."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or "parameters" not in code[0].get("metadata", {}).get("tags", []):
        return None
    return code[0]


def _comments(source: str) -> dict[int, str]:
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def parse_source(source: str, notebook: str = "<cell>") -> tuple[Parameter, ...]:
    """Parse the text of a ``parameters`` cell (typed, commented assignments only)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ReportError(f"{notebook}: parameters cell is not valid Python: {exc}", notebook=notebook) from exc
    comments = _comments(source)
    out = []
    for node in tree.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None):
            raise ReportError(
                f"{notebook}: line {node.lineno} of the parameters cell is not a typed assignment "
                "like `as_of: str = \"2025-12-31\"  # snapshot date`",
                notebook=notebook,
            )
        type_name = ast.unparse(node.annotation).split("[", 1)[0]  # list[str] -> list
        if type_name not in TYPES:
            raise ReportError(
                f"{notebook}: parameter {node.target.id!r} has type {type_name!r}; use one of {', '.join(TYPES)}",
                notebook=notebook,
            )
        try:
            default = ast.literal_eval(node.value)
        except ValueError as exc:
            raise ReportError(f"{notebook}: default of {node.target.id!r} must be a literal", notebook=notebook) from exc
        out.append(Parameter(node.target.id, type_name, default, comments.get(node.lineno, "")))
    return tuple(out)


def parse_parameters(nb, notebook: str = "<notebook>") -> tuple[Parameter, ...]:
    """The parameters of a notebook (an ``nbformat`` node); a clear error when the cell is missing."""
    cell = parameters_cell(nb)
    if cell is None:
        raise ReportError(f"{notebook}: the first code cell must be tagged `parameters`", notebook=notebook)
    return parse_source(cell.source, notebook)


#: Report notebook names: a two-digit order number, then lower-case words (``00_data_health``).
NAME_PATTERN = r"[0-9]{2}_[a-z0-9_]+"


def _code_only(source: str) -> str:
    """Cell source without IPython magics / shell lines, for :mod:`ast`."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def lint(nb, notebook: str = "<notebook>") -> list[str]:
    """The convention problems of a report notebook (an ``nbformat`` node); empty when it is clean.

    Checks: the name orders it (``NN_words``); the first code cell is the one
    ``parameters`` cell and each parameter is typed and commented; no cell
    defines a function, class or lambda (logic belongs in the package); no
    code cell carries outputs or an execution count; every displayed value is
    a table, a figure or Markdown (:func:`display_problems`).

    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> cell = new_code_cell('days: int = 7  # window in days')
    >>> cell.metadata["tags"] = ["parameters"]
    >>> lint(new_notebook(cells=[cell, new_code_cell("def f():\\n    pass")]), "10_demo.ipynb")
    ['10_demo.ipynb cell 1: defines `f`; move it into the cmokit package']
    """
    import re

    problems: list[str] = []
    stem = notebook.rsplit("/", 1)[-1].removesuffix(".ipynb")
    if notebook != "<notebook>" and not re.fullmatch(NAME_PATTERN, stem):
        problems.append(f"{notebook}: name it NN_words (e.g. 10_customer_segments) so reports sort in order")
    if parameters_cell(nb) is None:
        problems.append(f"{notebook}: the first code cell must be tagged `parameters`")
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) > 1:
        problems.append(f"{notebook}: exactly one `parameters` cell (found cells {', '.join(map(str, tagged))})")
    if parameters_cell(nb) is not None:
        try:
            params = parse_parameters(nb, notebook)
        except ReportError as exc:
            problems.append(str(exc))
        else:
            if not params:
                problems.append(f"{notebook}: the parameters cell declares nothing")
            problems += [f"{notebook}: parameter {p.name!r} needs a comment saying what it means"
                         for p in params if not p.help]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_code_only(cell.source))
        except SyntaxError as exc:
            problems.append(f"{notebook} cell {i}: not valid Python ({exc.msg})")
            tree = None
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                what = getattr(node, "name", "a lambda")
                problems.append(f"{notebook} cell {i}: defines `{what}`; move it into the cmokit package")
        if cell.get("outputs") or cell.get("execution_count") is not None:
            problems.append(f"{notebook} cell {i}: committed with outputs; clear them "
                            "(jupyter nbconvert --clear-output --inplace)")
    problems += display_problems(nb, notebook)
    return problems


#: Modules whose public functions return something a reader can read: a formatted table,
#: a figure or Markdown (:mod:`cmokit.reports.present`, every :mod:`cmokit.plots` module).
DISPLAY_MODULES = ("cmokit.plots", "cmokit.reports.present")
#: Helpers inside those modules that return text or settings, not something to display.
NOT_DISPLAY = ("cmokit.plots.format", "cmokit.plots.theme", "cmokit.reports.present.money",
               "cmokit.reports.present.percent", "cmokit.reports.present.number", "cmokit.reports.present.ratio",
               "cmokit.reports.present.column_label", "cmokit.reports.present.column_kind",
               "cmokit.reports.present.formatter", "cmokit.reports.present.frame_for_display")
#: Methods that keep a display object one (a figure's own updates) or display it and return None.
DISPLAY_METHODS = ("show", "update_layout", "update_xaxes", "update_yaxes", "update_traces")


def _aliases(nb) -> dict[str, str]:
    """Names bound by the notebook's imports -> the dotted path they stand for."""
    out: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_code_only(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        out[a.asname] = a.name
                    else:
                        out[a.name.split(".")[0]] = a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _dotted(node, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def _is_display_call(node, aliases: dict[str, str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in DISPLAY_METHODS and isinstance(func.value, ast.Call):
        return _is_display_call(func.value, aliases)
    name = _dotted(func, aliases)
    return (name is not None and any(name.startswith(m + ".") for m in DISPLAY_MODULES)
            and not any(name == m or name.startswith(m + ".") for m in NOT_DISPLAY))


def display_problems(nb, notebook: str = "<notebook>") -> list[str]:
    """Cells that would display something other than a table, a figure or Markdown.

    Decided from the source, without running it: the value a code cell displays is
    its last statement when that is an expression; it must be a call into
    :data:`DISPLAY_MODULES` (``present.table(frame)``, ``present.facts(model.diagnostics_)``,
    ``segment_plots.segment_sizes(summary)``, optionally ``.show()``). A bare name, an
    attribute, a literal or a method call on a frame would print a raw repr (a dict, an
    object, an unformatted frame with its index). ``print`` is refused for the same reason.

    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> nb = new_notebook(cells=[new_code_cell("from cmokit.reports import present"),
    ...                          new_code_cell("present.facts({'r2': 0.4})"), new_code_cell("{'r2': 0.4}")])
    >>> display_problems(nb, "10_demo.ipynb")  # doctest: +ELLIPSIS
    ['10_demo.ipynb cell 2: displays `{...}`, which is not a table, figure or Markdown; ...']
    """
    aliases = _aliases(nb)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_code_only(cell.source))
        except SyntaxError:
            continue  # reported by lint
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                problems.append(f"{notebook} cell {i}: prints raw text; display present.markdown(...) "
                                "or present.table(...) instead")
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr) and not _is_display_call(last.value, aliases):
            shown = ast.unparse(last.value)
            shown = "{...}" if isinstance(last.value, ast.Dict) else (shown if len(shown) <= 40 else shown[:37] + "...")
            problems.append(f"{notebook} cell {i}: displays `{shown}`, which is not a table, figure or Markdown; "
                            "wrap it in cmokit.reports.present (table, facts, markdown) or a cmokit.plots "
                            "figure, or assign it")
    return problems


def raw_outputs(nb, notebook: str = "<notebook>") -> list[str]:
    """Outputs of an *executed* notebook that are plain text reprs (a dict, a list, an object).

    A table (``text/html``), a figure (plotly's mime type, an image) or Markdown passes; an
    ``execute_result`` or ``display_data`` with only ``text/plain`` does not.
    """
    problems = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") in ("execute_result", "display_data"):
                kinds = set(out.get("data", {}))
                if kinds <= {"text/plain"}:
                    text = str(out.get("data", {}).get("text/plain", ""))[:60]
                    problems.append(f"{notebook} cell {i}: displays a raw repr {text!r}")
    return problems


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def read_report(path) -> Report:
    """Read one notebook into a :class:`Report`."""
    import nbformat

    path = Path(path)
    from cmokit.reports.needs import parse_needs

    nb = nbformat.read(path, as_version=4)
    needs = parse_needs((nb.metadata.get("cmokit") or {}).get("needs"), f"{path.name} metadata cmokit.needs")
    return Report(path.stem, path, _title(nb, path.stem), parse_parameters(nb, path.name), needs)


def list_reports(directory=None) -> list[Report]:
    """Every report notebook (``NN_name.ipynb``) in ``directory``, in name order.

    Parameters
    ----------
    directory
        Folder of notebooks; default ``$CMOKIT_NOTEBOOKS`` or ``./notebooks``.
    """
    directory = Path(directory) if directory is not None else default_directory()
    if not directory.is_dir():
        raise ConfigError(f"no notebook folder {directory}; pass --notebooks DIR or set CMOKIT_NOTEBOOKS")
    return [read_report(p) for p in sorted(directory.glob("*.ipynb")) if not p.name.startswith(".")]


def find_report(name: str, directory=None) -> Report:
    """A report by name (``00_data_health``), by stem without its number, or by path."""
    candidate = Path(name)
    if candidate.suffix == ".ipynb" and candidate.exists():
        return read_report(candidate)
    directory = Path(directory) if directory is not None else default_directory()
    paths = sorted(directory.glob("*.ipynb"))
    for path in paths:  # only the matching notebook is parsed: a broken neighbour does not block it
        if name in (path.stem, path.stem.split("_", 1)[-1]):
            return read_report(path)
    raise ConfigError(f"no report {name!r} in {directory}; available: {', '.join(p.stem for p in paths) or 'none'}")


def _parse_container(text: str, kind: type):
    import json

    if kind is list and not text.startswith("["):
        return [part.strip() for part in text.split(",") if part.strip()]
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, kind) else None


def coerce(param: Parameter, value: Any) -> Any:
    """``value`` as ``param``'s declared type; strings (from a command line) are parsed."""
    kind = TYPES[param.type]
    if isinstance(value, str) and kind is not str:
        text = value.strip()
        if kind is bool:
            if text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
        elif kind in (list, dict):
            parsed = _parse_container(text, kind)
            if parsed is not None:
                return parsed
        else:
            try:
                return kind(text)
            except ValueError:
                pass
        raise ConfigError(f"parameter {param.name!r} expects {param.type}, got {value!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not kind:
        raise ConfigError(f"parameter {param.name!r} expects {param.type}, got {type(value).__name__} {value!r}")
    return value


def validate(parameters, values: dict[str, Any] | None) -> dict[str, Any]:
    """Check ``values`` against declared ``parameters``; return them coerced to their types.

    Raises :class:`~cmokit.errors.ConfigError` for an unknown name or a value
    of the wrong type, naming the accepted parameters.
    """
    declared = {p.name: p for p in parameters}
    out = {}
    for name, value in (values or {}).items():
        if name not in declared:
            raise ConfigError(
                f"unknown parameter {name!r}; this report accepts: {', '.join(declared) or 'none'}"
            )
        out[name] = coerce(declared[name], value)
    return out


__all__ = ["DISPLAY_MODULES", "NAME_PATTERN", "Parameter", "Report", "coerce", "display_problems", "find_report",
           "lint", "list_reports", "parse_parameters", "parse_source", "raw_outputs", "read_report", "validate"]
