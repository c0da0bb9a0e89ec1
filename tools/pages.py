"""Run the shell sessions of the docs' pages, as a learner would, and compare what they print.

A page shows two kinds of shell blocks, and both run, in page order, in a fresh
copy of the repository (its files as git knows them, nothing a run left behind):

- a ``console`` block is a session: ``$ command`` lines (``> `` continues one),
  each followed by what the command prints. What it really prints must match.
- a ``bash`` block is commands only; they must succeed (exit status 0).

In what a page shows, ``…`` stands for what honestly varies: ``…`` within a line
matches any text, a line of ``…`` alone any number of lines (none too), and a
placeholder in angle quotes such as ``‹PIN›`` any text of one line. A reader
sees them as they are. ``<!-- pytest-summary: ARGS -->`` stands for the summary
line of that test run (docs/hooks/summary_lines.py writes the same line into the
page). Colours and terminal control codes are left out of the comparison.

A comment just before a block tells the runner what the page says in prose:

- ``<!-- not run: REASON -->``: a command this machine must not run (it installs
  system packages, for instance); the reason is required and counted.
- ``<!-- input: LINE | LINE -->``: what the reader types at the command's
  prompts (a password), one line per prompt, typed when the command waits.
- ``<!-- run: COMMAND -->``: what the page asks the reader to do by hand (start a
  thread in the browser), done for them with a command the page does not show.

Commands run through ``bash -c`` in a terminal of 80 columns, one after the
other; ``cd`` and ``export`` carry over to the next command, as in a shell. The
virtual environment is active (its ``bin`` first on PATH), as the pages ask. A
command that serves (``make run``, ``make serve``, ``flask … run``, ``gunicorn``)
is started in the background, as in a second terminal: what it prints at start
is compared, and it runs until the next server command on its port, or the end
of the page (then it gets Ctrl+C); a server on another port runs beside it.
Ports 5000-5099 and 8000 (``make docs``) of a page are given free ports, so pages
run side by side; what the commands print shows the page's ports again.

    .venv/bin/python tools/pages.py docs/steps/06-uploads.md   # one page, with a transcript

``make test-pages`` runs every page (tools/test_pages.py).
"""

import errno
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "hooks"))
import summary_lines  # noqa: E402  (the hook that writes the same summary lines into the pages)

FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<language>bash|console)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.M | re.S,
)
CONTROL = re.compile(r"<!--\s*(?P<name>not run|input|run):\s*(?P<value>.*?)\s*-->", re.S)
SUMMARY = re.compile(r"^\s*<!--\s*pytest-summary:\s*(?P<args>[^>]*?)\s*-->\s*$")
PLACEHOLDER = re.compile(r"…|‹[^›]*›")
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]")
SERVER = re.compile(r"(^|\s)(make (run|serve|docs)\b|\S*flask\b.*\srun\b|\S*gunicorn\b)")
PAGE_PORT = re.compile(r"(?<![\d.])(50\d\d|8000)(?!\d)")
COLUMNS = 80  # as docs/hooks/summary_lines.py draws the summary line
COMMAND_TIMEOUT = 600  # a test run of one step's tests can take minutes
SERVER_START_TIMEOUT = 300  # `make docs` builds the whole site before it listens
SERVER_ANSWER_TIMEOUT = 180  # a busy machine's gunicorn: every worker loads the app at once
# A server that listens but has not yet printed what the page shows may still be
# starting: with --debug, the reloader's parent listens while its child, quiet,
# imports the app (seconds on a busy machine), then prints the debugger's lines.
SERVER_QUIET_PATIENCE = 15


@dataclass
class Command:
    text: str  # as typed: continuation lines joined with newlines
    expected: list = field(default_factory=list)  # the lines shown after it, or None (a bash block)
    inputs: list = field(default_factory=list)
    hidden: bool = False  # a <!-- run: --> command, not shown


@dataclass
class Block:
    page: Path
    line: int
    language: str
    commands: list
    not_run: str = ""


def blocks_of(page):
    """The page's shell blocks in order, each with its commands and expected output."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        controls = controls_before(text, match.start())
        indent = len(match["indent"])
        body = [row[indent:] for row in match["body"].splitlines()]
        commands = [Command(value, expected=None, hidden=True) for name, value in controls if name == "run"]
        if match["language"] == "console":
            commands += session_commands(body, page, line)
        else:
            commands += script_commands(body)
        inputs = [value for name, value in controls if name == "input"]
        if inputs:
            shown = [command for command in commands if not command.hidden]
            shown[0].inputs = [part.strip() for part in inputs[0].split("|")]
        not_run = next((value or None for name, value in controls if name == "not run"), "")
        if not_run is None:
            raise ValueError(f"{page}:{line}: a block not run says why: <!-- not run: REASON -->")
        found.append(Block(page, line, match["language"], commands, not_run))
    return found


def controls_before(text, position):
    """The control comments between the previous text and a block (blank lines allowed)."""
    before = text[:position].rstrip()
    controls = []
    while before.endswith("-->"):
        start = before.rfind("<!--")
        match = CONTROL.fullmatch(before[start:])
        if not match:
            break
        controls.insert(0, (match["name"], match["value"]))
        before = before[:start].rstrip()
    return controls


def session_commands(body, page, line):
    commands = []
    for row in body:
        if row.startswith("$ ") or row == "$":
            commands.append(Command(row[2:], expected=[]))
        elif row.startswith("> ") and commands and not commands[-1].expected:
            commands[-1].text += "\n" + row[2:]
        elif commands:
            commands[-1].expected.append(row)
        elif row.strip():
            raise ValueError(f"{page}:{line}: a console block starts with a command ($ …), not {row!r}")
    return commands


def script_commands(body):
    commands, current = [], ""
    for row in body:
        current = f"{current}\n{row}" if current else row
        if not row.rstrip().endswith("\\"):
            if current.strip() and not current.lstrip().startswith("#"):
                commands.append(Command(current, expected=None))
            current = ""
    return commands


def expected_pattern(lines, summary):
    """A regular expression for the whole output a session shows."""
    parts = []
    for line in lines:
        summary_match = SUMMARY.match(line)
        if summary_match:  # centred in "=" signs, as wide as the time is long
            title = summary(tuple(summary_match["args"].split())).strip("= ")
            # "in 237.99s (0:03:57)": pytest adds the hours:minutes:seconds from a minute on
            seconds = r"[\d.]+s(?: \(\d+:\d\d:\d\d\))?"
            parts.append("=+ " + re.escape(title).replace("…s", seconds) + r" =+\n")
            continue
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        pieces = PLACEHOLDER.split(line)
        wildcards = PLACEHOLDER.findall(line)
        regex = re.escape(pieces[0])
        for wildcard, piece in zip(wildcards, pieces[1:], strict=True):
            regex += (r"[^\n]*?" if wildcard == "…" else r"[^\n]+?") + re.escape(piece)
        parts.append(regex.rstrip() + r"[ \t]*\n")
    return re.compile("".join(parts), re.S)


def normalised(output):
    # a terminal ends lines with \r\n, so a line that already ended with \r\n (curl -i's
    # headers) comes as \r\r\n: one line end, not two
    output = ANSI.sub("", re.sub(r"\r+\n", "\n", output).replace("\r", "\n"))
    lines = [line.rstrip() for line in output.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "".join(line + "\n" for line in lines)


def fresh_copy(destination):
    """The repository's files as git knows them (edits included), into destination,
    with their times (so make does not think pyproject.toml changed), and the
    virtual environment of the repository."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if not source.is_file():
            continue  # deleted in the working tree
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    # make reinstalls when pyproject.toml is newer than the environment's stamp: in a
    # copy, that would point the shared environment's `chatsite` at a folder about to go
    stamp = ROOT / ".venv" / ".installed"
    if not stamp.exists():
        raise RuntimeError("no .venv/.installed: run `make test` or `make run` once first")
    installed = stamp.stat().st_mtime
    os.utime(destination / "pyproject.toml", (installed - 1, installed - 1))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Terminal:
    """One command in a pseudo-terminal, as a learner's terminal runs it."""

    def __init__(self, command, cwd, environment):
        self.command = command
        self.main, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
        self.process = subprocess.Popen(  # noqa: S603 (the commands come from our own pages)
            ["bash", "-c", command],  # noqa: S607
            cwd=cwd, env=environment, start_new_session=True,
            stdin=secondary, stdout=secondary, stderr=secondary,
        )  # fmt: skip
        os.close(secondary)
        self.output = b""

    def read(self, seconds):
        """Read what comes within `seconds`; False once the terminal is closed."""
        ready, _, _ = select.select([self.main], [], [], seconds)
        if not ready:
            return True
        try:
            chunk = os.read(self.main, 65536)
        except OSError as error:
            if error.errno == errno.EIO:  # every process of the terminal has ended
                return False
            raise
        self.output += chunk
        return bool(chunk)

    def type(self, line):
        os.write(self.main, line.encode() + b"\n")

    def text(self):
        return self.output.decode(errors="replace")

    def interrupt(self):
        """Ctrl+C, as a learner stops a server, then make sure it is gone."""
        for sent in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sent)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.read(0.1):
                pass
            if self.process.poll() is not None and not self._group_alive():
                break
        self.close()

    def _group_alive(self):
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def close(self):
        try:
            os.close(self.main)
        except OSError:
            pass


class Mismatch(AssertionError):
    pass


class PageRun:
    """The sessions of one page, run in order in a fresh copy of the repository."""

    def __init__(self, page, transcript=None, repository=True):
        self.page = Path(page).resolve()
        self.transcript = transcript  # a file to echo every command and its output to
        self.folder = Path(tempfile.mkdtemp(prefix="chatsite-page-"))
        if repository:  # (the runner's own tests use an empty folder: quicker)
            fresh_copy(self.folder)
        self.cwd = self.folder
        self.ports = {}
        self.environment = self._environment()
        self.servers = []
        self.counts = {"ran": 0, "compared": 0, "not run": 0}

    def _environment(self):
        # MAKE*: under `make test-pages`, a page's own make would say "Entering directory"
        ours = ("PYTEST", "CHATSITE_", "FLASK_", "VIRTUAL_ENV", "PYTHONPATH", "COV_", "COVERAGE")
        ours += ("MAKE", "MFLAGS")
        environment = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
        environment.update(
            PATH=f"{self.folder / '.venv' / 'bin'}:{os.environ['PATH']}",
            VIRTUAL_ENV=str(self.folder / ".venv"),
            # the installed package is the repository's final/; the copy's comes first
            PYTHONPATH=str(self.folder / "final"),
            HOME=str(self.folder / ".home"),  # gunicorn's control socket, pip's cache: the page's own
            TMPDIR=str(self.folder / ".home"),  # pytest's temporary folders too, apart from other runs
            TERM="xterm", COLUMNS=str(COLUMNS), LANG="C.UTF-8",
            PORT=self.port("5000"), FLASK_RUN_PORT=self.port("5000"), DOCS_PORT=self.port("8000"),
        )  # fmt: skip
        (self.folder / ".home").mkdir()
        return environment

    def port(self, shown):
        if shown not in self.ports:
            self.ports[shown] = str(free_port())
        return self.ports[shown]

    def to_real_ports(self, command):
        return PAGE_PORT.sub(lambda match: self.port(match[1]), command)

    def to_page_ports(self, output):
        for shown, real in self.ports.items():
            output = re.sub(rf"(?<!\d){real}(?!\d)", shown, output)
        return output

    def run(self):
        try:
            for block in blocks_of(self.page):
                if block.not_run:
                    self.counts["not run"] += len(block.commands)
                    self.log(f"\n# {self.where(block)}: not run ({block.not_run})\n")
                    continue
                for command in block.commands:
                    self.run_command(block, command)
        finally:
            self.stop_servers()
            shutil.rmtree(self.folder, ignore_errors=True)
        return self.counts

    def where(self, block):
        shown = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{shown}:{block.line}"

    def log(self, text):
        if self.transcript:
            self.transcript.write(text)
            self.transcript.flush()

    def run_command(self, block, command):
        self.log(f"\n$ {command.text}\n")
        self.counts["ran"] += 0 if command.hidden else 1
        if SERVER.search(command.text):
            output = self.start_server(command)
        else:
            output = self.run_to_end(block, command)
        self.log(output)
        if command.expected is not None:
            self.counts["compared"] += 1
            pattern = expected_pattern(command.expected, self.summary)
            if not pattern.fullmatch(output):
                shown = "\n".join(command.expected)
                raise Mismatch(
                    f"{self.where(block)}: `{command.text}` printed something else.\n"
                    f"--- the page shows:\n{shown}\n--- it printed:\n{output}"
                )

    def run_to_end(self, block, command):
        state = self.folder / ".home" / "state"
        script = (
            f"{self.to_real_ports(command.text)}\n"
            f"status=$?; pwd > {state}.cwd; env -0 > {state}.env; exit $status"
        )
        terminal = Terminal(script, self.cwd, self.environment)
        inputs = list(command.inputs)
        deadline = time.monotonic() + COMMAND_TIMEOUT
        try:
            while time.monotonic() < deadline:
                before = len(terminal.output)
                if not terminal.read(0.3):
                    break
                waiting = len(terminal.output) == before and not terminal.output.endswith(b"\n")
                if inputs and terminal.output and waiting:
                    terminal.type(inputs.pop(0))  # the command waits at a prompt
            else:
                raise Mismatch(f"{self.where(block)}: `{command.text}` did not finish in {COMMAND_TIMEOUT} s")
            status = terminal.process.wait(timeout=30)
        finally:
            terminal.interrupt()
        output = self.to_page_ports(normalised(terminal.text()))
        if status != 0 and command.expected is None:
            raise Mismatch(f"{self.where(block)}: `{command.text}` failed (exit status {status}):\n{output}")
        if (state.with_suffix(".cwd")).exists():
            self.cwd = Path(state.with_suffix(".cwd").read_text().strip())
            pairs = state.with_suffix(".env").read_bytes().decode().split("\0")
            self.environment = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
            for suffix in (".cwd", ".env"):
                state.with_suffix(suffix).unlink()
        return output

    def start_server(self, command):
        """Start a server as in a terminal of its own; return what it prints at start."""
        # The port it takes: the one its command names, else make docs' or Flask's own.
        named = PAGE_PORT.search(command.text)
        port = self.port(named[1] if named else "8000" if "make docs" in command.text else "5000")
        self.stop_servers(port)  # Ctrl+C in the terminal of the server on that port first
        # no `exec`: bash runs a lone command in its own process anyway, and `exec` would
        # refuse settings before it (`FLASK_MAX_CONTENT_LENGTH=2097152 make run STEP=06`)
        terminal = Terminal(self.to_real_ports(command.text), self.cwd, self.environment)
        terminal.port = port
        self.servers.append(terminal)
        expected = expected_pattern(command.expected or [], self.summary)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            before = len(terminal.output)
            if not terminal.read(0.2):
                break  # it ended: what it printed says why
            now = time.monotonic()
            if len(terminal.output) != before:
                quiet_since = now
            output = self.to_page_ports(normalised(terminal.text()))
            listening = self._listening_on(port)
            if listening and expected.fullmatch(output) and now - quiet_since > 0.5:
                break
            if listening and now - quiet_since > (3 if command.expected is None else SERVER_QUIET_PATIENCE):
                break  # started, and says nothing more
        output = self.to_page_ports(normalised(terminal.text()))
        if terminal.process.poll() is not None or not self._listening_on(port):
            status = terminal.process.poll()
            raise Mismatch(f"`{command.text}` did not start a server (exit status {status}):\n{output}")
        self._wait_for_an_answer(terminal)
        return output

    def _wait_for_an_answer(self, terminal):
        """gunicorn listens before its workers have loaded the app (half a minute on a busy
        machine): wait until the server answers a request, as a reader waits for the page."""
        port = terminal.port
        answered = threading.Event()

        def ask():
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=SERVER_ANSWER_TIMEOUT).close()  # noqa: S310
            except urllib.error.HTTPError:
                pass  # an answer all the same
            except OSError:
                return
            answered.set()

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        while asking.is_alive() and terminal.read(0.2):
            pass  # read what it prints meanwhile, so that it never waits for us
        if not answered.is_set():
            raise Mismatch(f"`{terminal.command}` listens but did not answer in {SERVER_ANSWER_TIMEOUT} s")

    @staticmethod
    def _listening_on(port):
        with socket.socket() as probe:
            probe.settimeout(0.2)
            return probe.connect_ex(("127.0.0.1", int(port))) == 0

    def stop_servers(self, port=None):
        """Stop the server on `port` (a new one is about to take it), or every server."""
        for server in [server for server in self.servers if port in (None, server.port)]:
            self.servers.remove(server)
            server.interrupt()

    def summary(self, arguments):
        return summary_lines.summary_line(self.folder, arguments)


def pages():
    """Every page, in the order of mkdocs.yml's navigation."""
    navigation = re.findall(r":\s*(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    return [ROOT / "docs" / name for name in navigation]


def main(arguments):
    chosen = [Path(argument) for argument in arguments] or pages()
    for page in chosen:
        counts = PageRun(page, transcript=sys.stdout).run()
        print(f"\n# {page}: {counts['ran']} commands ran, {counts['compared']} outputs compared, "
              f"{counts['not run']} not run")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
