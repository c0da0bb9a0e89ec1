"""Exercise 06.2 · Break it on purpose: the sender's file name as the stored name.

The check passes while save_image stores each file under
secure_filename(upload["name"]), as the exercise asks you to try.
"""

import imagefactory
from forum import create_thread, image_urls_in

BROKEN_ON_PURPOSE = True


def test_a_second_same_png_replaces_the_first_threads_picture(client, note):
    """Two different pictures called same.png, on two threads: the first thread now shows the second one.

    Hint: in save_image, replace name = uuid.uuid4().hex + extension with
    name = secure_filename(upload["name"]) (from werkzeug.utils import secure_filename).
    """
    red = imagefactory.png(rgb=(220, 38, 38))
    blue = imagefactory.png(rgb=(37, 99, 235))
    first = create_thread(client, title="A red square", image=("same.png", red))
    second = create_thread(client, title="A blue square", image=("same.png", blue))
    [first_url] = image_urls_in(client.get(f"/threads/{first}"))
    [second_url] = image_urls_in(client.get(f"/threads/{second}"))
    assert first_url == second_url, f"each picture has a name of its own: {first_url} and {second_url}"
    assert client.get(first_url).data == blue
    note(
        f"both threads show {first_url}: the second upload wrote over the first one's file, "
        "so the red square of the first thread is gone for good"
    )
