"""Measure what an upload costs now that every image is decoded and re-encoded,
and how render_body's time grows with the length of a post.

1. Upload to 303. A camera-like JPEG of about 4 MB (4032 x 3024, 12
   megapixels, with EXIF: camera, serial number, GPS position, and
   "rotate 90°"), posted as a reply through the form, the way a browser
   does, with Flask's test client (no network: we time our code). Each
   upload has different pixels, so each one is decoded, turned upright,
   re-encoded, thumbnailed, hashed and written (none is a file the site
   already has). It reports the median and the 95th percentile of the
   uploads, from the POST to its 303 answer.
2. Memory of one upload: the peak of Python's allocations during it
   (tracemalloc: the request body, the bytes read, encoded and written) and
   the growth of the process's peak resident memory over all the uploads
   (VmHWM: Pillow's decoded pixels live outside Python's allocator, so
   only this one sees them). The uploads run in a process of their own, which
   starts with the app and one photo in memory, so that making the photos
   does not count. Since issue 18 the decoding itself happens in a child
   process of the app (images.process_image_in_child): the largest peak
   resident memory of those children (ru_maxrss of RUSAGE_CHILDREN) is what
   decoding one photo costs.
3. render_body on hostile bodies of 1,000, 10,000 and 100,000 characters:
   10 times the text should take about 10 times the time.

Run it from the top of the repository:  make bench
(or: .venv/bin/python final/bench/bench_upload.py [--uploads 20])
"""

import argparse
import io
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # databases.py, forum.py

from bench import machine_line  # noqa: E402
from databases import dispose, fresh_sqlite_url  # noqa: E402
from forum import csrf_token  # noqa: E402
from PIL import ExifTags, Image  # noqa: E402

from chatsite import create_app  # noqa: E402
from chatsite.formatting import render_body  # noqa: E402

CAMERA_SIZE = (4032, 3024)
TARGET_BYTES = 4_000_000  # "about 4 MB", under MAX_IMAGE_SIZE (4 MiB = 4,194,304 bytes)
CAMERA_QUALITY = 93  # what phones use, about
LENGTHS = (1_000, 10_000, 100_000)
HOSTILE_BODIES = {
    ">> in a row": ">>",
    ">>1 repeated (a real post)": ">>1 ",
    "> lines": "> quoted >>1 https://x.org/a?b=1&c=2\n",
    "URL-ish without spaces": "https://a",
    "HTML characters": "<>&\"'",
    ">> and 30 digits": ">>" + "1" * 30 + " ",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=20, help="how many uploads to time (default 20)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process: its photos' folder
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(time_uploads(Path(arguments.measure))))
        return
    print(machine_line().replace("Chat Site benchmark", "Chat Site upload benchmark"), flush=True)
    with tempfile.TemporaryDirectory(prefix="chatsite-bench-upload-") as folder:
        photos = camera_photos(arguments.uploads + 3)  # two to warm up, one for tracemalloc
        for number, photo in enumerate(photos):
            (Path(folder) / f"{number:03}.jpg").write_bytes(photo)
        average = statistics.mean(len(photo) for photo in photos) / 1e6
        print(f"{len(photos)} photos of {CAMERA_SIZE[0]} x {CAMERA_SIZE[1]} (JPEG quality {CAMERA_QUALITY}, "
              f"EXIF with GPS), {average:.2f} MB each on average", flush=True)  # fmt: skip
        del photos
        child = [sys.executable, __file__, "--measure", folder]  # this very script, with our own arguments
        answer = subprocess.check_output(child).splitlines()[-1]  # noqa: S603
        times, python_peak, rss_growth, decoder_peak, stored = json.loads(answer)
    print("\n| uploads | median (ms) | 95th percentile (ms) | min (ms) | max (ms) |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    ms = [seconds * 1000 for seconds in times]
    figures = [statistics.median(ms), percentile(ms, 95), min(ms), max(ms)]
    print(f"| {len(ms)} | " + " | ".join(f"{figure:.0f}" for figure in figures) + " |")
    print(f"\nStored per upload: {stored}")
    print(f"Memory, one upload: Python allocations peak at {python_peak / 1e6:.1f} MB (tracemalloc); "
          f"the process's peak RSS grew by {rss_growth / 1e3:.0f} MB over all the uploads (VmHWM); "
          f"the decoding child's peak RSS: {decoder_peak / 1e3:.0f} MB (ru_maxrss).")
    print("\n| render_body on | " + " | ".join(f"{n:,} chars (ms)" for n in LENGTHS) + " | 100k / 10k |")
    print("| --- | " + " | ".join("---:" for _ in LENGTHS) + " | ---: |")
    for name, piece in HOSTILE_BODIES.items():
        timings = [render_time(piece, length) * 1000 for length in LENGTHS]
        cells = " | ".join(f"{value:.2f}" for value in timings)
        print(f"| {name} | {cells} | {timings[2] / timings[1]:.1f}x |")


def camera_photos(count):
    """`count` JPEGs as a phone writes them: a 12-megapixel picture with fine
    detail (noise over smooth gradients: as hard to compress as a photo), at
    CAMERA_QUALITY, with as much detail as makes about TARGET_BYTES, and EXIF
    with GPS; each with a patch of its own."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.BodySerialNumber] = "SN-0451-7781"
    exif[ExifTags.Base.DateTime] = "2026:11:25 21:14:03"
    exif[ExifTags.Base.Orientation] = 6  # held upright: the sensor's picture is sideways
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 22.0, 1.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 53.0, 2.5),
    }
    base = detailed_picture(exif)
    photos = []
    for number in range(count):
        picture = base.copy()
        picture.paste((number * 37 % 256, 90, 200), (number * 40, 0, number * 40 + 40, 40))
        photos.append(jpeg(picture, exif))
    return photos


def detailed_picture(exif):
    """Gradients with as much noise as makes a JPEG of about TARGET_BYTES (a search)."""
    red = Image.linear_gradient("L").resize(CAMERA_SIZE)
    green = Image.radial_gradient("L").resize(CAMERA_SIZE)
    noise = Image.effect_noise(CAMERA_SIZE, 48)
    smooth = Image.merge("RGB", (red, green, Image.blend(noise, red, 0.5)))
    grain = Image.merge("RGB", (noise, noise, noise))
    low, high = 0.0, 1.0
    for _ in range(8):
        amount = (low + high) / 2
        if len(jpeg(Image.blend(smooth, grain, amount), exif)) <= TARGET_BYTES:
            low = amount
        else:
            high = amount
    return Image.blend(smooth, grain, low)


def jpeg(picture, exif):
    output = io.BytesIO()
    picture.save(output, "JPEG", quality=CAMERA_QUALITY, exif=exif)
    return output.getvalue()


def time_uploads(folder):
    """In the child process: post each photo of `folder` as a reply; return
    (seconds for each but the first two and the last, the tracemalloc peak of
    the last, VmHWM growth in kB, the decoding children's largest peak RSS in
    kB, what was stored)."""
    photo_files = sorted(folder.glob("*.jpg"))
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "bench",
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "DATABASE_URL": fresh_sqlite_url(folder),
        "THREAD_INTERVAL": 0,
        "REPLY_INTERVAL": 0,
    })  # fmt: skip
    client = app.test_client()
    token = csrf_token(client.get("/boards/astronomy").get_data(as_text=True))
    thread = {"title": "Photos", "body": "x", "csrf_token": token}
    answer = client.post("/boards/astronomy/threads", data=thread)
    thread_id = re.search(r"/threads/(\d+)", answer.headers["Location"]).group(1)

    def upload(photo_file):
        photo = photo_file.read_bytes()
        data = {"body": "my photo", "csrf_token": token, "image": (io.BytesIO(photo), "IMG_0451.jpg")}
        start = time.perf_counter()
        response = client.post(f"/threads/{thread_id}/replies", data=data)
        elapsed = time.perf_counter() - start
        assert response.status_code == 303, re.sub(r"\s+", " ", response.get_data(as_text=True))[-900:]
        return elapsed

    try:
        rss_before = peak_rss_kb()
        times = [upload(photo_file) for photo_file in photo_files[:-1]][2:]
        rss_growth = peak_rss_kb() - rss_before
        tracemalloc.start()
        upload(photo_files[-1])
        _, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        image = client.get(f"/api/threads/{thread_id}/posts").json["posts"][-1]["image"]
        thumbnail = Image.open(io.BytesIO(client.get(image["thumbnail_url"]).data))
        stored = (f"a {image['size'] / 1e6:.2f} MB JPEG of {image['width']} x {image['height']} (upright, "
                  f"no EXIF) and a {thumbnail.width} x {thumbnail.height} thumbnail")
    finally:
        dispose(app)
    decoder_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return times, python_peak, rss_growth, decoder_peak, stored


def peak_rss_kb():
    """The process's peak resident memory so far, in kB: Linux's VmHWM (ru_maxrss
    would do, but Linux carries it over from the parent through fork and exec,
    and the parent made the photos); elsewhere ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def render_time(piece, length):
    """The median time render_body takes on `piece` repeated to `length` characters."""
    body = (piece * (length // len(piece) + 1))[:length]
    runs = []
    for _ in range(7):
        start = time.perf_counter()
        render_body(body, {1: "#post-1"})
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def percentile(values, percent):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
