"""Media: Pillow decodes, checks and re-encodes every image; videos by their
container; files named by their SHA-256 and shared; thumbnails; the API's fields.

images.process_image and videos.inspect_video are tested on their own first
(no app), then uploads through the forms on SQLite and PostgreSQL.
"""

import hashlib
import io
import re
import struct
import threading
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import replace

import imagefactory
import pytest
from flask_migrate import downgrade, upgrade
from forum import LiveBrowser, create_thread, image_urls_in, reply, staff_client, stored_files
from liveserver import Gunicorn, start_thread
from PIL import ExifTags, Image
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import chatsite.files
import chatsite.reading
from chatsite import image_child, images, upload_checks, upload_storage, uploads, videos
from chatsite.db import db
from chatsite.models import Image as ImageRow

LIMITS = images.Limits(max_pixels=40_000_000, max_side=10_000, max_animation_pixels=200_000_000,
                       thumbnail_size=250)  # fmt: skip


# --- files to upload ---------------------------------------------------------------------------


def encode(picture, format, **options):
    output = io.BytesIO()
    picture.save(output, format, **options)
    return output.getvalue()


def camera_jpeg(width=64, height=48, orientation=6):
    """A JPEG as a phone writes it: EXIF with the camera, its serial number, the GPS
    position, and "rotate 90°" (orientation 6: the sensor was held sideways)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.BodySerialNumber] = "SN-0451"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 22.0, 1.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 53.0, 2.5),
    }
    picture = Image.new("RGB", (width, height), "red")
    picture.paste("blue", (0, 0, width // 2, height))  # left half blue: shows which way is up
    return encode(picture, "JPEG", exif=exif, comment=b"taken at home")


def animated(format, frames=3, size=(20, 10), **options):
    """An animated GIF or WebP: frames of different colours, 100, 200, 300 ms."""
    pictures = [Image.new("RGB", size, (number * 100, 50, 0)) for number in range(frames)]
    durations = [100 * (number + 1) for number in range(frames)]
    return encode(pictures[0], format, save_all=True, append_images=pictures[1:], duration=durations, loop=0,
                  **options)  # fmt: skip


def png_claiming(width, height):
    """A PNG whose header says width x height, with one tiny IDAT: a decompression
    bomb's shape (it is never decoded, so its pixels need not be there)."""
    return (
        imagefactory.PNG_SIGNATURE
        + imagefactory._png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + imagefactory._png_chunk(b"IDAT", b"x\x9c\x03\x00\x00\x00\x00\x01")
        + imagefactory._png_chunk(b"IEND", b"")
    )


def gif_claiming(width, height):
    """A GIF whose logical screen and one frame claim width x height."""
    data = bytearray(imagefactory.gif())
    data[6:10] = struct.pack("<HH", width, height)
    descriptor = data.index(b",")
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def ebml(element_id, payload):
    """One EBML element with an 8-byte size."""
    return element_id + bytes([0x01]) + len(payload).to_bytes(7, "big") + payload


def webm(doctype=b"webm"):
    """The smallest WebM videos.inspect_video takes: a header, then a Segment."""
    header = ebml(b"\x1a\x45\xdf\xa3", ebml(b"\x42\x86", b"\x01") + ebml(b"\x42\x82", doctype))
    return header + ebml(b"\x18\x53\x80\x67", ebml(b"\x16\x54\xae\x6b", b"tracks"))


def box(box_type, payload=b""):
    return struct.pack(">I4s", 8 + len(payload), box_type) + payload


def mp4(brand=b"isom", with_metadata=True):
    """An MP4's boxes: ftyp, moov (a trak; metadata where cameras write it), mdat."""
    udta = box(b"udta", box(b"\xa9xyz", b"+52.3667+004.8833/")) if with_metadata else b""
    meta = box(b"meta", b"\0\0\0\0" + box(b"hdlr", b"camera serial SN-0451")) if with_metadata else b""
    trak = box(b"trak", box(b"tkhd", bytes(84)) + udta)
    moov = box(b"moov", box(b"mvhd", bytes(100)) + trak + udta + meta)
    return box(b"ftyp", brand + b"\0\0\0\0" + b"isommp41") + moov + box(b"mdat", b"\x00\x01" * 50)


# --- images.process_image ---------------------------------------------------------------------


def pixels_of(data):
    with Image.open(io.BytesIO(data)) as picture:
        return picture.size, picture.convert("RGBA").tobytes()


VALID = {
    "png": imagefactory.png,
    "jpeg": imagefactory.jpeg,
    "gif": imagefactory.gif,
    "webp": imagefactory.webp,
    "webp_lossy": imagefactory.webp_lossy,
    "webp_extended": imagefactory.webp_extended,
}


@pytest.mark.parametrize("name", VALID)
def test_every_kind_is_decoded_and_stored_in_its_own_format(name):
    data = VALID[name]()
    image = images.process_image(data, LIMITS)
    with Image.open(io.BytesIO(data)) as original:
        assert (image.kind, image.width, image.height) == (original.format.lower(), *original.size)
    with Image.open(io.BytesIO(image.data)) as stored:
        assert stored.format.lower() == image.kind
    if image.kind != "jpeg" and name != "webp_lossy":  # the lossless ones: the very same pixels
        assert pixels_of(image.data) == pixels_of(data)
    with Image.open(io.BytesIO(image.thumbnail)) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (image.thumbnail_width, image.thumbnail_height))


def test_a_photo_is_turned_upright_and_loses_its_exif():
    """The issue's privacy test: GPS position, camera and serial number are gone
    from the stored file, and the orientation was applied first."""
    data = camera_jpeg(64, 48)
    assert b"PhoneCo" in data and b"SN-0451" in data
    image = images.process_image(data, LIMITS)
    assert (image.width, image.height) == (48, 64)  # rotated 90°
    for stored in (image.data, image.thumbnail):
        assert b"Exif" not in stored and b"PhoneCo" not in stored and b"SN-0451" not in stored
        assert b"taken at home" not in stored
        with Image.open(io.BytesIO(stored)) as picture:
            assert not picture.getexif()
            assert picture.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
            # The blue half was on the left; turned upright it is at the top.
            middle = picture.width // 2
            top, bottom = picture.getpixel((middle, 2)), picture.getpixel((middle, picture.height - 3))
            assert top[2] > 200 and bottom[0] > 200


@pytest.mark.parametrize("format", ["JPEG", "WEBP", "PNG"])
@pytest.mark.parametrize(
    "profile",
    [
        imagefactory.profile_with_html(),  # a profile that works, with 4 KB of HTML in it
        imagefactory.PROFILE_HTML,  # HTML alone: no profile at all
        b"\0" * 128 + b"acsp",  # a header and nothing else
    ],
    ids=["profile with HTML", "HTML", "header only"],
)
def test_a_colour_profile_is_never_stored(format, profile):
    """The sender's ICC profile is bytes they chose: the pixels are converted to sRGB
    (if the profile can be applied; else it is ignored, as browsers ignore it) and
    the stored file has no profile, nor a byte of the HTML."""
    image = images.process_image(imagefactory.with_profile(format, profile), LIMITS)
    with Image.open(io.BytesIO(image.data)) as stored:
        kept = (stored.format, stored.info.get("icc_profile"), b"<script>" in image.data)
    assert kept == (format, None, False)


@pytest.mark.parametrize("format", ["JPEG", "WEBP", "PNG"])
def test_colours_are_converted_to_srgb_through_the_profile(format):
    """Pixels of (200, 30, 30) whose profile says they are a blue are stored blue, the
    thumbnail too; with an sRGB profile, the colours are those of the same image without one."""
    swapped_profile = imagefactory.profile_red_blue_swapped()
    swapped = images.process_image(imagefactory.with_profile(format, swapped_profile), LIMITS)
    srgb = images.process_image(imagefactory.with_profile(format, imagefactory.srgb_profile()), LIMITS)
    plain = images.process_image(imagefactory.with_profile(format, b""), LIMITS)  # b"": no profile
    for data in (swapped.data, swapped.thumbnail):
        red, _, blue = Image.open(io.BytesIO(data)).convert("RGB").getpixel((4, 4))
        assert red < 60 and blue > 170
    assert pixels_of(srgb.data) == pixels_of(plain.data)


@pytest.mark.parametrize(
    "data",
    [
        imagefactory.png_with_script_appended(),
        imagefactory.gif() + b"<html><script>alert(1)</script></html>",
        encode(Image.new("P", (5, 5)), "GIF", comment=b"<script>alert(1)</script>"),
        encode(Image.new("RGB", (5, 5)), "PNG", pnginfo=None) + b"<?php system($_GET[1]); ?>",
        animated("GIF", comment=b"<script>alert(1)</script>") + b"<html>",
    ],
    ids=["png+script", "gif+html", "gif comment", "png+php", "animated gif comment+html"],
)
def test_polyglots_are_stored_without_what_rode_along(data):
    """What is stored is only the pixels Pillow decoded, encoded again."""
    image = images.process_image(data, LIMITS)
    assert b"<script" not in image.data and b"<html" not in image.data and b"<?php" not in image.data
    assert pixels_of(image.data) == pixels_of(data)


@pytest.mark.parametrize("format", ["GIF", "WEBP"])
def test_animations_keep_their_frames_durations_and_loop(format):
    image = images.process_image(animated(format), LIMITS)
    with Image.open(io.BytesIO(image.data)) as stored:
        durations = []
        for number in range(stored.n_frames):
            stored.seek(number)
            stored.load()
            durations.append(stored.info["duration"])
        assert (stored.n_frames, durations, stored.info["loop"]) == (3, [100, 200, 300], 0)
    with Image.open(io.BytesIO(image.thumbnail)) as thumbnail:  # the first frame
        assert thumbnail.getpixel((5, 5))[0] < 30


def test_thumbnails_fit_250_pixels_and_are_never_enlarged():
    big = images.process_image(encode(Image.new("RGB", (1000, 400)), "PNG"), LIMITS)
    assert (big.thumbnail_width, big.thumbnail_height) == (250, 100)
    tall = images.process_image(encode(Image.new("RGB", (300, 600)), "PNG"), LIMITS)
    assert (tall.thumbnail_width, tall.thumbnail_height) == (125, 250)
    small = images.process_image(imagefactory.png(40, 30), LIMITS)
    assert (small.thumbnail_width, small.thumbnail_height) == (40, 30)
    other = images.process_image(imagefactory.png(400, 300), images.Limits(40_000_000, 10_000, 10**9, 100))
    assert (other.thumbnail_width, other.thumbnail_height) == (100, 75)


@pytest.mark.parametrize(
    "picture",
    [
        Image.new("RGBA", (20, 20), (0, 0, 0, 0)),
        Image.new("LA", (20, 20), (0, 0)),
        Image.new("P", (20, 20), 0),
    ],
    ids=["RGBA", "LA", "P with a transparent colour"],
)
def test_transparent_parts_of_a_thumbnail_are_white(picture):
    options = {"transparency": 0} if picture.mode == "P" else {}
    image = images.process_image(encode(picture, "PNG", **options), LIMITS)
    with Image.open(io.BytesIO(image.thumbnail)) as thumbnail:
        assert thumbnail.convert("RGB").getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["I;16", "1", "L", "CMYK"])
def test_every_colour_mode_gets_a_thumbnail(mode):
    format = "JPEG" if mode == "CMYK" else "PNG"
    image = images.process_image(encode(Image.new(mode, (300, 200)), format), LIMITS)
    assert (image.thumbnail_width, image.thumbnail_height) == (250, 167)


# --- decompression bombs and broken files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png_claiming(60000, 60000), "60000 × 60000"),
        (png_claiming(20000, 2001), "20000 × 2001"),  # 40,020,000 pixels: just over 40 megapixels
        (png_claiming(10001, 1), "10001 × 1"),  # a side over 10,000
        (gif_claiming(60000, 60000), "60000 × 60000"),
    ],
    ids=["png 3.6 gigapixels", "png over 40 megapixels", "png too wide", "gif 3.6 gigapixels"],
)
def test_pixel_bombs_are_refused_from_their_header_with_their_size(data, size, monkeypatch):
    monkeypatch.setattr(images.Image, "open", None)  # never reached: refused before decoding
    with pytest.raises(images.ImageRefused) as refused:
        images.process_image(data, LIMITS)
    assert str(refused.value) == (
        f"This image is {size} pixels; images can be at most 40 megapixels and 10000 pixels on a side."
    )


def test_an_animation_over_its_pixel_budget_is_refused_before_its_frames_are_decoded(monkeypatch):
    limits = images.Limits(40_000_000, 10_000, max_animation_pixels=500, thumbnail_size=250)
    assert images.process_image(animated("GIF", frames=2), limits).kind == "gif"  # 400 pixels: fine
    monkeypatch.setattr(images.Image, "open", None)
    with pytest.raises(images.ImageRefused, match=r"20 × 10 pixels and 3 frames; .* 0.0005 megapixels"):
        images.process_image(animated("GIF"), limits)


@pytest.mark.parametrize("over", [1.5, 3])
def test_pillows_own_bomb_check_is_an_error_too(monkeypatch, over):
    """With our caps set higher than Pillow's limit, Pillow's warning (over its
    limit) and its error (over twice its limit) both refuse the image."""
    monkeypatch.setattr(images.Image, "MAX_IMAGE_PIXELS", int(1200 / over))
    generous = images.Limits(10**12, 10**6, 10**12, 250)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not even a warning would do: it must be an error
        with pytest.raises(images.ImageRefused, match="This image is 40 × 30 pixels"):
            images.process_image(imagefactory.png(40, 30), generous)


def every_cut(data, tail=0):
    """Every start of `data` shorter than it, up to `tail` bytes from the end."""
    return [data[:length] for length in range(len(data) - tail)]


@pytest.mark.parametrize(
    "data",
    [
        # Every cut. (A GIF's last two bytes carry no pixels, nor do the last four of
        # a PNG, IEND's checksum: Pillow does not miss them, and the stored file,
        # encoded again, has them. A PNG's other checksums and its IEND are
        # checked: see images.process_image.)
        *every_cut(imagefactory.png(5, 4), tail=4),
        *every_cut(imagefactory.jpeg()),
        *every_cut(imagefactory.gif(), tail=2),
        *every_cut(imagefactory.webp_lossy()),
        imagefactory.truncated_png(),
        imagefactory.magic_only_png(),
        imagefactory.svg_with_script(),
        imagefactory.html_page(),
        imagefactory.gif_header_with_script(),
        b"RIFF\0\0\0\0WEBP",
        camera_jpeg(640, 480)[:-2000],  # a photo cut short: the header is perfect
    ],
    ids=lambda data: f"{len(data)} bytes",
)
def test_incomplete_and_hostile_files_are_refused_never_an_exception(data):
    with pytest.raises(images.ImageRefused, match="not a complete PNG, JPEG, GIF or WebP image"):
        images.process_image(data, LIMITS)


@pytest.mark.parametrize(
    "data",
    [
        imagefactory.gif_frame_larger_than_its_screen(),  # Pillow's bomb error, raised as it reads the header
        imagefactory.webp_canvas_bomb(),  # the same, for a WebP's canvas
        imagefactory.gif_with_colours_only_in_its_second_frame(),  # an AssertionError in Pillow's GIF encoder
    ],
    ids=["GIF frame of 65535 x 65535", "WebP canvas of 16383 x 16383", "GIF encoder's assertion"],
)
def test_small_hostile_images_are_refused_never_an_exception(data):
    with pytest.raises(images.ImageRefused, match="not a complete PNG, JPEG, GIF or WebP image"):
        images.process_image(data, LIMITS)


def test_any_exception_from_pillow_is_a_refusal(monkeypatch):
    """Not only the errors a broken file usually raises: whatever Pillow raises while it
    reads, decodes or writes an upload (here: an encoder that fails as no encoder should)."""

    def broken_save(*args, **kwargs):
        raise ZeroDivisionError("an encoder's bug")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(images.ImageRefused, match="not a complete"):
        images.process_image(imagefactory.png(), LIMITS)


def test_only_our_four_decoders_are_used():
    """Pillow reads dozens of formats; a BMP, TIFF or ICO named .png is not an image here."""
    for format in ("BMP", "TIFF", "ICO", "PPM"):
        with pytest.raises(images.ImageRefused):
            images.process_image(encode(Image.new("RGB", (4, 4)), format), LIMITS)


# --- videos.inspect_video ------------------------------------------------------------------------


def test_a_webm_is_stored_as_it_is():
    assert videos.inspect_video(webm()) == ("webm", webm())


def test_matroska_that_is_not_webm_is_refused():
    assert videos.inspect_video(webm(doctype=b"matroska")) is None


def test_an_mp4_loses_its_metadata_boxes_and_keeps_its_offsets():
    data = mp4()
    kind, stored = videos.inspect_video(data)
    assert kind == "mp4" and len(stored) == len(data)
    assert b"udta" not in stored and b"meta" not in stored
    assert b"+52.3667" not in stored and b"SN-0451" not in stored
    assert stored.count(b"free") == 3  # the trak's udta, the moov's udta and meta
    # Everything else is byte for byte where it was: the mdat, every box header.
    assert stored[-108:] == data[-108:]
    assert videos.read_boxes(stored, 0, len(stored))[-1][1:] == videos.read_boxes(data, 0, len(data))[-1][1:]


def test_an_mp4_without_metadata_is_stored_as_it_is():
    assert videos.inspect_video(mp4(with_metadata=False)) == ("mp4", mp4(with_metadata=False))


@pytest.mark.parametrize("brand", [b"isom", b"mp42", b"avc1", b"dash"])
def test_the_common_mp4_brands_are_accepted(brand):
    assert videos.inspect_video(mp4(brand))[0] == "mp4"


def test_64_bit_and_to_the_end_box_sizes():
    head = box(b"ftyp", b"mp42\0\0\0\0") + box(b"moov", box(b"mvhd", bytes(100)))
    mdat = b"\x00\x01" * 20
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + len(mdat)) + mdat
    assert videos.inspect_video(head + large)[0] == "mp4"
    assert videos.inspect_video(head + struct.pack(">I4s", 0, b"mdat") + mdat)[0] == "mp4"


@pytest.mark.parametrize(
    "data",
    [
        mp4(brand=b"qt  "),  # QuickTime: not an MP4 browsers are sure to play
        box(b"ftyp", b"isom\0\0\0\0") + box(b"mdat", b"x"),  # no moov
        box(b"ftyp", b"isom\0\0\0\0") + box(b"moov"),  # no mdat
        box(b"moov") + box(b"ftyp", b"isom\0\0\0\0") + box(b"mdat"),  # ftyp not first
        box(b"ftyp", b"is") + box(b"moov") + box(b"mdat"),  # no room for a brand
        mp4() + b"\0\0\0",  # a box header cut short
        mp4()[:-1],  # the last box runs past the end
        box(b"ftyp", b"isom\0\0\0\0") + struct.pack(">I4s", 4, b"moov") + box(b"mdat"),  # size under 8
        box(b"ftyp", b"isom\0\0\0\0") + struct.pack(">I4sQ", 1, b"mdat", 8),  # largesize under 16
        box(b"ftyp", b"isom\0\0\0\0") + struct.pack(">I4s", 1, b"mdat"),  # largesize missing
        box(b"ftyp", b"isom\0\0\0\0") + box(b"moov", b"\0\0\0\x30trak") + box(b"mdat"),  # broken inside moov
        webm()[:-1],
        webm()[:30],
        b"\x1a\x45\xdf\xa3\x00",  # a size byte of zero is no size
        ebml(b"\x1a\x45\xdf\xa3", ebml(b"\x42\x82", b"webm")[:-1]),  # the DocType runs past the header
        ebml(b"\x1a\x45\xdf\xa3", ebml(b"\x42\x82", b"webm")) + ebml(b"\x1f\x43\xb6\x75", b""),  # no Segment
        imagefactory.png(),
        b"",
    ],
)
def test_broken_and_foreign_containers_are_refused(data):
    assert videos.inspect_video(data) is None


def test_an_mp4_of_boxes_nested_2000_deep_is_refused_never_an_exception():
    assert videos.inspect_video(imagefactory.mp4_of_nested_traks()) is None
    # As deep as real files go (moov > trak > mdia > minf > stbl), and deeper, is fine.
    assert videos.inspect_video(imagefactory.mp4_of_nested_traks(6))[0] == "mp4"


@pytest.mark.parametrize(
    "data",
    [
        imagefactory.mp4_with_html_box_at_the_top(),
        imagefactory.mp4() + box(b"uuid", bytes(16)) + box(b"html", b"<script>alert(1)</script>"),
        imagefactory.mp4_with_html_left_in_mdia(),
        mp4() + b"<html><script>alert(1)</script></html>",
        imagefactory.webm_with_html_after(),
        imagefactory.webm_recording_with_html_after(),
        imagefactory.webm_recording() + webm(),  # a second EBML header: not a Segment's element
        webm() + ebml(b"\xec", bytes(10)),  # a Void after the Segment: nothing may follow it
        # a Cluster of known size that holds an Info
        webm()[:-14] + ebml(b"\x18\x53\x80\x67", ebml(b"\x1f\x43\xb6\x75", ebml(b"\x15\x49\xa9\x66", b""))),
        # an Info of unknown size: only Segments and Clusters may have one
        webm()[:-14] + b"\x18\x53\x80\x67" + imagefactory.EBML_UNKNOWN_SIZE + b"\x15\x49\xa9\x66"
        + imagefactory.EBML_UNKNOWN_SIZE,
    ],
    ids=["MP4 + html box", "MP4 + uuid + html box", "MP4 with HTML in mdia", "MP4 + HTML",
         "WebM + HTML", "live WebM + HTML", "live WebM + WebM", "WebM + Void",
         "Cluster holding an Info", "Info of unknown size"],
)  # fmt: skip
def test_a_video_with_bytes_outside_its_container_is_refused(data):
    assert videos.inspect_video(data) is None


def test_a_recording_of_unknown_size_is_stored_as_it_is():
    recording = imagefactory.webm_recording(clusters=3)
    assert videos.inspect_video(recording) == ("webm", recording)


def test_the_padding_and_uuid_boxes_of_an_mp4_are_blanked_too():
    """free, skip and uuid boxes are allowed (at the top, as anywhere), but whatever
    they held is not stored: they become free boxes of zeros."""
    padding = box(b"free", b"<script>1</script>") + box(b"uuid", b"<script>2</script>")
    data = mp4(with_metadata=False) + padding
    kind, stored = videos.inspect_video(data)
    assert (kind, len(stored), b"<script>" in stored, stored.count(b"free")) == ("mp4", len(data), False, 2)


def test_every_cut_of_a_video_is_refused_never_an_exception():
    for data in (mp4(), webm()):
        for cut in every_cut(data)[1:]:
            assert videos.inspect_video(cut) is None or cut == data[: len(cut)]


def test_kinds_by_name_and_by_first_bytes():
    assert (videos.kind_for_filename("a.WebM"), videos.kind_for_filename("a.mp4")) == ("webm", "mp4")
    assert videos.kind_for_filename("a.mkv") is None
    assert (videos.kind_of(webm()), videos.kind_of(mp4()), videos.kind_of(b"GIF89a")) == ("webm", "mp4", None)


# --- uploads through the forms ---------------------------------------------------------------


def post_with_file(client, name, data, body="pic"):
    thread_id = create_thread(client)
    return thread_id, reply(client, thread_id, body, image=(name, data))


def api_image(client, thread_id, index=-1):
    return client.get(f"/api/threads/{thread_id}/posts").json["posts"][index]["image"]


def test_a_photo_is_stored_upright_without_exif_under_its_sha256(client, upload_folder):
    thread_id, response = post_with_file(client, "holiday.jpg", camera_jpeg(640, 480))
    assert response.status_code == 303
    image = api_image(client, thread_id)
    stored = client.get(image["url"]).data
    assert hashlib.sha256(stored).hexdigest() == image["sha256"]
    assert image["url"].endswith(f"/uploads/{image['sha256'][:2]}/{image['sha256']}.jpg")
    assert image["thumbnail_url"].endswith(f"/uploads/{image['sha256'][:2]}/{image['sha256']}.thumb.jpg")
    assert (image["width"], image["height"], image["size"]) == (480, 640, len(stored))
    assert b"PhoneCo" not in stored and b"Exif" not in stored
    assert {path.name for path in stored_files(upload_folder)} == {
        f"{image['sha256']}.jpg",
        f"{image['sha256']}.thumb.jpg",
    }


def test_the_page_shows_the_thumbnail_linked_to_the_full_image_with_its_details(client):
    thread_id, _ = post_with_file(client, "<img src=x onerror=alert(1)> & co.png", imagefactory.png(1000, 40))
    image = api_image(client, thread_id)
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    name = "&lt;img src=x onerror=alert(1)&gt; &amp; co.png"
    assert f'>{name}</a> ({uploads.file_size(image["size"])}, 1000×40)</p>' in html
    full = image["url"].removeprefix("http://localhost")
    thumbnail = image["thumbnail_url"].removeprefix("http://localhost")
    assert (
        f'<a class="post-image" href="{full}"><img src="{thumbnail}"\n'
        f'       width="250" height="10" alt="{name}" loading="lazy"></a>'
    ) in html
    assert image_urls_in(html) == [thumbnail]


def test_the_same_file_twice_is_stored_once_and_kept_while_a_post_uses_it(app, client, upload_folder):
    data = imagefactory.png(30, 20)
    first, _ = post_with_file(client, "one.png", data)
    second, _ = post_with_file(client, "two.png", data)
    assert api_image(client, first)["url"] == api_image(client, second)["url"]
    assert len(stored_files(upload_folder)) == 2  # one file, one thumbnail
    moderator = staff_client(app, "milo")
    delete = f"/mod/threads/{first}/delete"
    assert moderator.post(delete, data={"csrf_token": csrf_of(moderator)}).status_code == 303
    assert len(stored_files(upload_folder)) == 2  # the second thread still shows it
    assert client.get(api_image(client, second)["url"]).status_code == 200
    delete = f"/mod/threads/{second}/delete"
    assert moderator.post(delete, data={"csrf_token": csrf_of(moderator)}).status_code == 303
    assert stored_files(upload_folder) == []


def csrf_of(client):
    from forum import csrf_token

    return csrf_token(client.get("/mod/").get_data(as_text=True))


@pytest.mark.parametrize(("name", "data", "label"), [("clip.webm", webm(), "WebM video"),
                                                     ("clip.MP4", mp4(), "MP4 video")])  # fmt: skip
def test_a_video_is_stored_and_shown_with_a_player(client, upload_folder, name, data, label):
    thread_id, response = post_with_file(client, name, data)
    assert response.status_code == 303
    image = api_image(client, thread_id)
    assert (image["width"], image["height"], image["thumbnail_url"]) == (None, None, None)
    assert image["content_type"] == f"video/{label.split()[0].lower()}"
    full = image["url"].removeprefix("http://localhost")
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert f'<video class="post-video" controls preload="metadata" src="{full}"></video>' in html
    assert f"({len(data)} B, {label})" in html
    assert "autoplay" not in html
    assert len(stored_files(upload_folder)) == 1  # no thumbnail
    # Served with its type, and a part at a time: a player can seek.
    response = client.get(full, headers={"Range": "bytes=0-9"})
    assert (response.status_code, response.mimetype, response.data) == (206, image["content_type"], data[:10])
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_mp4_is_stored_without_its_metadata(client):
    thread_id, _ = post_with_file(client, "clip.mp4", mp4())
    stored = client.get(api_image(client, thread_id)["url"]).data
    assert len(stored) == len(mp4()) and b"+52.3667" not in stored and b"udta" not in stored


MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.mp4", imagefactory.png(), "The file name says MP4, but it is a PNG image."),
        ("a.png", mp4(), "The file name says PNG, but it is a MP4 video."),
        ("a.webm", mp4(), "The file name says WEBM, but it is a MP4 video."),
        ("a.gif", imagefactory.png(), "The file name says GIF, but it is a PNG image."),
        ("a.mkv", webm(), "Only PNG, JPEG, GIF and WebP images and WebM and MP4 videos can be uploaded."),
        ("a.webm", b"\x1a\x45\xdf\xa3 not really", "This file is not a complete WebM or MP4 video."),
        ("a.mp4", b"", "The file is empty"),
        ("a.mp4", b"\0" * (16 * MIB + 1), "Videos can be at most 16 MiB; this one is 16.1 MiB."),
        ("a.png", png_claiming(60000, 60000), "This image is 60000 × 60000 pixels"),
        ("a.gif", gif_claiming(60000, 60000), "This image is 60000 × 60000 pixels"),
        ("a.jpg", camera_jpeg(640, 480)[:-2000], "This file is not a complete PNG, JPEG, GIF or WebP image."),
    ],
)
def test_refused_files_get_the_form_again_and_store_nothing(client, upload_folder, name, data, message):
    thread_id, response = post_with_file(client, name, data, body="my words")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'role="alert"' in html and "my words" in html
    assert stored_files(upload_folder) == []
    assert len(client.get(f"/api/threads/{thread_id}/posts").json["posts"]) == 1


def test_the_forms_say_what_can_be_uploaded(client):
    html = client.get("/boards/astronomy").get_data(as_text=True)
    assert "up to 4 MiB;\n  or a WebM or MP4 video, up to 16 MiB" in html
    assert 'accept="image/png,image/jpeg,image/gif,image/webp,video/webm,video/mp4"' in html


def test_a_request_over_17_mib_says_both_limits(client):
    thread_id = create_thread(client)
    response = reply(client, thread_id, image=("big.mp4", b"\0" * (17 * MIB + 1)))
    assert response.status_code == 413
    assert "larger than 17 MiB in all (images can be up to 4 MiB, videos up to 16 MiB)" in response.get_data(
        as_text=True
    )


def test_file_sizes_for_people():
    sizes = (0, 512, 1023, 1024, 1025, 348_000, MIB - 1, MIB, 1_258_291)
    assert [uploads.file_size(size) for size in sizes] == [
        "0 B", "512 B", "1023 B", "1 KiB", "2 KiB", "340 KiB", "1.0 MiB", "1.0 MiB", "1.2 MiB",
    ]  # fmt: skip


# --- storage: race-free sharing --------------------------------------------------------------------


def described(app, data=None, name="x.png"):
    """A checked upload's description, as boards.py hands it to posting.py."""
    with app.test_request_context():
        checked = upload_checks.check_image(data or imagefactory.png(7, 5), "png", name)
        return upload_storage.describe_upload(checked)


def test_files_are_written_in_the_posts_transaction_and_again_if_they_went_missing(
    app, posting, upload_folder
):
    """The uploader's half of the rule: the post's transaction writes the files,
    unless they are there (another post has them). A deleter may have removed
    them a moment before (when no post used them): they are written again."""
    thread = posting.add_thread("astronomy", "T", "x")
    image = described(app)
    assert stored_files(upload_folder) == []  # nothing written before the post's transaction
    posting.add_reply(thread.id, "pic", upload=image)
    files = stored_files(upload_folder)
    assert len(files) == 2
    for path in files:
        path.unlink()  # as a deleter would have, had the post not been stored yet
    posting.add_reply(thread.id, "same pic", upload=described(app))
    assert stored_files(upload_folder) == files
    assert upload_folder.joinpath(image["path"]).read_bytes() == image["contents"][image["path"]]


def test_a_failed_post_keeps_a_file_another_post_uses(app, client, upload_folder, monkeypatch):
    data = imagefactory.png(9, 9)
    post_with_file(client, "kept.png", data)
    files = stored_files(upload_folder)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("chatsite.posting.add_reply", broken)
    thread_id = create_thread(client)
    assert reply(client, thread_id, image=("again.png", data)).status_code == 500
    assert stored_files(upload_folder) == files
    assert reply(client, thread_id, image=("new.png", imagefactory.png(10, 9))).status_code == 500
    assert stored_files(upload_folder) == files  # a file no post uses goes again


def remove_unused(app, images):
    """chatsite.files.remove_unused, in an app context of its own."""
    with app.app_context():
        chatsite.files.remove_unused(images)


def test_remove_unused_files_keeps_used_files_and_removes_files_from_before_0006(app, posting, upload_folder):
    thread = posting.add_thread("astronomy", "T", "x")
    used = posting.add_reply(thread.id, "pic", upload=described(app, imagefactory.png(3, 3))).image
    gone = posting.add_reply(thread.id, "gone", upload=described(app, imagefactory.png(4, 3)))
    with app.app_context():
        db.session.execute(text("DELETE FROM images WHERE post_id = :id"), {"id": gone.id})  # files stay
        db.session.commit()
    old = ImageRow(sha256=None, path="astronomy/2026/01/old.png", thumbnail_path=None)
    upload_folder.joinpath("astronomy/2026/01").mkdir(parents=True)
    upload_folder.joinpath(old.path).write_bytes(b"old")
    remove_unused(app, [used, gone.image, old])
    assert {path.relative_to(upload_folder).as_posix() for path in stored_files(upload_folder)} == {
        used.path,
        used.thumbnail_path,
    }


# PostgreSQL only: SQLite's write transactions take turns by themselves.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_removal_waits_for_the_files_lock(app, posting, upload_folder, database_url):
    """The deleter's transaction takes pg_advisory_xact_lock on the SHA-256, as
    the uploader's does: while another transaction holds it, nothing is removed."""
    thread = posting.add_thread("astronomy", "T", "x")
    image = posting.add_reply(thread.id, "pic", upload=described(app)).image
    with app.app_context():
        db.session.execute(text("DELETE FROM images"))  # the post's row goes, its files stay
        db.session.commit()
    key = int.from_bytes(bytes.fromhex(image.sha256[:16]), "big", signed=True)
    with app.app_context(), db.engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        remover = threading.Thread(target=remove_unused, args=(app, [image]))
        remover.start()
        remover.join(timeout=0.5)
        assert remover.is_alive() and len(stored_files(upload_folder)) == 2
        holder.rollback()  # the lock goes with the transaction
    remover.join(timeout=10)
    assert stored_files(upload_folder) == []


# --- pages, APIs and commands with the new files ------------------------------------------------------


def test_an_image_stored_before_0006_is_shown_whole(client, posting):
    """No sha256, no thumbnail: the page shows the image itself, as before."""
    old = {"path": "astronomy/2026/01/old.png", "content_type": "image/png", "size": 2048, "width": 640,
           "height": 480, "original_name": "old.png", "md5": None}  # fmt: skip
    thread = posting.add_thread("astronomy", "Old", "", upload=old)
    html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert (
        '<a class="post-image" href="/uploads/astronomy/2026/01/old.png">'
        '<img src="/uploads/astronomy/2026/01/old.png"\n'
        '       width="640" height="480" alt="old.png" loading="lazy"></a>'
    ) in html
    assert "(2 KiB, 640×480)" in html
    image = api_image(client, thread.id)
    assert (image["thumbnail_url"], image["sha256"]) == (None, None)
    entry = client.get("/astronomy/catalog.json").json[0]["threads"][0]
    assert (entry["tn_w"], entry["tn_h"]) == (250, 188)  # scaled down, as before
    assert client.get(f"/astronomy/{entry['tim']}s.jpg").status_code == 404  # no such file in this test


def test_the_4chan_api_serves_the_real_thumbnail_and_videos(client):
    thread_id = create_thread(client, image=("photo.jpg", camera_jpeg(640, 480)))
    reply(client, thread_id, "a clip", image=("clip.webm", webm()))
    opening, clip = client.get(f"/astronomy/thread/{post_number(client, thread_id)}.json").json["posts"]
    assert (opening["w"], opening["h"], opening["tn_w"], opening["tn_h"]) == (480, 640, 187, 250)
    thumbnail = client.get(f"/astronomy/{opening['tim']}s.jpg")
    assert thumbnail.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(thumbnail.data)).size == (187, 250)
    full = client.get(f"/astronomy/{opening['tim']}.jpg").data
    assert (len(full), opening["md5"]) == (opening["fsize"], images.md5_base64(full))
    assert (clip["ext"], clip["w"], clip["h"], clip["tn_w"], clip["tn_h"]) == (".webm", 0, 0, 0, 0)
    assert clip["fsize"] == len(webm()) and clip["md5"] == images.md5_base64(webm())
    assert client.get(f"/astronomy/{clip['tim']}.webm").data == webm()
    assert client.get(f"/astronomy/{clip['tim']}s.jpg").status_code == 404


def post_number(client, thread_id):
    return client.get(f"/api/threads/{thread_id}/posts").json["posts"][0]["id"]


def test_prune_uploads_knows_thumbnails(client, runner, upload_folder):
    import os
    import time

    create_thread(client, image=("kept.png", imagefactory.png()))
    kept = stored_files(upload_folder)
    orphan = upload_folder / "ab" / ("ab" * 32 + ".thumb.jpg")
    orphan.parent.mkdir()
    orphan.write_bytes(b"x")
    an_hour_ago = time.time() - 2 * 60 * 60
    for path in [*kept, orphan]:
        os.utime(path, (an_hour_ago, an_hour_ago))
    assert "Removed 1 file" in runner.invoke(args=["prune-uploads"]).output
    assert stored_files(upload_folder) == kept


def test_0006_keeps_the_images_stored_before_it(app):
    """0005 -> 0006 on a database with an image: it keeps its path, gets no
    sha256 or thumbnail; 0006 -> 0005 gives the table back as it was."""

    def sql(statement):
        with db.engine.begin() as connection:
            result = connection.execute(text(statement))
            return result.all() if result.returns_rows else None

    with app.app_context():
        downgrade(revision="0005")
        sql("INSERT INTO threads (board, title, created_at, bumped_at, bump_order, reply_count, post_count) "
            "VALUES ('astronomy', 'Old', '2026-01-01', '2026-01-01', 1, 0, 1)")  # fmt: skip
        sql("INSERT INTO posts (thread_id, body, created_at) VALUES (1, '', '2026-01-01')")
        sql("INSERT INTO images (post_id, path, content_type, size, width, height, original_name) "
            "VALUES (1, 'astronomy/2026/01/a.png', 'image/png', 10, 4, 3, 'a.png')")  # fmt: skip
        upgrade()
        image = chatsite.reading.thread_posts(1)[0].image
        assert image.path == "astronomy/2026/01/a.png"
        assert (image.sha256, image.thumbnail_path) == (None, None)
        db.session.remove()
        downgrade(revision="0005")
        assert sql("SELECT path, width FROM images") == [("astronomy/2026/01/a.png", 4)]
        upgrade()


def test_an_animated_png_without_a_loop_count_stays_animated():
    pictures = [Image.new("RGB", (8, 8), (number * 100, 0, 0)) for number in range(2)]
    data = encode(pictures[0], "PNG", save_all=True, append_images=pictures[1:], duration=[50, 70])
    image = images.process_image(data, LIMITS)
    with Image.open(io.BytesIO(image.data)) as stored:
        assert (stored.format, stored.n_frames) == ("PNG", 2)


def test_a_failed_post_removes_the_files_it_wrote(app, client, upload_folder, monkeypatch, caplog):
    """The files are written in the post's transaction; if it then fails, they go
    again. Should the database be unreachable for that too, they stay (for
    `flask prune-uploads`), and the log says so."""
    thread_id = create_thread(client)

    def broken(*args, **kwargs):
        raise RuntimeError("something after the files")

    monkeypatch.setattr("chatsite.posting.record_event", broken)
    assert reply(client, thread_id, image=("a.png", imagefactory.png(5, 5))).status_code == 500
    assert stored_files(upload_folder) == []

    def unreachable(images):
        raise OperationalError("SELECT", {}, Exception("the database went away"))

    monkeypatch.setattr("chatsite.files.remove_unused", unreachable)
    assert reply(client, thread_id, image=("a.png", imagefactory.png(5, 5))).status_code == 500
    assert len(stored_files(upload_folder)) == 2
    assert "Could not remove the unused file" in caplog.text


def test_a_video_name_of_hidden_characters_only_is_shown_as_video(client):
    thread_id, response = post_with_file(client, "\u200b" * 300 + ".webm", webm())
    assert response.status_code == 303
    assert api_image(client, thread_id)["original_name"] == "video.webm"


def test_uploads_serves_only_the_types_it_stores(client, upload_folder):
    upload_folder.mkdir()
    (upload_folder / "notes.txt").write_text("hello")
    assert client.get("/uploads/notes.txt").status_code == 404


def test_a_photo_of_several_megabytes_is_accepted(client):
    """A real photo's bytes hold CR and LF everywhere: Werkzeug keeps the few bytes
    after one at the end of each 64 KiB read (they may start a boundary) and
    checks them, with the next read, against MAX_FORM_MEMORY_SIZE. At exactly
    64 KiB that refused most photos with 413 (config.py)."""
    noise = Image.effect_noise((1200, 900), 64).convert("RGB")
    data = encode(noise, "JPEG", quality=95)
    assert len(data) > 1_000_000 and data.count(b"\r") > 1000 and data.count(b"\n") > 1000
    thread_id, response = post_with_file(client, "noise.jpg", data)
    assert response.status_code == 303
    assert (api_image(client, thread_id)["width"], api_image(client, thread_id)["height"]) == (1200, 900)


# --- what decoding may cost: frames, scans, time, memory, and how many at once --------------


def test_frames_and_jpeg_scans_are_counted_before_decoding(monkeypatch):
    """A 1.6 MB GIF of 110,000 frames of 1 x 1 and a JPEG of 62,300 nearly empty scans
    are under every pixel cap, and took a worker half a minute to decode: both are
    refused from a walk of their blocks, before Pillow opens them."""
    assert images.process_image(imagefactory.gif_with_many_frames(1000), LIMITS).kind == "gif"
    assert images.process_image(imagefactory.jpeg_with_many_scans(100), LIMITS).kind == "jpeg"
    monkeypatch.setattr(images.Image, "open", None)  # never reached: refused before decoding
    three_frames = replace(LIMITS, max_frames=3)
    for data, limits, message in [
        (imagefactory.gif_with_many_frames(110_000), LIMITS, "more than 1000 frames; animations can"),
        (imagefactory.jpeg_with_many_scans(62_300), LIMITS, "more than 100 scans; JPEG images can"),
        (animated("WEBP", frames=4), three_frames, "more than 3 frames"),
        (animated("PNG", frames=4), three_frames, "more than 3 frames"),
    ]:
        with pytest.raises(images.ImageRefused, match=message):
            images.process_image(data, limits)


def test_the_child_process_stores_what_process_image_makes():
    """image_child.process_image_in_child: the same bytes, thumbnail and sizes, and the same refusals."""
    for data in (camera_jpeg(), animated("GIF"), imagefactory.png(40, 30)):
        in_child = image_child.process_image_in_child(data, LIMITS, 30, 1024**3)
        assert in_child == images.process_image(data, LIMITS)
    with pytest.raises(images.ImageRefused, match="This image is 60000 × 60000 pixels"):
        image_child.process_image_in_child(png_claiming(60000, 60000), LIMITS, 30, 1024**3)
    with pytest.raises(images.ImageRefused, match="not a complete PNG"):
        image_child.process_image_in_child(camera_jpeg()[:-200], LIMITS, 30, 1024**3)


def test_a_decode_over_its_time_or_memory_is_stopped_and_refused():
    """The child is killed after its seconds; over its memory, decoding fails: a
    refusal either way, never an exception or a stalled worker. (A 36-megapixel
    picture needs ~110 MB to decode; 5000 scans of it take seconds.)"""
    slow = imagefactory.jpeg_with_many_scans(5000, 6000, 6000)
    with pytest.raises(images.ImageRefused, match=r"took too long to decode \(over 1 seconds\)"):
        image_child.process_image_in_child(slow, replace(LIMITS, max_jpeg_scans=10_000), 1, 1024**3)
    big = imagefactory.picture(6000, 6000)
    with pytest.raises(images.ImageRefused):
        image_child.process_image_in_child(big, LIMITS, 30, 100 * 1024**2)


def test_at_most_image_decodes_per_worker_at_once_then_503(app, client, upload_folder):
    """A burst of uploads waits for one of the worker's IMAGE_DECODES_PER_WORKER
    turns; with none free within IMAGE_DECODE_TIMEOUT, 503 and nothing stored."""
    app.config.update(IMAGE_DECODES_PER_WORKER=1, IMAGE_DECODE_TIMEOUT=0.5)
    thread_id = create_thread(client)
    slots = app.extensions.setdefault("image_decode_slots", threading.BoundedSemaphore(1))
    with slots:  # another upload is being decoded
        busy = reply(client, thread_id, "my words", image=("a.png", imagefactory.png()))
    assert (busy.status_code, stored_files(upload_folder)) == (503, [])
    assert reply(client, thread_id, "again", image=("a.png", imagefactory.png())).status_code == 303


def post_file(url, thread_id, name, data):
    """POST a reply with a file to a live server, as its form would; return the status."""
    browser = LiveBrowser(url)
    _, page = browser.get(f"/threads/{thread_id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    boundary = "----decode-test"
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\nslow\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'.encode(),
            b"Content-Type: image/jpeg\r\n\r\n" + data + f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    request = urllib.request.Request(
        f"{url}/threads/{thread_id}/replies",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with browser.opener.open(request, timeout=120) as answer:
            return answer.status
    except urllib.error.HTTPError as answer:  # 303, 400, 503 land here (no redirects followed)
        return answer.code


@pytest.mark.live
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_site_answers_while_slow_images_are_decoded(tmp_path, database_url):
    """Under gunicorn as `make serve` runs it (gevent workers), 6 uploads at once
    that each take seconds to decode (the scan cap raised to let them through):
    the home page still answers meanwhile, and each upload is refused once its
    decoding ran out of time (400) or found no free turn (503). Decoded inside
    the workers, they stalled both workers, and the home page with them."""
    slow = imagefactory.jpeg_with_many_scans(5000, 6000, 6000)
    settings = {"MAX_JPEG_SCANS": "100000", "IMAGE_DECODE_TIMEOUT": "4"}
    with Gunicorn(tmp_path, database_url, workers=2, **settings) as server:
        thread_id, _ = start_thread(server.url)
        statuses = []

        def upload_slow_file():
            statuses.append(post_file(server.url, thread_id, "slow.jpg", slow))

        uploads = [threading.Thread(target=upload_slow_file) for _ in range(6)]
        for upload in uploads:
            upload.start()
        time.sleep(1)  # the uploads are on their way (they take seconds, whatever the machine)
        home = []
        for _ in range(3):
            with urllib.request.urlopen(server.url + "/", timeout=10) as answer:
                home.append(answer.status)
        still_decoding = sum(upload.is_alive() for upload in uploads)
        for upload in uploads:
            upload.join(timeout=120)
        log = server.log()
    assert home == [200, 200, 200]
    assert still_decoding > 0  # the home page answered while uploads were being decoded
    assert len(statuses) == 6 and set(statuses) <= {400, 503}, (statuses, log)
    assert [path for path in stored_files(server.upload_folder) if path.suffix == ".jpg"] == []
