"""Throwaway PostgreSQL servers for the tests.

The final app runs on SQLite by default and on PostgreSQL when
``CHATSITE_DATABASE_URL=postgresql+psycopg://...`` is set. To test the second
case honestly, the suite starts its own PostgreSQL server: a private cluster in
a temporary folder, listening only on 127.0.0.1, thrown away at the end. No
shared server, no passwords, nothing left behind.

Use it from a conftest.py::

    from pgserver import postgres_server, postgres_url  # noqa: F401

(A module whose own functions take these fixtures as arguments would get
ruff's F811 with that import: there, assign them instead, e.g.
``postgres_url = pgserver.postgres_url``.)

- ``postgres_server`` (session scope): a started ``PostgresServer``;
- ``postgres_url`` (function scope): the URL of a fresh, empty database,
  dropped after the test.

Without PostgreSQL server binaries (``apt-get install postgresql``) these
fixtures skip the test, unless ``CHATSITE_REQUIRE_POSTGRES=1`` is set (CI sets
it): then they fail, with the reason and the end of the server's log.
"""

import atexit
import importlib.util
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

REQUIRE_POSTGRES = os.environ.get("CHATSITE_REQUIRE_POSTGRES") == "1"

# The superuser initdb creates; with "trust" authentication it needs no password.
SUPERUSER = "chatsite"
# PostgreSQL refuses to run as root, so root runs it as Debian's "postgres" user.
SYSTEM_USER = "postgres"
SBIN = ("/usr/sbin", "/sbin")
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")

# Every subprocess gets a timeout (seconds), so a stuck server fails the run
# instead of hanging it.
INITDB_TIMEOUT = 60
START_TIMEOUT = 30
STOP_TIMEOUT = 10
CONNECT_TIMEOUT = 10

SHM = "/dev/shm"  # a memory file system, see _temp_root
SHM_NEEDED = 512 * 1024 * 1024

# Speed over durability: the data is thrown away anyway. max_connections leaves
# headroom for the concurrency tests; shared_buffers stays small so many
# servers (one per test process) fit in a small machine or container.
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",  # nothing replicates from a test server...
    "max_wal_senders": "0",  # ...which wal_level=minimal requires
    "max_connections": "300",
    "shared_buffers": "16MB",
    "listen_addresses": "'127.0.0.1'",
}


class PostgresUnavailable(Exception):
    """No server could be found or started; the message says why."""


def find_bindir():
    """The folder holding initdb, pg_ctl and postgres, or None.

    Debian keeps the server programs out of PATH, in /usr/lib/postgresql/NN/bin,
    so PATH is the last place to look: first ``pg_config --bindir`` (Debian's
    wrapper picks the newest installed server), then the newest
    /usr/lib/postgresql/*/bin, then ``initdb`` on PATH.
    """
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            result = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            result = None
        if result is not None and result.returncode == 0 and _is_bindir(Path(result.stdout.strip())):
            return Path(result.stdout.strip())

    def version(folder):  # /usr/lib/postgresql/15/bin -> (15,); sorts 9.6 before 15
        return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name))

    debian = sorted((f for f in Path("/usr/lib/postgresql").glob("*/bin") if _is_bindir(f)), key=version)
    if debian:
        return debian[-1]

    initdb = shutil.which("initdb")
    if initdb:
        # /usr/local/bin/initdb may be a lone symlink: its target's folder has the rest.
        for folder in (Path(initdb).parent, Path(initdb).resolve().parent):
            if _is_bindir(folder):
                return folder
    return None


def _is_bindir(folder):
    return all(os.access(folder / program, os.X_OK) for program in SERVER_PROGRAMS)


def _free_port():
    """A TCP port nobody listens on right now (the server retries if it is taken meanwhile)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _temp_root():
    """Where the cluster goes: /dev/shm (memory) when it has room, else the usual temp folder.

    fsync=off is not enough on a disk: ext4 still flushes files PostgreSQL
    truncates and replaces, so CREATE DATABASE took ~200 ms on /tmp and ~20 ms
    in memory. A cluster needs ~50 MB; Docker's default /dev/shm is only 64 MB.
    """
    try:
        if os.access(SHM, os.W_OK) and shutil.disk_usage(SHM).free >= SHM_NEEDED:
            return SHM
    except OSError:
        pass
    return None  # tempfile's default: $TMPDIR or /tmp


def _tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class PostgresServer:
    """One private PostgreSQL cluster in a temporary folder.

    ``start()`` runs initdb and starts the server; ``stop()`` stops it and deletes
    the folder. Also a context manager: ``with PostgresServer() as server: ...``.
    """

    def __init__(self, bindir=None):
        self.bindir = Path(bindir) if bindir else find_bindir()
        self.folder = None  # temporary folder: data/, the unix socket, server.log
        self.port = None
        self._names = itertools.count(1)
        # As root, the programs run as the "postgres" user: they refuse to run as root.
        self._as_user = None
        self._runuser = None
        if os.geteuid() == 0:
            try:
                self._as_user = pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                self._as_user = False  # start() explains
            # runuser lives in /usr/sbin, which a trimmed PATH may leave out.
            search_path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
            self._runuser = shutil.which("runuser", path=search_path)

    @property
    def running(self):
        return self.port is not None

    @property
    def data(self):
        return self.folder / "data"

    @property
    def log(self):
        return self.folder / "server.log"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def url(self, dbname="postgres"):
        """SQLAlchemy URL of a database on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def start(self):
        """initdb a new cluster and start the server; PostgresUnavailable if impossible."""
        if self.bindir is None:
            raise PostgresUnavailable("PostgreSQL server binaries not found: apt-get install postgresql")
        if self._as_user is False:
            raise PostgresUnavailable(f"running as root and there is no {SYSTEM_USER!r} user to run it as")
        if self._as_user and not self._runuser:
            raise PostgresUnavailable("running as root and runuser (util-linux) is not installed")
        if importlib.util.find_spec("psycopg") is None:
            raise PostgresUnavailable("psycopg not installed: pip install 'psycopg[binary]'")
        # From here on, something may need cleaning up, even if the process is interrupted.
        atexit.register(self.stop)
        _running.add(self)
        _stop_servers_on_termination()
        try:
            self._make_folder()
            self._initdb()
            self._start_server()
        except BaseException:  # also Ctrl-C: never leave a half-started server
            self.stop()
            raise
        return self

    def _make_folder(self):
        self.folder = Path(tempfile.mkdtemp(prefix="chatsite-pg-", dir=_temp_root()))
        if self._as_user:
            os.chown(self.folder, self._as_user.pw_uid, self._as_user.pw_gid)

    def _initdb(self):
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER,
            "--no-sync", "-E", "UTF8", "--locale=C",
            timeout=INITDB_TIMEOUT,
        )  # fmt: skip
        # Later lines of postgresql.conf win; the socket stays in our folder, not /var/run.
        settings = {**SETTINGS, "unix_socket_directories": f"'{self.folder}'"}
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# chatsite tests\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _start_server(self):
        # A free port may be taken between choosing it and binding it: try a few.
        for _attempt in range(3):
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl", "start", "-w", "-t", str(START_TIMEOUT), "-D", str(self.data),
                    "-l", str(self.log), "-o", f"-p {self.port}",
                    timeout=START_TIMEOUT + 10,
                )  # fmt: skip
            except PostgresUnavailable:
                if "already in use" not in _tail(self.log, 5):
                    raise
            else:
                return
        self.port = None
        raise PostgresUnavailable(f"no free port for PostgreSQL\n{_tail(self.log)}")

    def _run(self, program, *args, timeout):
        """Run a server program (as the postgres user when we are root); raise with its output."""
        command = [str(self.bindir / program), *args]
        if self._as_user:
            command = [self._runuser, "-u", SYSTEM_USER, "--", *command]
        # Output goes to a file, not a pipe: pg_ctl's server outlives pg_ctl and
        # could otherwise keep the pipe open and hang us.
        with tempfile.TemporaryFile(mode="w+") as output:
            try:
                result = subprocess.run(
                    command, stdout=output, stderr=subprocess.STDOUT, cwd=self.folder,
                    timeout=timeout, check=False,
                )  # fmt: skip
                failure = f"exit status {result.returncode}" if result.returncode else None
            except subprocess.TimeoutExpired:
                failure = f"no answer after {timeout} s"
            except OSError as error:
                failure = str(error)
            if failure:
                output.seek(0)
                log = _tail(self.log) if self.folder else ""
                raise PostgresUnavailable(
                    f"{program} failed ({failure}):\n{output.read().strip()}\n{log}".rstrip()
                )

    def _admin(self):
        """An autocommit connection to the "postgres" database, to create and drop databases."""
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
            autocommit=True, connect_timeout=CONNECT_TIMEOUT,
        )  # fmt: skip

    def create_database(self, template=None):
        """A new database with a unique name; returns its URL.

        It is empty, or a copy of the database named `template` (which must
        have no open connections: PostgreSQL refuses to copy a busy template).
        """
        from psycopg import sql

        name = f"test_{os.getpid()}_{next(self._names)}"
        command = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        with self._admin() as admin:
            if template:
                command += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            if admin.info.server_version >= 150000:
                # Copying the files beats logging every page (15's default): ~10 ms vs ~20 ms.
                command += sql.SQL(" STRATEGY FILE_COPY")
            admin.execute(command)
        return self.url(name)

    def drop_database(self, name):
        """Drop a database, first disconnecting whoever is still connected to it."""
        from psycopg import sql

        with self._admin() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            # DROP DATABASE waits a few seconds for terminated sessions to end.
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

    def stop(self):
        """Stop the server (fast, else immediate, else kill) and delete the folder. Safe to repeat."""
        atexit.unregister(self.stop)
        _running.discard(self)
        self.port = None
        # postmaster.pid exists while a server runs, even one whose start timed out.
        if self.folder and (self.data / "postmaster.pid").exists():
            for mode in ("fast", "immediate"):
                try:
                    self._run("pg_ctl", "stop", "-w", "-t", str(STOP_TIMEOUT), "-D", str(self.data),
                              "-m", mode, timeout=STOP_TIMEOUT + 5)  # fmt: skip
                    break
                except PostgresUnavailable:
                    continue
            else:
                self._kill_postmaster()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _kill_postmaster(self):
        """Last resort: SIGKILL the postmaster named in postmaster.pid."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)  # its children notice and exit
        except (OSError, ValueError, IndexError):
            pass


# The servers to stop if the process is told to terminate.
_running = set()


def _stop_servers_on_termination():
    """Stop our servers on SIGTERM or SIGHUP too, then die of that signal as usual.

    The server runs in its own session, so a signal that kills pytest does not
    reach it, and a process killed by a signal runs no atexit functions. (Ctrl-C
    is a KeyboardInterrupt: fixture teardown or atexit stops the server.)
    Only where nobody else handles these signals, and only from the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _on_termination)


def _on_termination(signum, frame):
    for server in list(_running):
        server.stop()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def database_name(url):
    """The database a URL names: ".../test_123_4" -> "test_123_4"."""
    return url.rsplit("/", 1)[-1]


def _unavailable(reason):
    """Skip, or fail when CI said PostgreSQL must be there."""
    if REQUIRE_POSTGRES:
        pytest.fail(f"{reason}\n(and CHATSITE_REQUIRE_POSTGRES=1 is set)", pytrace=False)
    lines = reason.strip().splitlines()  # a skip reason is one line: the first and the last say most
    pytest.skip(lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}")


# The one server of this test process. Each conftest.py that imports the
# fixture gets its own copy of it (tests/ and final/tests/ both may), and they
# should share one server rather than start one each.
_session_server = None


@pytest.fixture(scope="session")
def postgres_server():
    """A started PostgresServer for the whole test session; always stopped after."""
    global _session_server
    if _session_server is None or not _session_server.running:
        server = PostgresServer()
        try:
            server.start()
            problem = None
        except PostgresUnavailable as error:
            problem = str(error)
        if problem:  # skipped or failed outside the except block: no chained traceback
            _unavailable(f"no PostgreSQL server for the tests: {problem}")
        _session_server = server
    try:
        yield _session_server
    finally:
        # Session fixtures end together, at the end of the run: the first copy
        # of this fixture to end stops the server, the others find it stopped.
        _session_server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """URL of a fresh, empty database for one test; dropped after it."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(database_name(url))
