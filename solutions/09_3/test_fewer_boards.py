"""Exercise 09.3: an app made with fewer boards shows only those.

The check runs it for you (make exercise STEP=09 N=3). To run it yourself, from
this folder: python -m pytest test_fewer_boards.py
"""

from chatsite import create_app

TEA = {"slug": "tea", "name": "Tea", "description": "All about tea."}


def test_an_app_made_with_one_board_shows_only_that_board(tmp_path):
    app = create_app({"BOARDS": [TEA], "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert "Tea" in home
    assert "Astronomy" not in home
    assert client.get("/boards/tea").status_code == 200
    assert client.get("/boards/astronomy").status_code == 404
