"""The forms people send, as Flask-WTF forms (FlaskForm): each declares its fields
and their rules, and the view that handles it validates it (validate_on_submit).

- A new thread and a reply (ThreadForm, ReplyForm): the text is cleaned up and
  checked (text_checks.py), then the file (upload_checks.py).
- The moderation forms: login, report, a new account, a role, moving a thread.

The CSRF token every form carries is checked before any view runs (csrf.py).
"""

import re

from flask import has_request_context, request
from flask_wtf import FlaskForm
from werkzeug.exceptions import BadRequest
from wtforms import (
    FileField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Regexp, StopValidation, ValidationError

from .text_checks import (
    MAX_BODY_LENGTH,
    MAX_TITLE_LENGTH,
    clean_text,
    has_hidden_characters,
    has_too_many_marks,
    has_visible_character,
)
from .upload_checks import UploadRefused, check_upload

try:
    from wtforms import SelectChoice  # a choice of a select or radio field, WTForms 3.3 on
except ImportError:  # pragma: no cover - earlier WTForms take (value, label) pairs

    def SelectChoice(value, label):  # noqa: N802 - stands in for the class
        return (value, label)


class FormError(BadRequest):
    """Something wrong in a form that a view checks itself (the board of a move):
    a 400 Bad Request whose description tells the person what to fix."""


# The default of Form(formdata=...): "read request.form" (None means "no fields").
FROM_THE_REQUEST = object()


class Form(FlaskForm):
    """The base of every form here."""

    class Meta:
        # CSRFProtect has already checked this request's token (csrf.py): the
        # forms do not check it a second time, nor add a field of their own.
        csrf = False

    def __init__(self, formdata=FROM_THE_REQUEST, **kwargs):
        """Form(): the fields come from request.form (on a POST), and only from it.
        Flask-WTF would also fill them from request.files or a JSON body, and a
        file, a number or a list where our checks expect text was a 500 (a file
        has no .strip()). Form(formdata=None): no fields sent, as in Flask-WTF."""
        if formdata is FROM_THE_REQUEST:
            posted = has_request_context() and request.method == "POST"
            formdata = (request.form or None) if posted else None
        super().__init__(formdata, **kwargs)


# --- A new thread and a reply ----------------------------------------------------------


def no_hidden_characters(message, allow_line_breaks):
    """A validator: `message` if the text has control or text-direction characters."""

    def check(_form, field):
        if has_hidden_characters(field.data, allow_line_breaks):
            raise ValidationError(message)

    return check


def visible_character(message):
    """A validator: `message` if the text has something, but nothing that shows."""

    def check(_form, field):
        if field.data and not has_visible_character(field.data):
            raise ValidationError(message)

    return check


def not_too_many_marks(_form, field):
    if has_too_many_marks(field.data):
        raise ValidationError("Too many accent marks on one letter.")


def message_or_file(form, field):
    """A reply needs text, a file, or both (an empty, nameless file is no file:
    the browser sends one when none was chosen)."""
    file = form.image.data
    if not field.data and not (file and file.filename):
        raise StopValidation("Please write a message or choose an image.")


def accepted_upload(_form, field):
    """Check the file (upload_checks.check_upload), and keep what the check found
    for the view to store (UploadField.checked)."""
    try:
        field.checked = check_upload(field.data)
    except UploadRefused as refused:
        raise ValidationError(str(refused)) from None


TITLE_TOO_LONG = f"Titles can be at most {MAX_TITLE_LENGTH} characters long."
MESSAGE_TOO_LONG = f"Messages can be at most {MAX_BODY_LENGTH} characters long."


def title_field():
    return StringField(
        "Title",
        filters=[clean_text],
        validators=[
            DataRequired("Please give your thread a title."),
            Length(max=MAX_TITLE_LENGTH, message=TITLE_TOO_LONG),
            no_hidden_characters("Titles cannot contain control or text-direction characters.", False),
            visible_character("Titles need at least one visible character."),
            not_too_many_marks,
        ],
    )


def message_field(required):
    """The Message field; `required`: a reply needs a message, unless it has a file."""
    return TextAreaField(
        "Message",
        filters=[clean_text],
        validators=[
            *([message_or_file] if required else []),
            Length(max=MAX_BODY_LENGTH, message=MESSAGE_TOO_LONG),
            no_hidden_characters("Messages cannot contain control or text-direction characters.", True),
            visible_character("Messages need at least one visible character."),
            not_too_many_marks,
        ],
    )


class UploadField(FileField):
    """The post forms' file: WTForms' own FileField, given request.files' "image"
    as it came. (Flask-WTF's FileField skips a file without a name, which must be
    refused, "The file has no name", not taken for no file at all.)

    Once validated, `checked` holds what upload_checks.check_upload found: the
    bytes to store and their description, or None when no file was chosen."""

    checked = None


class PostForm(Form):
    """What a new thread and a reply have in common: where their fields come from,
    and the order they are checked in.

    Each form declares its own fields (title_field, message_field), in the order
    they are checked: WTForms would put the fields of this class before those of
    the class that inherits them."""

    def __init__(self):
        # The text fields from request.form only (see Form), the file from request.files.
        formdata = request.form.copy()
        formdata.setlist("image", request.files.getlist("image"))
        super().__init__(formdata)

    def validate(self, extra_validators=None):
        """Field by field, in their order, and stop at the first that is wrong: the
        text is checked before the file, which costs far more (it is decoded),
        and a post refused for its text does not count towards flood control
        (flood.py), as one whose file was looked at does."""
        for field in self:
            if not field.validate(self):
                return False
        return True


class ThreadForm(PostForm):
    """A new thread: a title, and a message or a file if the person likes."""

    title = title_field()
    body = message_field(required=False)
    image = UploadField("Image", validators=[accepted_upload])


class ReplyForm(PostForm):
    """A reply: a message, a file, or both."""

    body = message_field(required=True)
    image = UploadField("Image", validators=[accepted_upload])


# --- The moderation forms ----------------------------------------------------------------

# Staff accounts. Names are ASCII: one way to write each, and lower() makes
# "Mia" and "mia" the same name on every database (models.User.username_key).
MAX_USERNAME_LENGTH = 32
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,32}\Z")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
ROLES = ("admin", "moderator")
ROLE_CHOICES = [SelectChoice("moderator", "Moderator"), SelectChoice("admin", "Admin")]

USERNAME_MESSAGE = "Usernames are 1 to 32 characters long: letters, digits, _, - and . only."
PASSWORD_MESSAGE = f"Passwords must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long."
ROLE_MESSAGE = "Choose a role: admin or moderator."


class LoginForm(Form):
    """The staff login. Checked by accounts.login itself: whatever is wrong, the
    answer says the same words ("Wrong username or password.")."""

    username = StringField("Username")
    password = PasswordField("Password")
    next = HiddenField()


class UserForm(Form):
    """A new staff account (the users page, and `flask create-user`)."""

    username = StringField("Username", validators=[Regexp(USERNAME_PATTERN, message=USERNAME_MESSAGE)])
    password = PasswordField(
        "Password",
        validators=[Length(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, message=PASSWORD_MESSAGE)],
    )
    role = SelectField(
        "Role",
        choices=ROLE_CHOICES,
        validate_choice=False,  # AnyOf says it in our words
        validators=[AnyOf(ROLES, message=ROLE_MESSAGE)],
    )


class RoleForm(Form):
    """An account's new role."""

    role = SelectField(
        "Role",
        choices=ROLE_CHOICES,
        validate_choice=False,
        validators=[AnyOf(ROLES, message=ROLE_MESSAGE)],
    )


class MoveForm(Form):
    """The board a thread moves to (mod.move_thread checks that it exists)."""

    board = SelectField("Move to board", validate_choice=False)


# Why a visitor reports a post: (value, label).
REPORT_REASONS = [
    SelectChoice("spam", "Spam or advertising"),
    SelectChoice("off-topic", "Off-topic for this board"),
    SelectChoice("illegal", "Illegal content"),
    SelectChoice("other", "Something else"),
]
REASONS = ("spam", "off-topic", "illegal", "other")
MAX_REPORT_DETAILS = 500
REASON_MESSAGE = "Choose a reason for your report."
DETAILS_MESSAGE = f"Details can be at most {MAX_REPORT_DETAILS} characters long."
OTHER_NEEDS_DETAILS = "Please say what is wrong, under Details."


def clean_details(text):
    """A report's details, cleaned like a post; nothing visible counts as nothing."""
    text = clean_text(text)
    return text if has_visible_character(text) else ""


class ReportForm(Form):
    """A visitor's report of a post."""

    reason = RadioField(
        "Why should a moderator look at this post?",
        choices=REPORT_REASONS,
        validate_choice=False,
        validators=[AnyOf(REASONS, message=REASON_MESSAGE)],
    )
    details = TextAreaField(
        "Details",
        filters=[clean_details],
        validators=[
            Length(max=MAX_REPORT_DETAILS, message=DETAILS_MESSAGE),
            no_hidden_characters("Details cannot contain control or text-direction characters.", True),
        ],
    )

    def validate_details(self, field):
        """A report for "Something else" needs details: the reason says nothing by itself.

        WTForms runs a method named validate_<field name> after that field's own
        validators, and gives it the whole form, so it can read another field.
        The filter has already run: details of spaces alone are "" here."""
        if self.reason.data == "other" and not field.data:
            raise ValidationError(OTHER_NEEDS_DETAILS)


def first_error(form):
    """The first message of a form that did not validate, in the order of its fields."""
    return next((field.errors[0] for field in form if field.errors), None)
