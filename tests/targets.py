"""Find and load the apps the staged suite runs against.

A *target* is one runnable app: a step folder (``steps/03_threads``), the final
app (``final/``), or any student's ``app.py`` (instructor mode). Tests, the
screenshot script and the instructor report all load apps through here, so a
step is always started the same way.

Steps 01-08 are one file, ``app.py``, with a module-level ``app``. From step 09
on, a step is a package, ``chatsite/``, whose ``create_app()`` builds each app.
"""

import functools
import hashlib
import importlib.util
import itertools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2
from werkzeug.routing import Rule

ROOT = Path(__file__).resolve().parent.parent
STEPS_DIR = ROOT / "steps"
FINAL_DIR = ROOT / "final"

# The final app counts as "after every step" when a test asks since("NN").
FINAL_NUMBER = 99

_module_numbers = itertools.count(1)


@dataclass(frozen=True)
class Target:
    name: str  # shown in test ids, e.g. "03_threads" or "final"
    number: int  # 3 for 03_threads, FINAL_NUMBER for final
    path: Path  # the app.py file, a step's chatsite/ package folder, or the final/ folder

    @property
    def is_final(self):
        return self.number == FINAL_NUMBER

    @property
    def is_package(self):
        """True for a package step (09 on): path is its chatsite/ folder."""
        return not self.is_final and (self.path / "__init__.py").is_file()

    @property
    def is_migrated(self):
        """True for a package step whose schema its migrations build (19 on, as final/)."""
        return self.is_package and (self.path / "migrations").is_dir()


def step_targets():
    """Every step folder that holds an app.py or a chatsite/ package, in order."""
    targets = []
    for folder in sorted(STEPS_DIR.iterdir()):
        if (folder / "app.py").is_file():
            targets.append(Target(folder.name, int(folder.name[:2]), folder / "app.py"))
        elif (folder / "chatsite" / "__init__.py").is_file():
            targets.append(Target(folder.name, int(folder.name[:2]), folder / "chatsite"))
    return targets


def final_target():
    """The final app, or None while final/ does not exist yet."""
    package = FINAL_DIR / "chatsite" / "__init__.py"
    if package.is_file() and "def create_app" in package.read_text(encoding="utf-8"):
        return Target("final", FINAL_NUMBER, FINAL_DIR)
    return None


def student_target(app, step):
    """Any app, graded as if it were step ``step`` (instructor mode).

    ``app`` is a single-file app (``path/to/app.py``, steps 01-08) or a package
    folder with a ``create_app()`` (``path/to/chatsite``, or its ``__init__.py``;
    steps 09 on). The name in test ids is the folder the app sits in, e.g. ``alex@04``.
    """
    path = Path(app).resolve()
    if path.name == "__init__.py":
        path = path.parent
    return Target(f"{path.parent.name}@{int(step):02d}", int(step), path)


def selected_targets():
    """The targets this run uses: CHATSITE_APP/CHATSITE_STEP, or all of them.

    The last step's package is the final app's package, file for file (a test
    says so): the staged suite runs on final/ once rather than twice on the same code.
    """
    app_file = os.environ.get("CHATSITE_APP")
    if app_file:
        return [student_target(app_file, os.environ.get("CHATSITE_STEP", "99"))]
    targets = step_targets()
    final = final_target()
    if not final:
        return targets
    if targets and is_the_final_app(targets[-1]):
        targets = targets[:-1]
    return targets + [final]


def package_files(folder):
    """{path inside the package: bytes} of a package folder, caches left out."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@functools.cache
def is_the_final_app(target):
    """True when ``target`` is a package step whose files are final/chatsite's files."""
    final_package = FINAL_DIR / "chatsite"
    return target.is_package and package_files(target.path) == package_files(final_package)


def load_app(target, upload_folder):
    """Build a brand-new app for ``target`` whose uploads go to ``upload_folder``.

    Each call gives fresh, empty data: a single-file step is executed again
    under a new name, and a package step or the final app gets a new create_app().
    """
    if target.is_final:
        from chatsite import create_app

        return with_shared_templates(_load_migrated(create_app, upload_folder))
    if target.is_migrated:
        create_app = _load_package(target.path).create_app
        return with_shared_templates(_load_migrated(create_app, upload_folder))
    if target.is_package:
        package = _load_package(target.path)
        # The folder of the database file must exist (SQLite makes the file, not its folder).
        upload_folder.parent.mkdir(parents=True, exist_ok=True)
        app = package.create_app(
            {
                "UPLOAD_FOLDER": str(upload_folder),
                # A path for a step that keeps its data in a file (step 10's SQLite
                # database); a step that keeps everything in memory ignores it.
                "DATABASE": str(upload_folder.parent / "chatsite.sqlite3"),
                **FLOOD_LIMITS_OFF,
                **CHEAP_PASSWORD_HASHES,
            }
        )
        return with_shared_templates(app)
    app = _load_module(target.path).app
    app.config["UPLOAD_FOLDER"] = str(upload_folder)
    return with_shared_templates(app)


class SharedTemplateCache(jinja2.BytecodeCache):
    """Compiled templates, kept in memory for every app of this test process.

    Each test gets a new app, and each new app a new Jinja environment, which
    would compile every template it renders from scratch: about half the time
    of a test that loads two pages. Jinja keeps a compiled template with the
    checksum of its source and compiles again when the source differs, so apps
    of different steps never get each other's templates.
    """

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


SHARED_TEMPLATE_CACHE = SharedTemplateCache()


def with_shared_templates(app):
    """``app``, its templates compiled once per test process (SharedTemplateCache)."""
    app.jinja_env.bytecode_cache = SHARED_TEMPLATE_CACHE
    return app


class SharedUrlBuilders:
    """url_for's builder functions, compiled once per test process.

    Werkzeug turns every URL rule of a new app into a small Python function that
    builds its URLs (``Rule._compile_builder``: it makes a syntax tree and
    compiles it), about 60 microseconds a rule; 80 rules make it a fifth of the
    time it takes to create the final app, and each test creates one. The function
    only reads the rule itself (its parts, defaults and converters come through its
    ``self`` argument), so the same rule text, parts and defaults always compile to
    the same code: this keeps the compiled function and hands it to every rule alike.
    """

    def __init__(self):
        self.compiled = {}
        self.compile_builder = Rule._compile_builder

    def install(self):
        shared = self

        def _compile_builder(rule, append_unknown=True):
            defaults = sorted((name, repr(value)) for name, value in (rule.defaults or {}).items())
            converters = [(name, type(conv).__name__) for name, conv in rule._converters.items()]
            key = (rule.rule, repr(rule._trace), repr(defaults), repr(converters), append_unknown)
            if key not in shared.compiled:
                shared.compiled[key] = shared.compile_builder(rule, append_unknown)
            return shared.compiled[key]

        Rule._compile_builder = _compile_builder


SharedUrlBuilders().install()


# Flood control (step 14 on) is off in the staged suite: its tests post many
# times a second from one address. The tests of the limits turn them on again
# (reload_app(app, REPLY_INTERVAL=10)). 0 means "no limit"; older steps ignore these.
FLOOD_LIMITS_OFF = {
    "THREAD_INTERVAL": 0, "REPLY_INTERVAL": 0, "REPORT_INTERVAL": 0, "LOGIN_ATTEMPTS_PER_MINUTE": 0
}

# Staff accounts (step 11 on) hash their passwords with scrypt, a tenth of a
# second each, on purpose; a test makes and logs in accounts by the dozen, and
# its passwords guard nothing. One round of PBKDF2 takes a microsecond.
CHEAP_PASSWORD_HASHES = {"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"}

# The settings that say where an app keeps its data (and the final app's secret key).
_DATA_SETTINGS = ("UPLOAD_FOLDER", "DATABASE", "DATABASE_URL", "SECRET_KEY")


def reload_app(app, **settings):
    """A new app of the same package step (or final) on the same data: a restart.

    It is made by the same create_app(), with the same upload folder and database,
    with flood control off as in load_app(), and with ``settings`` on top
    (e.g. DATABASE_TIMEOUT=0.2, or REPLY_INTERVAL=10 to turn a limit on). A step that keeps its
    data in memory starts empty again, as it would after a real restart.
    """
    create_app = importlib.import_module(app.import_name).create_app
    same_data = {name: app.config[name] for name in _DATA_SETTINGS if name in app.config}
    app = create_app({**same_data, **FLOOD_LIMITS_OFF, **CHEAP_PASSWORD_HASHES, **settings})
    return with_shared_templates(app)


def _load_module(app_file):
    """Execute app.py as a new module, the way `flask --app path/to/app.py` does.

    Like flask, put the app's folder first on sys.path so that it can import its
    own helper modules (step 06 adds images.py). Those are forgotten afterwards,
    so that the next step imports its own copy.
    """
    folder = str(Path(app_file).parent)
    name = f"chatsite_target_{next(_module_numbers)}"
    spec = importlib.util.spec_from_file_location(name, app_file)
    module = importlib.util.module_from_spec(spec)
    before = set(sys.modules)
    # Flask finds templates/ and static/ through sys.modules[__name__].
    sys.modules[name] = module
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
        for added in set(sys.modules) - before:
            if (getattr(sys.modules[added], "__file__", None) or "").startswith(folder):
                del sys.modules[added]
        sys.modules.pop(name, None)
    return module


@functools.cache
def _load_package(package_folder):
    """Import a step's chatsite/ package once, under a name of its own.

    Every package step and final/ call their package ``chatsite``, so each step's
    is imported as ``chatsite_step_09_package`` (and so on) instead: the names never
    clash, and the package's relative imports (``from .store import get_store``)
    find its own modules. It stays in sys.modules, where Flask and the package's
    own imports look for it; create_app() gives each app fresh data anyway.
    """
    name = f"chatsite_step_{package_folder.parent.name}"
    if package_folder.parent.parent != STEPS_DIR:
        # A student's package (instructor mode): named after its whole path, so two
        # students' folders of the same name never share a module.
        digest = hashlib.sha256(str(package_folder).encode()).hexdigest()[:10]
        name = f"chatsite_student_{digest}"
    spec = importlib.util.spec_from_file_location(
        name, package_folder / "__init__.py", submodule_search_locations=[str(package_folder)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        # Forget the half-imported package, so that the next try starts afresh.
        for loaded in [key for key in sys.modules if key == name or key.startswith(name + ".")]:
            del sys.modules[loaded]
        raise
    return module


def _load_migrated(create_app, upload_folder):
    """An app of the final app's package (`pip install -e .`) or of a step with
    migrations (19 on), on a fresh SQLite file that its own migrations built."""
    from databases import fresh_sqlite_url

    settings = {
        "UPLOAD_FOLDER": str(upload_folder),
        "SECRET_KEY": "staged-tests",
        "DATABASE_URL": fresh_sqlite_url(upload_folder.parent, create_app),
        **FLOOD_LIMITS_OFF,
        **CHEAP_PASSWORD_HASHES,
    }
    return create_app(settings)
