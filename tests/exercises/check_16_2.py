"""Exercise 16.2 · Thumbnails that stay transparent.

A picture with transparent parts (a PNG with an alpha channel, a GIF with a
transparent colour) gets a WebP thumbnail that keeps them, named
<random name>.thumb.webp and served as image/webp. Every other picture keeps its
JPEG thumbnail, and so does a PNG whose alpha channel makes nothing
transparent. The thumbnails are read back through their addresses on the
page and opened with Pillow.
"""

import io

import imagefactory
from forum import BOARD, page, post_form
from helpers import alert_text
from PIL import Image

# A 400 x 300 picture: its thumbnail is 250 x 188.
SIZE = (400, 300)
THUMBNAIL_SIZE = (250, 188)


def pillow_file(image, format, **options):
    output = io.BytesIO()
    image.save(output, format, **options)
    return output.getvalue()


def half_transparent_png():
    """A 400 x 300 PNG (RGBA): its left half fully transparent, its right half opaque red."""
    image = Image.new("RGBA", SIZE, (255, 0, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, SIZE[0] // 2, SIZE[1]))
    return pillow_file(image, "PNG")


def gif_with_a_transparent_colour():
    """A 400 x 300 GIF (a palette): its left half in the colour that the GIF calls transparent."""
    image = Image.new("P", SIZE, 1)
    image.putpalette([255, 255, 255, 255, 0, 0] + [0, 0, 0] * 254)
    image.paste(0, (0, 0, SIZE[0] // 2, SIZE[1]))
    return pillow_file(image, "GIF", transparency=0)


def opaque_png_with_an_alpha_channel():
    """A 400 x 300 PNG in RGBA whose every pixel is opaque, as many screenshots are saved."""
    return pillow_file(Image.new("RGBA", SIZE, (37, 99, 235, 255)), "PNG")


def thumbnail_of(client, filename, data):
    """Post the picture in a new thread; return what its thumbnail is, as a reader gets it:
    (its address, the <img> attributes, the served answer)."""
    fields = {"title": "A picture", "body": "Look!"}
    answer = post_form(client, f"/boards/{BOARD}", f"/boards/{BOARD}/threads", fields, (filename, data))
    assert answer.status_code == 303, f"{filename} was refused ({answer.status_code}: {alert_text(answer)!r})"
    shown = page(client.get(answer.headers["Location"]))
    [img] = [img for img in shown.images() if img.get("src", "").startswith("/uploads/")]
    served = client.get(img.get("src"))
    assert served.status_code == 200, f"the thumbnail {img.get('src')} answers {served.status}"
    return img.get("src"), img.attrs, served


def alpha(thumbnail, x, y):
    """The alpha (0: transparent, 255: opaque) of one pixel of the thumbnail."""
    return thumbnail.convert("RGBA").getpixel((x, y))[3]


def assert_transparent_webp(address, attributes, served, what):
    assert address.endswith(".thumb.webp"), f"the thumbnail of {what} is {address}, not a <name>.thumb.webp"
    assert served.mimetype == "image/webp", f"the thumbnail of {what} is served as {served.mimetype}"
    thumbnail = Image.open(io.BytesIO(served.data))
    assert thumbnail.format == "WEBP", f"the thumbnail of {what} is a {thumbnail.format} file, not a WebP"
    assert thumbnail.size == THUMBNAIL_SIZE, f"the thumbnail of {what} is {thumbnail.size}, not 250 × 188"
    shown_size = (attributes.get("width"), attributes.get("height"))
    assert shown_size == ("250", "188"), f"its <img> says width and height {shown_size}, not 250 × 188"
    left, right = alpha(thumbnail, 10, 94), alpha(thumbnail, 240, 94)
    assert (left, right) == (0, 255), (
        f"in the thumbnail of {what}, the left half has alpha {left} and the right half {right}: "
        "0 (transparent) and 255 (opaque) expected. Was it laid on white, or was its alpha channel dropped?"
    )


def test_a_png_with_transparent_parts_gets_a_transparent_webp_thumbnail(client, note):
    """A PNG whose left half is transparent gets a .thumb.webp thumbnail, image/webp, still transparent there.

    Hint: in images.py, make_thumbnail() lays a transparent picture on white:
    keep it in RGBA instead, and save such a thumbnail as a WebP (format="WEBP",
    which keeps the alpha channel); save_image() in uploads.py names the
    thumbnail: give inspect_image()'s answer the thumbnail's extension too.
    """
    address, attributes, served = thumbnail_of(client, "half.png", half_transparent_png())
    assert_transparent_webp(address, attributes, served, "the half-transparent PNG")
    note(f"the thumbnail {address.rsplit('/', 1)[1][:12]}….thumb.webp is {len(served.data)} bytes")


def test_a_gif_with_a_transparent_colour_gets_a_transparent_webp_thumbnail(client):
    """A GIF whose left half is its transparent colour gets a transparent WebP thumbnail too.

    Hint: a GIF has no alpha channel but a palette, and one of its colours may be
    "transparent" (image.info["transparency"]). make_thumbnail() already
    converts it to RGBA: keep that, as for the PNG.
    """
    address, attributes, served = thumbnail_of(client, "half.gif", gif_with_a_transparent_colour())
    assert_transparent_webp(address, attributes, served, "the GIF with a transparent colour")


def test_still_a_photo_gets_a_jpeg_thumbnail(client):
    """A JPEG photo still gets a .thumb.jpg thumbnail, served as image/jpeg.

    Hint: only a thumbnail that has transparent pixels is a WebP; the others stay JPEG.
    """
    address, _, served = thumbnail_of(client, "photo.jpg", imagefactory.picture(*SIZE))
    assert address.endswith(".thumb.jpg"), f"the photo's thumbnail is {address}, not a .thumb.jpg"
    assert served.mimetype == "image/jpeg", f"the photo's thumbnail is served as {served.mimetype}"


def test_still_an_opaque_png_with_an_alpha_channel_gets_a_jpeg_thumbnail(client):
    """A PNG with an alpha channel in which every pixel is opaque still gets a JPEG thumbnail.

    Hint: the mode RGBA alone does not make a picture transparent: ask the
    thumbnail's alpha channel for its lowest value,
    thumbnail.getchannel("A").getextrema()[0]; 255 means nothing is transparent.
    """
    address, _, served = thumbnail_of(client, "screenshot.png", opaque_png_with_an_alpha_channel())
    assert address.endswith(".thumb.jpg"), (
        f"the thumbnail of a PNG with no transparent pixel is {address}, not a .thumb.jpg"
    )
    assert served.mimetype == "image/jpeg", f"its thumbnail is served as {served.mimetype}"
