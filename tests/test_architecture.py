"""The import graph of the apps, read from the source: imports run one way.

Layers, bottom to top: ``moderation_site`` (settings and infrastructure: cache,
roles, logs) → ``audit`` → ``jobs`` → ``messaging`` → ``moderation`` →
``detection`` (watched-word rules) → ``exports`` (CSV exports) → ``admin_ext``
(the admin) and ``fixtures`` (demo data). An app adds what it brings to shared
machinery (job kinds, dashboard figures) by registering it from its
``AppConfig.ready``, so nothing below has to import it.

What counts as an import: every ``import`` and ``from ... import`` of an app's
module (tests and migrations left out), at any depth, since an import inside a
function still runs and still ties the two apps together. Imports under
``if TYPE_CHECKING:`` are left out: they never run, and a type annotation may
name a class of an app above without making a cycle at run time. Dotted strings
(``INSTALLED_APPS``, ``include("messaging.urls")``, ``DASHBOARD_CALLBACK``) are
not imports either: that is how the project's wiring names the apps.

``moderation_site`` is two things: infrastructure at the bottom, imported by
every app, and the project's wiring (``WIRING_MODULES``: settings, urls, the
ASGI and WSGI entry points) at the top, which may import any app, the admin
included. The wiring is its own node of the graph, so an app importing it (say
``moderation_site.urls``) would still show as a cycle.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "moderation_site"
WIRING = "moderation_site (wiring)"
WIRING_MODULES = frozenset(f"{PROJECT}.{name}" for name in ("settings", "urls", "asgi", "wsgi"))
ADMIN = "admin_ext"
# What the generic jobs runner may import: the layers below it.
JOBS_MAY_IMPORT = frozenset({"jobs", "audit", PROJECT})
# Bottom to top; an app imports only its own layer's apps and those below. A new
# app takes its place here (the last test says so when one is missing).
LAYERS = (
    {PROJECT},
    {"audit"},
    {"jobs"},
    {"messaging"},
    {"moderation"},
    {"detection"},
    {"exports"},
    {ADMIN, "fixtures"},
    {WIRING},
)


@dataclass(frozen=True)
class Import:
    source: str  # the importing app's node
    target: str  # the imported app's node
    path: str  # the importing file, from the project root
    line: int
    statement: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.statement}"


def project_apps() -> list[str]:
    """The project's own apps: the INSTALLED_APPS whose package is in this checkout."""
    packages = {entry.split(".")[0] for entry in settings.INSTALLED_APPS}
    return sorted(
        {PROJECT} | {package for package in packages if (ROOT / package / "__init__.py").exists()}
    )


def node_of(module: str) -> str:
    if module in WIRING_MODULES or any(module.startswith(f"{m}.") for m in WIRING_MODULES):
        return WIRING
    return module.split(".")[0]


def imported_modules(tree: ast.AST, *, package: str) -> list[tuple[int, str, str]]:
    """``(line, module, statement)`` for each import that runs: at any depth,
    except under ``if TYPE_CHECKING:``. A relative import names ``package``."""
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the else branch does run
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, ast.unparse(node)) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = package if node.level else node.module or ""
            found.append((node.lineno, module, ast.unparse(node)))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def app_imports() -> list[Import]:
    """Every import from one of the project's apps of another (or the same) app."""
    apps = project_apps()
    imports = []
    for app in apps:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts):
                continue
            module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            source = node_of(module)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
            for line, imported, statement in imported_modules(tree, package=app):
                if imported.split(".")[0] in apps:
                    imports.append(
                        Import(source, node_of(imported), str(relative), line, statement)
                    )
    return imports


def find_cycle(edges: dict[str, dict[str, Import]]) -> list[str] | None:
    """A cycle of the graph as the list of its nodes (the first repeated last), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, then "done"
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(edges.get(node, {})):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return app_imports()


def test_the_graph_reads_every_app_and_finds_their_imports(imports):
    # Guards the test itself: a walk that found no file would pass everything.
    sources = {edge.source for edge in imports}
    assert {"messaging", "moderation", "admin_ext", "jobs"} <= sources
    assert any(edge.target == "audit" for edge in imports)


def test_imports_inside_functions_count_and_type_checking_imports_do_not():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from admin_ext.site import site\n"
        "def ready():\n"
        "    from messaging import signals\n"
        "from . import sibling\n"
    )

    modules = [module for _line, module, _statement in imported_modules(tree, package="jobs")]

    assert modules == ["typing", "messaging", "jobs"]


def test_no_domain_app_imports_the_admin(imports):
    offending = [
        str(edge) for edge in imports if edge.target == ADMIN and edge.source not in {ADMIN, WIRING}
    ]
    assert not offending, (
        "Only the admin itself and the project's wiring "
        f"({', '.join(sorted(WIRING_MODULES))}) may import admin_ext; an app adds "
        "to shared machinery by registering from its AppConfig.ready instead:\n"
        + "\n".join(offending)
    )


def test_the_app_import_graph_has_no_cycle(imports):
    edges: dict[str, dict[str, Import]] = defaultdict(dict)
    for edge in imports:
        if edge.source != edge.target:
            edges[edge.source].setdefault(edge.target, edge)

    cycle = find_cycle(edges)

    assert cycle is None, "Apps import each other in a circle: {}\n{}".format(
        " → ".join(cycle),
        "\n".join(
            f"  {source} → {target}: {edges[source][target]}"
            for source, target in itertools.pairwise(cycle)
        ),
    )


def test_the_jobs_runner_imports_no_app_above_it(imports):
    offending = [
        str(edge)
        for edge in imports
        if edge.source == "jobs" and edge.target not in JOBS_MAY_IMPORT
    ]
    assert not offending, (
        "jobs is a generic runner: an app registers its job kinds with "
        "jobs.handlers.register_handler from its AppConfig.ready instead of being "
        "imported by it:\n" + "\n".join(offending)
    )


def test_every_app_imports_only_its_layer_and_those_below(imports):
    layer_of = {app: depth for depth, apps in enumerate(LAYERS) for app in apps}
    unplaced = sorted(set(project_apps()) - set(layer_of))
    assert not unplaced, f"Place these apps in LAYERS: {', '.join(unplaced)}"
    upward = [
        f"{edge} ({edge.source} imports {edge.target}, a layer above it)"
        for edge in imports
        if layer_of[edge.target] > layer_of[edge.source]
    ]
    assert not upward, "Imports run bottom to top only:\n" + "\n".join(upward)


# --- between files ------------------------------------------------------------------


def module_name(relative: Path) -> str:
    return ".".join(relative.with_suffix("").parts).removesuffix(".__init__")


def project_modules() -> dict[str, Path]:
    """Every module of the project's apps (tests and migrations left out), by name."""
    modules = {}
    for app in project_apps():
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if not {"tests", "migrations"} & set(relative.parts):
                modules[module_name(relative)] = relative
    return modules


def imported_files(tree: ast.AST, *, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The project modules an import of ``module`` runs: ``from a.b import c``
    names the module ``a.b.c`` when there is one, ``a.b`` otherwise; a relative
    import counts from ``module``'s package. Not the packages above the one named:
    Python runs their ``__init__`` first, but a file importing a sibling through
    its full path does not depend on what the package re-exports."""
    targets = set()
    base = module.split(".") if is_package else module.split(".")[:-1]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parent = base[: len(base) - node.level + 1] if node.level else []
            named = ".".join([*parent, *filter(None, [node.module])])
            for alias in node.names:
                targets.add(f"{named}.{alias.name}" if f"{named}.{alias.name}" in known else named)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {target for target in targets if target in known and target != module}


def module_edges() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {
        name: imported_files(
            ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=str(path)),
            module=name,
            is_package=path.name == "__init__.py",
            known=known,
        )
        for name, path in modules.items()
    }


def test_the_file_graph_resolves_submodules_and_relative_imports():
    tree = ast.parse(
        "from messaging import services\n"
        "from messaging.services import delete_account\n"
        "from .models import Job\n"
        "from . import handlers\n"
        "def run():\n"
        "    from jobs.tasks import run_job\n"
    )
    known = {"messaging.services", "messaging", "jobs.models", "jobs.handlers", "jobs.tasks"}

    found = imported_files(tree, module="jobs.services", is_package=False, known=known)

    assert found == {"messaging.services", "jobs.models", "jobs.handlers", "jobs.tasks"}


def test_no_two_files_import_each_other_even_inside_a_function():
    # A function-local import that dodges a circle at load time still ties the
    # two files together: each needs the other to work.
    edges = module_edges()
    assert len(edges) > 50 and sum(map(len, edges.values())) > 100  # it read the code

    cycle = find_cycle({source: dict.fromkeys(targets) for source, targets in edges.items()})

    assert cycle is None, "Files import each other in a circle: " + " → ".join(cycle)
