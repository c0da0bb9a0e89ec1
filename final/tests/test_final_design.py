"""The final app's design: no blueprint imports another.

A blueprint is one group of pages (boards, api, fourchan...). When two of them
need the same thing (serving an uploaded file, rendering a live post, the JSON
answer of an error), it lives in a module of its own that both import: no
blueprint module imports another blueprint module, or calls one of its views.
And no such shared module imports a blueprint either (which would be the same
reach, one step removed): only create_app() does, to register them.
"""

import ast
import importlib
import importlib.util
from pathlib import Path

import chatsite
from chatsite import create_app


def imported_modules(module_name):
    """The names of the modules `module_name`'s source imports, anywhere in it (in a
    function too). `from chatsite import uploads` imports "chatsite" and, maybe,
    "chatsite.uploads": both are listed, like those of `from chatsite.uploads import x`."""
    module = importlib.import_module(module_name)
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            # `from . import x` (level 1) is relative to the module's package.
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), module.__package__)
            imported.add(base)
            imported |= {f"{base}.{alias.name}" for alias in node.names}
    return imported


def blueprint_modules(upload_folder):
    """The modules that make the app's blueprints: "chatsite.boards", "chatsite.api"..."""
    settings = {"SECRET_KEY": "t", "DATABASE_URL": "sqlite://", "UPLOAD_FOLDER": str(upload_folder)}
    # Each blueprint's import_name is the module that made it.
    modules = {blueprint.import_name for blueprint in create_app(settings).blueprints.values()}
    assert {"chatsite.boards", "chatsite.api", "chatsite.fourchan", "chatsite.errors"} <= modules
    return modules


def test_no_blueprint_module_imports_another(upload_folder):
    modules = blueprint_modules(upload_folder)
    found = {module: sorted(imported_modules(module) & modules - {module}) for module in modules}
    assert found == {module: [] for module in modules}


def test_only_create_app_imports_the_blueprints(upload_folder):
    blueprints = blueprint_modules(upload_folder)
    package = Path(chatsite.__file__).parent
    others = {f"chatsite.{path.stem}" for path in package.glob("*.py")} - blueprints - {"chatsite.__init__"}
    found = {module: sorted(imported_modules(module) & blueprints) for module in others}
    assert found == {module: [] for module in others}


def test_imported_modules_finds_every_way_of_importing():
    """The test above would see an import written in any of these ways."""
    imported = imported_modules("chatsite.api")  # from chatsite.live_messages import live_html
    assert {"chatsite.live_messages", "chatsite.params", "flask"} <= imported
    imported = imported_modules("chatsite.boards")  # from chatsite import flood
    assert "chatsite.flood" in imported
