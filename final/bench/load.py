"""Requests per second under gunicorn: a server started like `make serve`, and a load client.

The server is final/gunicorn.conf.py's, started with the same command as
`make serve` (and tests/liveserver.py), on a free port of 127.0.0.1.

The client is plain Python: `clients` threads, each with one keep-alive
connection (http.client), sending the same GET again and again, each waiting
for its answer before sending the next, like that many busy visitors. It
warms up for a moment, then counts the answers of `seconds` seconds, and stops
by itself. Client and server share the machine: the client's own use of the
processors is measured too, and reported next to the figures.
"""

import http.client
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"


def gunicorn_settings(workers):
    """What final/gunicorn.conf.py sets, read the way gunicorn reads it (it is Python)."""
    saved = os.environ.get("CHATSITE_WORKERS")
    os.environ["CHATSITE_WORKERS"] = str(workers)
    try:
        settings = runpy.run_path(str(CONFIG))
    finally:
        if saved is None:
            del os.environ["CHATSITE_WORKERS"]
        else:
            os.environ["CHATSITE_WORKERS"] = saved
    return {name: settings.get(name) for name in ("workers", "worker_class", "threads", "worker_connections")}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(app, workers, folder, env=None, cwd=None):
    """Serve `app` ("chatsite:create_app()", "hello:app") under gunicorn with
    final/gunicorn.conf.py and `workers` worker processes; yield its base URL."""
    port = free_port()
    log = Path(folder) / f"gunicorn-{port}.log"
    environment = {
        **os.environ,
        **(env or {}),
        "CHATSITE_WORKERS": str(workers),
        "CHATSITE_BIND": f"127.0.0.1:{port}",
    }
    command = [str(GUNICORN), "-c", str(CONFIG), app]
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn, our own arguments
            command, cwd=cwd or folder, env=environment, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_answering(process, port, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_until_answering(process, port, log, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


def hammer(url, path, clients, seconds, warmup=2.0):
    """`clients` keep-alive connections send GET `path` for warmup + `seconds` seconds.

    Returns {"rps", "errors", "client_cpu"}: answers per second during the
    last `seconds`, the failed requests (anything but 200), and how many
    processors the client itself kept busy meanwhile (1.0 = one processor).
    """
    host, port = url.removeprefix("http://").split(":")
    start = time.monotonic()
    counting_from = start + warmup
    stop_at = counting_from + seconds
    answers, errors = [], []  # list.append is atomic: the threads can share them
    cpu_at_start = []

    def client():
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        while True:
            sent = time.monotonic()
            if sent >= stop_at:
                break
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()  # the next request opens a new connection
            if sent >= counting_from and time.monotonic() <= stop_at:
                (answers if ok else errors).append(1)
        connection.close()

    def note_cpu_when_counting_starts():
        time.sleep(max(0.0, counting_from - time.monotonic()))
        cpu_at_start.append(time.process_time())

    workers = [threading.Thread(target=client) for _ in range(clients)]
    workers.append(threading.Thread(target=note_cpu_when_counting_starts))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=warmup + seconds + 30)
    client_cpu = (time.process_time() - cpu_at_start[0]) / seconds if cpu_at_start else float("nan")
    return {
        "rps": len(answers) / seconds,
        "errors": len(errors),
        "client_cpu": client_cpu,
    }
