"""Decoding an uploaded image in a child process, held to a time and a memory limit.

Decoding is CPU work in C, which never gives way to other requests: under
gunicorn's gevent workers, one upload that takes 30 s to decode stops every
other request of its worker for 30 s (and gunicorn then kills the worker).
So images.process_image runs in a new Python process: CHILD_PROGRAM, the
upload on its stdin, the answer on its stdout. Waiting for it is like waiting
for the network (gevent makes subprocess cooperative), so the worker goes on
answering; the child is killed when it takes longer than its time, and the
operating system holds it to its CPU time and memory besides. Starting Python
and Pillow costs ~80 ms an upload: the price of that bound.

The parent's side is process_image_in_child (and read_answer), the child's is
child_main. The child imports only this module, images.py and image_frames.py:
Pillow and the standard library, never Flask or the rest of the app.
"""

import json
import logging
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from .images import NOT_AN_IMAGE, ImageRefused, Limits, ProcessedImage, process_image

log = logging.getLogger(__name__)

# What the child runs, with `python -I -c`. -I ("isolated"): it ignores PYTHON*
# environment variables and puts no folder of ours on its path (where our modules
# would hide the standard library's of the same name). It finds Pillow all the
# same, but not this package: "chatsite" is made here an empty package whose
# modules are the files of this folder. `import chatsite.images` then reads
# images.py alone, and never chatsite/__init__.py, which would import the whole
# app (Flask, SQLAlchemy...: about a second more for every upload).
CHILD_PROGRAM = f"""
import sys, types
chatsite = types.ModuleType("chatsite")
chatsite.__path__ = [{str(Path(__file__).parent)!r}]
sys.modules["chatsite"] = chatsite
from chatsite.image_child import child_main
child_main()
"""


def too_slow_message(seconds):
    return (
        f"This image took too long to decode (over {seconds:g} seconds); "
        "please send a smaller or simpler one."
    )


def process_image_in_child(data: bytes, limits: Limits, seconds: float, memory: int) -> ProcessedImage:
    """images.process_image(data, limits) in a child process that may take at most
    `seconds` and `memory` bytes. Raises ImageRefused, like process_image."""
    arguments = [json.dumps(asdict(limits)), str(seconds), str(memory)]
    command = [sys.executable, "-I", "-c", CHILD_PROGRAM, *arguments]
    try:
        # S603: the command is ours; the upload only goes to the child's stdin.
        child = subprocess.run(command, input=data, capture_output=True, timeout=seconds, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:  # (run() has killed the child)
        raise ImageRefused(too_slow_message(seconds)) from None
    if child.returncode != 0:
        # Killed by its CPU limit, or a crash: the file is refused either way.
        log.warning("Decoding an image failed (exit status %s): %s", child.returncode, child.stderr[-500:])
        out_of_time = child.returncode == -24  # SIGXCPU: its CPU time ran out
        raise ImageRefused(too_slow_message(seconds) if out_of_time else NOT_AN_IMAGE)
    return read_answer(child.stdout)


def read_answer(output):
    """The child's answer: one line of JSON, then the stored file's bytes and the
    thumbnail's. Not pickle: the child has handled hostile bytes, and unpickling
    can run code, so the parent reads nothing but numbers, text and bytes."""
    line, _, rest = output.partition(b"\n")
    try:
        answer = json.loads(line)
        refusal = answer.get("refused")
        if refusal is None:
            size = answer.pop("data_size")
            return ProcessedImage(data=rest[:size], thumbnail=rest[size:], **answer)
    except (ValueError, TypeError, KeyError, AttributeError):  # not an answer at all
        refusal = NOT_AN_IMAGE
    raise ImageRefused(refusal)


def child_main():
    """The child: CHILD_PROGRAM LIMITS SECONDS MEMORY < upload > answer (see
    process_image_in_child)."""
    limits = Limits(**json.loads(sys.argv[1]))
    seconds, memory = float(sys.argv[2]), int(sys.argv[3])
    try:
        import resource  # (Unix only: elsewhere, the parent's timeout alone holds)

        # A second line behind the parent's timeout, should the parent die first.
        cpu_seconds = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except ImportError:
        pass
    try:
        image = process_image(sys.stdin.buffer.read(), limits)
    except ImageRefused as refused:
        answer, files = {"refused": str(refused)}, b""
    except MemoryError:
        answer, files = {"refused": "This image needs more memory to decode than this site allows."}, b""
    else:
        fields = asdict(image)
        files = fields.pop("data") + fields.pop("thumbnail")
        answer = {**fields, "data_size": len(image.data)}
    sys.stdout.buffer.write(json.dumps(answer).encode() + b"\n" + files)
