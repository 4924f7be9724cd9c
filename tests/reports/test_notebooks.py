"""Parameters cells are read like papermill reads them, and checked before a kernel starts."""

from __future__ import annotations

import nbformat
import pytest

from cmokit.errors import ConfigError, ReportError
from cmokit.reports.notebooks import coerce, find_report, list_reports, parse_parameters, parse_source, validate
from tests.reports.conftest import make_notebook


def test_parameters_match_papermills_own_inspection(test_notebooks):
    import papermill as pm

    for report in list_reports(test_notebooks):
        theirs = pm.inspect_notebook(str(report.path))
        assert [p.name for p in report.parameters] == list(theirs)
        for p in report.parameters:
            assert p.type == theirs[p.name]["inferred_type_name"]
            assert repr(p.default).replace("'", '"') == theirs[p.name]["default"]
            assert p.help == theirs[p.name]["help"]


def test_command_line_strings_become_declared_types():
    params = parse_source('n: int = 1  # count\nx: float = 0.5  # share\nflag: bool = False  # switch\ns: str = ""  # text')
    assert validate(params, {"n": "30", "x": "2", "flag": "yes", "s": "42"}) == {"n": 30, "x": 2.0, "flag": True, "s": "42"}
    assert validate(params, {"x": 3}) == {"x": 3.0}
    lists = parse_source('models: list = ["a"]  # models\nweights: dict = {}  # weights')
    assert validate(lists, {"models": "first, last", "weights": '{"a": 1}'}) == {
        "models": ["first", "last"], "weights": {"a": 1}}
    assert validate(lists, {"models": '["x"]'}) == {"models": ["x"]}
    with pytest.raises(ConfigError, match="expects dict"):
        validate(lists, {"weights": "[1]"})


@pytest.mark.parametrize("values, message", [
    ({"nope": 1}, "unknown parameter 'nope'"),
    ({"n": "ten"}, "expects int"),
    ({"n": 2.5}, "expects int"),
    ({"n": True}, "expects int"),
    ({"flag": "maybe"}, "expects bool"),
    ({"s": 3}, "expects str"),
])
def test_unknown_names_and_wrong_types_are_refused(values, message):
    params = parse_source('n: int = 1  # count\nflag: bool = False  # switch\ns: str = ""  # text')
    with pytest.raises(ConfigError, match=message):
        validate(params, values)


def test_untyped_or_computed_parameters_are_rejected():
    with pytest.raises(ReportError, match="typed assignment"):
        parse_source("days = 90  # untyped")
    with pytest.raises(ReportError, match="literal"):
        parse_source("days: int = 9 * 10  # computed")
    with pytest.raises(ReportError, match="type 'tuple'"):
        parse_source("days: tuple = ()  # tuple")


def test_a_notebook_without_a_tagged_first_cell_is_rejected(tmp_path):
    path = make_notebook(tmp_path / "50_untagged.ipynb", ["x = 1"], tag=False)
    with pytest.raises(ReportError, match="tagged `parameters`"):
        parse_parameters(nbformat.read(path, as_version=4), path.name)


def test_reports_are_found_by_full_name_or_without_their_number(test_notebooks):
    assert find_report("10_ok", test_notebooks).name == "10_ok"
    assert find_report("raises", test_notebooks).name == "20_raises"
    with pytest.raises(ConfigError, match="available: 10_ok"):
        find_report("missing", test_notebooks)
    assert coerce(find_report("10_ok", test_notebooks).parameter("days"), "3") == 3


def _tagged(source):
    from nbformat.v4 import new_code_cell

    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


@pytest.mark.parametrize("case, problem", [
    ("clean", None),
    ("untagged", "first code cell must be tagged `parameters`"),
    ("tagged_second", "first code cell must be tagged `parameters`"),
    ("two_parameter_cells", "exactly one `parameters` cell"),
    ("uncommented", "parameter 'days' needs a comment"),
    ("def", "cell 2: defines `helper`"),
    ("class", "cell 2: defines `Model`"),
    ("lambda", "cell 2: defines `a lambda`"),
    ("outputs", "cell 2: committed with outputs"),
    ("execution_count", "cell 2: committed with outputs"),
    ("bad_name", "name it NN_words"),
    ("displays_dict", "cell 2: displays `{...}`, which is not a table, figure or Markdown"),
    ("displays_object", "cell 2: displays `wh`, which is not a table"),
    ("displays_raw_frame", "cell 2: displays `frame.round(2)`"),
    ("prints", "cell 2: prints raw text"),
])
def test_lint_rejects_each_broken_convention(case, problem):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from cmokit.reports.notebooks import lint

    params = _tagged('days: int = 7  # window in days')
    body = new_code_cell("import cmokit\nfrom cmokit.reports import present\npresent.markdown(cmokit.__version__)")
    name = "10_demo.ipynb"
    if case == "untagged":
        params.metadata["tags"] = []
    elif case == "tagged_second":
        params.metadata["tags"] = []
        body = _tagged('days: int = 7  # window in days')
    elif case == "two_parameter_cells":
        body = _tagged('label: str = "x"  # a label')
    elif case == "uncommented":
        params = _tagged("days: int = 7")
    elif case == "def":
        body = new_code_cell("def helper(x):\n    return x + 1")
    elif case == "class":
        body = new_code_cell("%matplotlib inline\nclass Model:\n    pass")
    elif case == "lambda":
        body = new_code_cell("key = lambda r: r.revenue")
    elif case == "outputs":
        body.outputs = [new_output("stream", name="stdout", text="hi\n")]
    elif case == "execution_count":
        body.execution_count = 3
    elif case == "bad_name":
        name = "scratch.ipynb"
    elif case == "displays_dict":  # the 70_media_mix diagnostics cell printed {'r2': 0.4014898063556557, ...}
        body = new_code_cell("import cmokit\n{'r2': 0.4014898063556557, 'nrmse': 0.2}")
    elif case == "displays_object":  # printed <cmokit.Warehouse ...>
        body = new_code_cell("import cmokit\nwh = cmokit.connect()\nwh")
    elif case == "displays_raw_frame":  # an unformatted frame with its index column
        body = new_code_cell("import pandas as pd\nframe = pd.DataFrame({'a': [1.23456]})\nframe.round(2)")
    elif case == "prints":
        body = new_code_cell("import cmokit\nprint({'roas': {'default': 1.5}})")
    nb = new_notebook(cells=[new_markdown_cell("# Demo"), params, body])
    problems = lint(nb, name)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_display_rule_follows_import_aliases_and_figure_methods():
    """Calls into cmokit.plots / cmokit.reports.present pass however they were imported; a figure's own
    .show() / .update_layout() keep it a figure; anything else displayed is refused."""
    from nbformat.v4 import new_code_cell, new_notebook

    from cmokit.reports.notebooks import display_problems

    cells = ["import cmokit\nfrom cmokit.plots import segments as sp\nfrom cmokit.reports.present import table\n"
             "from cmokit.reports import present as P\nx = 1",
             "sp.segment_sizes(x)", "table(x)", "P.facts({'r2': 0.4})", "cmokit.plots.health.checks(x).show()",
             "sp.segment_sizes(x).update_layout(height=300)", "x = 2  # assignments display nothing",
             "sp.segment_sizes(x).to_dict()", "cmokit.segments.rfm(x)", "table", "P.money(x)"]
    problems = display_problems(new_notebook(cells=[new_code_cell(c) for c in cells]), "10_demo.ipynb")
    assert [p.split(":")[0] for p in problems] == ["10_demo.ipynb cell 7", "10_demo.ipynb cell 8", "10_demo.ipynb cell 9",
                                                   "10_demo.ipynb cell 10"]


def test_executed_outputs_that_are_plain_reprs_are_found():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from cmokit.reports.notebooks import raw_outputs

    raw = new_code_cell("wh")
    raw.outputs = [new_output("execute_result", data={"text/plain": "<cmokit.Warehouse ...>"}, execution_count=1)]
    html = new_code_cell("present.table(x)")
    html.outputs = [new_output("execute_result", data={"text/plain": "<Styler>", "text/html": "<table/>"},
                               execution_count=2)]
    problems = raw_outputs(new_notebook(cells=[raw, html]), "10_demo.ipynb")
    assert problems == ["10_demo.ipynb cell 0: displays a raw repr '<cmokit.Warehouse ...>'"]
