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

    ``needs`` comes from the notebook's metadata ``cmokit.needs`` (``{table[.column]: min_rows}``,
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
    code cell carries outputs or an execution count.

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


__all__ = ["NAME_PATTERN", "Parameter", "Report", "coerce", "find_report", "lint", "list_reports",
           "parse_parameters", "parse_source", "read_report", "validate"]
