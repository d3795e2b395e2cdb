"""Guards for the layout (docs/architecture.md), after Datasette's test_docs.py: they read the source, not the
running program, and fail with the file and line to fix.

- Apps import only downwards (LAYERS). A new app goes into LAYERS at its place; until then it counts as sitting
  just below `demo`, above every listed app.
- No import cycle inside an app: runtime imports, function-level (lazy) ones included; imports under
  `if TYPE_CHECKING:` do not count, since they never run. A cycle hidden by a lazy import is still a cycle: move
  the shared code down (a model method, a module both sides import) instead.
- Every `KARTLEGG_*` setting the code reads is defined in settings.py and named in the README.
- Views and API modules reach a round only through `responses.services.get_round_for_user` (no
  `get_object_or_404(Round, ...)`, no `Round.objects....get()/.first()`, no `Round.objects.filter(pk=...)`), and
  only `accounts` asks a user for its units (`user.unit_codes()`): lists of units' data filter with
  `accounts.permissions.unit_filter`.
- The pure analytics modules (every module directly in `analytics/` but models, apps, tasks, urls, views* and api*)
  import neither `analytics.services` nor `django.db`: the database side calls them, never the other way round.

Each checker is also run on a small made-up tree, so that a broken checker cannot pass silently.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "kartlegg"
# Lowest first. An app may import from the apps before it, never from those after it.
LAYERS = [
    "lib",
    "accounts",
    "jobs",
    "geography",
    "surveys",
    "responses",
    "quality",
    "analytics",
    "reports",
    "freetext",
    "publishing",
    "pulse",
    "demo",
    "portal",
    "ops",
]
TOP = "demo"  # writes to every app; unlisted (new) apps sit just below it


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported module, dotted (a submodule when `from package import submodule`)
    line: int
    lazy: bool  # inside a function
    type_only: bool  # under `if TYPE_CHECKING:`
    path: Path


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(root: Path, package: str) -> Iterator[Path]:
    for path in sorted((root / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, lazy: bool, type_only: bool) -> Iterator[tuple[ast.AST, bool, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield stmt, lazy, True
                yield from _walk(stmt, lazy, True)
            for stmt in child.orelse:
                yield stmt, lazy, type_only
                yield from _walk(stmt, lazy, type_only)
            continue
        inner_lazy = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield child, lazy, type_only
        yield from _walk(child, inner_lazy, type_only)


def imports_of(root: Path, path: Path, known: set[str]) -> Iterator[Import]:
    """The project-internal imports of one file. `from a.b import c` is an import of a.b.c when that is a module,
    else of a.b; relative imports are resolved."""
    source = module_name(root, path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node, lazy, type_only in _walk(tree, False, False):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = source.split(".") if is_package else source.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                targets.append(candidate if candidate in known else module)
        for target in targets:
            if target.split(".")[0] == source.split(".")[0]:
                yield Import(source, target, getattr(node, "lineno", 0), lazy, type_only, path)


def collect(root: Path, package: str) -> list[Import]:
    files = list(python_files(root, package))
    known = {module_name(root, path) for path in files}
    return [imp for path in files for imp in imports_of(root, path, known)]


def apps_in(root: Path, package: str) -> set[str]:
    """The apps: the packages directly under the project package (kartlegg.api, .urls, .settings are not apps)."""
    return {path.parent.name for path in (root / package).glob("*/__init__.py")}


def app_of(module: str, apps: set[str]) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in apps else None


def rank(app: str) -> float:
    return LAYERS.index(app) if app in LAYERS else LAYERS.index(TOP) - 0.5


def upward_imports(imports: Iterable[Import], root: Path, package: str) -> list[str]:
    """Imports from an app of a higher layer (TYPE_CHECKING-only imports too: they are a dependency all the same)."""
    apps = apps_in(root, package)
    problems = []
    for imp in imports:
        importer, imported = app_of(imp.source, apps), app_of(imp.target, apps)
        if importer is None or imported is None or importer == imported:
            continue
        if rank(imported) > rank(importer):
            where = imp.path.relative_to(root)
            problems.append(f"{where}:{imp.line}: {importer} imports {imp.target} from the higher layer {imported}")
    return problems


def cycles_within_apps(imports: Iterable[Import], root: Path, package: str) -> list[list[str]]:
    """Every elementary cycle of runtime imports between modules of the same app, each once (smallest rotation)."""
    apps = apps_in(root, package)
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.type_only or imp.source == imp.target:
            continue
        app = app_of(imp.source, apps)
        if app is None or app != app_of(imp.target, apps):
            continue
        graph.setdefault(imp.source, set()).add(imp.target)
    found: set[tuple[str, ...]] = set()

    def visit(start: str, node: str, path: list[str], on_path: set[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                found.add(tuple(path))
            elif nxt not in on_path and nxt > start:  # each cycle is found from its smallest module only
                on_path.add(nxt)
                visit(start, nxt, [*path, nxt], on_path)
                on_path.discard(nxt)

    for start in sorted(graph):
        visit(start, start, [start], {start})
    return [[*cycle, cycle[0]] for cycle in sorted(found)]


SETTING_READ = re.compile(
    r"""getattr\(\s*settings\s*,\s*["'](KARTLEGG_[A-Z0-9_]+)["']|settings\.(KARTLEGG_[A-Z0-9_]+)"""
)


def settings_read(root: Path, package: str) -> dict[str, str]:
    """KARTLEGG_* settings the code reads, each with the first place that reads it."""
    found: dict[str, str] = {}
    for path in python_files(root, package):
        if path.name == "settings.py" and path.parent == root / package:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in SETTING_READ.finditer(line):
                name = match.group(1) or match.group(2)
                found.setdefault(name, f"{path.relative_to(root)}:{number}")
    return found


def settings_defined(settings_file: Path) -> set[str]:
    """Names assigned at the top level of settings.py (inside `if` blocks too)."""
    names: set[str] = set()
    todo: list[ast.stmt] = list(ast.parse(settings_file.read_text(encoding="utf-8")).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            todo.extend(node.body)
            todo.extend(getattr(node, "orelse", []))
            todo.extend(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                todo.extend(handler.body)
    return names


def undefined_settings(root: Path, package: str, readme: Path) -> list[str]:
    defined = settings_defined(root / package / "settings.py")
    documented = readme.read_text(encoding="utf-8")
    problems = []
    for name, where in sorted(settings_read(root, package).items()):
        if name not in defined:
            problems.append(f"{where}: reads {name}, which {package}/settings.py does not define")
        if not re.search(rf"\b{name}\b", documented):
            problems.append(f"{where}: reads {name}, which {readme.name} does not name")
    return problems


def is_view_module(path: Path) -> bool:
    """views.py, views_*.py, api.py, api_*.py, and any module in a views/ or api/ package."""
    return path.stem.split("_")[0] in {"views", "api"} or bool({"views", "api"} & set(path.parent.parts[-1:]))


def _rooted_at_round_manager(node: ast.AST) -> bool:
    """True for `Round.objects` and any chain of calls and attributes that starts with it."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in {"objects", "_default_manager", "_base_manager"} and isinstance(node.value, ast.Name):
                return node.value.id == "Round"
            node = node.value
        else:
            return False


def _mentions_round(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "Round") or _rooted_at_round_manager(node)


SINGLE_ROW = {"get", "aget", "first", "afirst", "last", "alast", "earliest", "latest", "in_bulk"}
BY_KEY = {"pk", "id", "pk__exact", "id__exact"}  # a list (pk__in a subquery) is not a fetch


def direct_round_fetches(root: Path, package: str) -> list[str]:
    """Places in view and API modules that fetch a Round themselves instead of through get_round_for_user."""
    problems = []
    for path in python_files(root, package):
        if not is_view_module(path):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            found = False
            if name in {"get_object_or_404", "aget_object_or_404", "get_list_or_404"}:
                found = bool(node.args) and _mentions_round(node.args[0])
            elif isinstance(func, ast.Attribute) and _rooted_at_round_manager(func.value):
                found = name in SINGLE_ROW or any(k.arg in BY_KEY for k in node.keywords)
            if found:
                problems.append(
                    f"{path.relative_to(root)}:{node.lineno}: fetches a Round directly; "
                    "use responses.services.get_round_for_user(user, round_id, access)"
                )
    return sorted(set(problems))


def unit_lists_outside_accounts(root: Path, package: str) -> list[str]:
    """Calls of `.unit_codes()` outside the accounts app: a list of units' data filters with unit_filter."""
    problems = []
    for path in python_files(root, package):
        if path.relative_to(root / package).parts[0] == "accounts":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "unit_codes":
                problems.append(
                    f"{path.relative_to(root)}:{node.lineno}: asks the user for its units; "
                    "filter with accounts.permissions.unit_filter(user, access)"
                )
    return problems


NOT_PURE = {"__init__", "admin", "apps", "models", "tasks", "urls"}


def pure_modules(root: Path, package: str, app: str) -> list[Path]:
    """The app's modules that hold no database code: those directly in the app but the Django plumbing, views and
    API modules (subpackages such as services/ and management/ are the database side)."""
    return [
        path
        for path in sorted((root / package / app).glob("*.py"))
        if path.stem not in NOT_PURE and not is_view_module(path)
    ]


def impure_imports(imports: Iterable[Import], root: Path, package: str, app: str) -> list[str]:
    """Imports of the app's services, or of django.db, from its pure modules (lazy ones too)."""
    pure = {module_name(root, path) for path in pure_modules(root, package, app)}
    services = f"{package}.{app}.services"
    problems = [
        f"{imp.path.relative_to(root)}:{imp.line}: the pure module {imp.source} imports {imp.target}"
        for imp in imports
        if imp.source in pure and (imp.target == services or imp.target.startswith(services + "."))
    ]
    for path in pure_modules(root, package, app):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            problems.extend(
                f"{path.relative_to(root)}:{node.lineno}: the pure module {module_name(root, path)} imports {name}"
                for name in names
                if name == "django.db" or name.startswith("django.db.")
            )
    return sorted(problems)


@pytest.fixture(scope="module")
def project_imports() -> list[Import]:
    return collect(ROOT, PACKAGE)


def test_no_app_imports_from_a_higher_layer(project_imports: list[Import]) -> None:
    assert len(project_imports) > 200, "too few imports found: the checker is not reading the code"
    assert {"accounts", "responses", "analytics", "demo"} <= apps_in(ROOT, PACKAGE)
    assert upward_imports(project_imports, ROOT, PACKAGE) == []


def test_no_import_cycle_inside_an_app(project_imports: list[Import]) -> None:
    assert cycles_within_apps(project_imports, ROOT, PACKAGE) == []


def test_every_setting_read_is_defined_and_documented() -> None:
    assert len(settings_read(ROOT, PACKAGE)) >= 5, "too few settings found: the checker is not reading the code"
    assert undefined_settings(ROOT, PACKAGE, ROOT / "README.md") == []


def test_views_and_api_reach_rounds_only_through_the_gate() -> None:
    assert sum(is_view_module(p) for p in python_files(ROOT, PACKAGE)) >= 10, "too few view modules found"
    assert direct_round_fetches(ROOT, PACKAGE) == []


def test_lists_of_units_data_filter_with_unit_filter() -> None:
    assert unit_lists_outside_accounts(ROOT, PACKAGE) == []


def test_pure_analytics_modules_never_reach_the_database(project_imports: list[Import]) -> None:
    names = {path.stem for path in pure_modules(ROOT, PACKAGE, "analytics")}
    assert {"measures", "levels", "catalogue", "compute", "charts", "params"} <= names
    assert not names & {"views", "api", "models", "tasks"}
    assert impure_imports(project_imports, ROOT, PACKAGE, "analytics") == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_checker_finds_an_upward_import_and_ignores_downward_ones(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "kartlegg/__init__.py": "",
            "kartlegg/geography/__init__.py": "",
            "kartlegg/geography/logic.py": "from kartlegg.accounts import models\n",
            "kartlegg/accounts/__init__.py": "",
            "kartlegg/accounts/models.py": "\n\ndef f():\n    from kartlegg.geography.logic import x\n",
            "kartlegg/analytics/__init__.py": "",
            "kartlegg/analytics/views.py": "from kartlegg.demo import users\nfrom kartlegg.newapp import thing\n",
            "kartlegg/newapp/__init__.py": "from kartlegg.demo.users import X\nfrom kartlegg.analytics import views\n",
            "kartlegg/demo/__init__.py": "",
            "kartlegg/demo/users.py": "from kartlegg.analytics import views\n",
        },
    )
    problems = upward_imports(collect(root, "kartlegg"), root, "kartlegg")
    assert problems == [
        "kartlegg/accounts/models.py:4: accounts imports kartlegg.geography.logic from the higher layer geography",
        "kartlegg/analytics/views.py:1: analytics imports kartlegg.demo.users from the higher layer demo",
        "kartlegg/analytics/views.py:2: analytics imports kartlegg.newapp from the higher layer newapp",
        "kartlegg/newapp/__init__.py:1: newapp imports kartlegg.demo.users from the higher layer demo",
    ]


def test_checker_finds_cycles_through_lazy_imports_but_not_type_checking_ones(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "kartlegg/__init__.py": "",
            "kartlegg/surveys/__init__.py": "",
            "kartlegg/surveys/models.py": "def definition():\n    from kartlegg.surveys.services import build\n",
            "kartlegg/surveys/services.py": "from kartlegg.surveys.models import Version\n",
            "kartlegg/surveys/engine.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kartlegg.surveys.pdf import x\n"
            ),
            "kartlegg/surveys/pdf.py": "from . import engine\n",
            "kartlegg/quality/__init__.py": "",
            "kartlegg/quality/services/__init__.py": "from .flags import run\nfrom .queries import send\n",
            "kartlegg/quality/services/flags.py": "from ..models import Flag\n",
            "kartlegg/quality/services/queries.py": "from .flags import run\n",
            "kartlegg/quality/models.py": "class Flag: ...\n",
            "kartlegg/quality/loader.py": "def f():\n    from .services import versions\n",
            "kartlegg/quality/services/versions.py": "from .. import loader\n",
        },
    )
    assert cycles_within_apps(collect(root, "kartlegg"), root, "kartlegg") == [
        ["kartlegg.quality.loader", "kartlegg.quality.services.versions", "kartlegg.quality.loader"],
        ["kartlegg.surveys.models", "kartlegg.surveys.services", "kartlegg.surveys.models"],
    ]


def test_checker_finds_settings_missing_from_settings_py_or_the_readme(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "kartlegg/__init__.py": "",
            "kartlegg/settings.py": (
                "import os\nKARTLEGG_A = 1\nif os.environ.get('X'):\n    KARTLEGG_B: int = 2\n"
                "def helper():\n    KARTLEGG_HIDDEN = 3\n"
            ),
            "kartlegg/app/signals.py": (
                "from django.conf import settings\n"
                "a = settings.KARTLEGG_A\n"
                'b = getattr(settings, "KARTLEGG_B", 0)\n'
                "c = getattr(settings, 'KARTLEGG_C', True)\n"
                "d = settings.KARTLEGG_HIDDEN\n"
            ),
            "README.md": "| `KARTLEGG_A` | ... |\n| `KARTLEGG_C` | ... |\n",
        },
    )
    assert undefined_settings(root, "kartlegg", root / "README.md") == [
        "kartlegg/app/signals.py:3: reads KARTLEGG_B, which README.md does not name",
        "kartlegg/app/signals.py:4: reads KARTLEGG_C, which kartlegg/settings.py does not define",
        "kartlegg/app/signals.py:5: reads KARTLEGG_HIDDEN, which kartlegg/settings.py does not define",
        "kartlegg/app/signals.py:5: reads KARTLEGG_HIDDEN, which README.md does not name",
    ]


def test_checker_finds_direct_round_fetches_in_views_only(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "kartlegg/__init__.py": "",
            "kartlegg/app/views.py": (
                "a = get_object_or_404(Round, pk=1)\n"
                "b = get_object_or_404(Round.objects.select_related('version'), pk=1)\n"
                "c = Round.objects.get(pk=1)\n"
                "d = Round.objects.select_related('version').filter(pk=1).first()\n"
                "e = Round.objects.filter(id=2).exists()\n"
                "f = Round.objects.order_by('-year')\n"
                "g = get_object_or_404(Flag, pk=1)\n"
                "h = responses.get_round_for_user(user, 1, Access.VIEW)\n"
            ),
            "kartlegg/app/api_rounds.py": "x = Round._default_manager.filter(pk=1).last()\n",
            "kartlegg/app/views/pages.py": "y = Round.objects.filter(pk=1).count()\n",
            "kartlegg/app/views/lists.py": "v = Round.objects.filter(pk__in=ids).order_by('year')\n",
            "kartlegg/app/services.py": "z = Round.objects.get(pk=1)\n",
            "kartlegg/app/reviews.py": "w = Round.objects.get(pk=1)\n",
        },
    )
    lines = [p.split(": ")[0] for p in direct_round_fetches(root, "kartlegg")]
    assert lines == [
        "kartlegg/app/api_rounds.py:1",
        "kartlegg/app/views.py:1",
        "kartlegg/app/views.py:2",
        "kartlegg/app/views.py:3",
        "kartlegg/app/views.py:4",
        "kartlegg/app/views.py:5",
        "kartlegg/app/views/pages.py:1",
    ]


def test_checker_finds_unit_codes_outside_accounts(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "kartlegg/__init__.py": "",
            "kartlegg/accounts/permissions.py": "ok = user.unit_codes()\n",
            "kartlegg/portal/services.py": "\nrows = Response.objects.filter(unit__code__in=user.unit_codes())\n",
        },
    )
    assert [p.split(": ")[0] for p in unit_lists_outside_accounts(root, "kartlegg")] == [
        "kartlegg/portal/services.py:2"
    ]


def test_checker_finds_pure_modules_that_import_the_database_side(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "kartlegg/__init__.py": "",
            "kartlegg/analytics/__init__.py": "",
            "kartlegg/analytics/params.py": "from kartlegg.analytics.services.read import Request\n",
            "kartlegg/analytics/charts.py": "def f():\n    from .services import read\n",
            "kartlegg/analytics/cube.py": "from django.db.models import Q\nfrom kartlegg.analytics import measures\n",
            "kartlegg/analytics/measures.py": "import django.db\nfrom kartlegg.analytics.models import AS_REPORTED\n",
            "kartlegg/analytics/models.py": "from django.db import models\n",
            "kartlegg/analytics/views.py": "from kartlegg.analytics import services\n",
            "kartlegg/analytics/api_params.py": "from kartlegg.analytics.services import read\n",
            "kartlegg/analytics/services/__init__.py": "from .read import Request\n",
            "kartlegg/analytics/services/read.py": "from django.db import models\n",
        },
    )
    problems = impure_imports(collect(root, "kartlegg"), root, "kartlegg", "analytics")
    assert [p.split(": ")[0] for p in problems] == [
        "kartlegg/analytics/charts.py:2",
        "kartlegg/analytics/cube.py:1",
        "kartlegg/analytics/measures.py:1",
        "kartlegg/analytics/params.py:1",
    ]
