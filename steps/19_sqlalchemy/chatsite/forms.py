"""The forms people send, checked by hand (step 18's checks): each check returns
what is wrong, in the words the page shows, or None when all is well.

- A new thread and a reply (ThreadForm, ReplyForm): the text is cleaned up and
  checked (text_checks.py), then the file (upload_checks.py).
- The moderation forms: a report (report_problem), a new account
  (account_problem). The login form is checked by accounts.login itself.

Every field is read from request.form only: a field sent as a file, or in a JSON
body, is a field left empty. The CSRF token every form carries is checked
before any view runs (csrf.py).
"""

import re

from flask import request
from werkzeug.exceptions import BadRequest

from .text_checks import (
    MAX_BODY_LENGTH,
    MAX_TITLE_LENGTH,
    clean_text,
    has_hidden_characters,
    has_too_many_marks,
    has_visible_character,
)
from .upload_checks import UploadRefused, check_upload


class FormError(BadRequest):
    """Something wrong in a form that a view checks itself (the board of a move):
    a 400 Bad Request whose description tells the person what to fix."""


# --- A new thread and a reply ----------------------------------------------------------

TITLE_TOO_LONG = f"Titles can be at most {MAX_TITLE_LENGTH} characters long."
MESSAGE_TOO_LONG = f"Messages can be at most {MAX_BODY_LENGTH} characters long."


def title_problem(title):
    """What is wrong with a thread's title, or None."""
    if not title:
        return "Please give your thread a title."
    if len(title) > MAX_TITLE_LENGTH:
        return TITLE_TOO_LONG
    if has_hidden_characters(title, allow_line_breaks=False):
        return "Titles cannot contain control or text-direction characters."
    if not has_visible_character(title):
        return "Titles need at least one visible character."
    if has_too_many_marks(title):
        return "Too many accent marks on one letter."
    return None


def message_problem(body, required):
    """What is wrong with a post's message, or None. `required`: a reply needs a
    message, unless it has a file."""
    if required and not body:
        return "Please write a message or choose an image."
    if len(body) > MAX_BODY_LENGTH:
        return MESSAGE_TOO_LONG
    if has_hidden_characters(body, allow_line_breaks=True):
        return "Messages cannot contain control or text-direction characters."
    if body and not has_visible_character(body):
        return "Messages need at least one visible character."
    if has_too_many_marks(body):
        return "Too many accent marks on one letter."
    return None


class PostForm:
    """What a new thread and a reply have in common: the fields as sent, cleaned
    up, and validate(), which checks them.

    Once validated, `error` says what is wrong (or None), and `checked` holds
    what upload_checks.check_upload found in the file: the bytes to store and
    their description, or None when no file was chosen."""

    def __init__(self):
        self.title = clean_text(request.form.get("title"))
        self.body = clean_text(request.form.get("body"))
        self.image = request.files.get("image")
        self.checked = None
        self.error = None

    def validate(self):
        """True if the post can be stored. The text is checked before the file,
        which costs far more (it is decoded), and a post refused for its text
        does not count towards flood control (flood.py), as one whose file was
        looked at does. (`or` stops at the first check that finds something.)"""
        self.error = self.text_problem() or self.file_problem()
        return self.error is None

    def file_problem(self):
        """Check the file (upload_checks.check_upload), and keep what the check found."""
        try:
            self.checked = check_upload(self.image)
        except UploadRefused as refused:
            return str(refused)
        return None

    def has_file(self):
        """An empty, nameless file is no file: the browser sends one when none was chosen."""
        return bool(self.image and self.image.filename)


class ThreadForm(PostForm):
    """A new thread: a title, and a message or a file if the person likes."""

    def text_problem(self):
        return title_problem(self.title) or message_problem(self.body, required=False)


class ReplyForm(PostForm):
    """A reply: a message, a file, or both."""

    def text_problem(self):
        return message_problem(self.body, required=not self.has_file())


# --- The moderation forms ----------------------------------------------------------------

# Staff accounts. Names are ASCII: one way to write each, and lower() makes
# "Mia" and "mia" the same name on every database (models.User.username_key).
MAX_USERNAME_LENGTH = 32
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,32}\Z")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
ROLES = ("admin", "moderator")

USERNAME_MESSAGE = "Usernames are 1 to 32 characters long: letters, digits, _, - and . only."
PASSWORD_MESSAGE = f"Passwords must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long."
ROLE_MESSAGE = "Choose a role: admin or moderator."


def username_problem(username):
    """What is wrong with a new account's name, or None (whether it is taken is
    staff.add_user's to say)."""
    if not USERNAME_PATTERN.match(username):
        return USERNAME_MESSAGE
    return None


def account_problem(username, password, role):
    """What is wrong with a new staff account (the users page, and `flask create-user`), or None."""
    problem = username_problem(username)
    if problem:
        return problem
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return PASSWORD_MESSAGE
    if role not in ROLES:
        return ROLE_MESSAGE
    return None


# Why a visitor reports a post: (value, label).
REPORT_REASONS = [
    ("spam", "Spam or advertising"),
    ("off-topic", "Off-topic for this board"),
    ("illegal", "Illegal content"),
    ("other", "Something else"),
]
REASONS = ("spam", "off-topic", "illegal", "other")
MAX_REPORT_DETAILS = 500
REASON_MESSAGE = "Choose a reason for your report."
DETAILS_MESSAGE = f"Details can be at most {MAX_REPORT_DETAILS} characters long."


def clean_details(text):
    """A report's details, cleaned like a post; nothing visible counts as nothing."""
    text = clean_text(text)
    return text if has_visible_character(text) else ""


def report_problem(reason, details):
    """What is wrong with a visitor's report of a post (`details` cleaned by clean_details), or None."""
    if reason not in REASONS:
        return REASON_MESSAGE
    if len(details) > MAX_REPORT_DETAILS:
        return DETAILS_MESSAGE
    if has_hidden_characters(details, allow_line_breaks=True):
        return "Details cannot contain control or text-direction characters."
    return None
