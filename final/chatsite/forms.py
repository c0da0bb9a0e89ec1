"""Checking what people type into the forms, and the CSRF token every form carries.

The post forms (a new thread, a reply) are checked by hand: each check raises
FormError when something is wrong, and the boards blueprint shows the form's page
again, with the message and everything the person typed. The moderation forms
(login, report, accounts, moving a thread) are Flask-WTF forms (FlaskForm): each
declares its fields and their rules, and the view that handles it validates it.

CSRF: Flask-WTF's CSRFProtect checks every POST (and PUT, PATCH, DELETE) for
this session's token before any view runs, and {{ csrf_token() }} writes it into
each form. See init_app below.
"""

import re
import unicodedata

from flask import abort, has_request_context, request, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import BadRequest
from wtforms import HiddenField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, Length, Regexp, ValidationError

from chatsite.bodies import FORMS_WITH_FILES

try:
    from wtforms import SelectChoice  # a choice of a select or radio field, WTForms 3.3 on
except ImportError:  # pragma: no cover - earlier WTForms take (value, label) pairs

    def SelectChoice(value, label):  # noqa: N802 - stands in for the class
        return (value, label)

# Limits on what people may type. The forms show them too (maxlength).
MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 5000

# Characters that reverse or isolate the direction of text. In a title,
# U+202E can make "gpj.exe" look like "exe.jpg": a classic way to mislead readers.
TEXT_DIRECTION_CHARACTERS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# No list has a billion pages: a ?page= of more digits does not exist.
MAX_PAGE_DIGITS = 9


class FormError(BadRequest):
    """Something wrong in a form: a 400 Bad Request whose description tells the
    person what to fix."""


def clean_text(text):
    """Trim spaces at both ends; turn the browser's "\\r\\n" line breaks into "\\n";
    join each letter and its accent marks into one character where Unicode has one."""
    text = text.replace("\r\n", "\n").strip()
    # NFC, "normal form, composed": "e" followed by the separate accent mark U+0301
    # becomes the one character "é", as most keyboards type it. The same words are
    # then always stored the same way, and only marks that have no letter to merge
    # with are left to count (see has_too_many_marks).
    return unicodedata.normalize("NFC", text)


def check_title(title):
    """Raise FormError if the title is missing, too long or has hidden characters."""
    if not title:
        raise FormError("Please give your thread a title.")
    if len(title) > MAX_TITLE_LENGTH:
        raise FormError(f"Titles can be at most {MAX_TITLE_LENGTH} characters long.")
    if has_hidden_characters(title, allow_line_breaks=False):
        raise FormError("Titles cannot contain control or text-direction characters.")
    if not has_visible_character(title):
        raise FormError("Titles need at least one visible character.")
    if has_too_many_marks(title):
        raise FormError("Too many accent marks on one letter.")


def check_body(body, required):
    """Raise FormError if a post's text is missing (when required), too long or odd."""
    if required and not body:
        raise FormError("Please write a message or choose an image.")
    if len(body) > MAX_BODY_LENGTH:
        raise FormError(f"Messages can be at most {MAX_BODY_LENGTH} characters long.")
    if has_hidden_characters(body, allow_line_breaks=True):
        raise FormError("Messages cannot contain control or text-direction characters.")
    if body and not has_visible_character(body):
        raise FormError("Messages need at least one visible character.")
    if has_too_many_marks(body):
        raise FormError("Too many accent marks on one letter.")


def has_hidden_characters(text, allow_line_breaks):
    """True if the text holds control characters (other than line breaks and tabs,
    when allowed) or text-direction characters."""
    for character in text:
        if allow_line_breaks and character in "\n\t":
            continue
        if unicodedata.category(character) == "Cc" or character in TEXT_DIRECTION_CHARACTERS:
            return True
    return False


# Characters that show nothing, although Unicode files them as letters or symbols
# (so the category test in has_visible_character would take them for visible):
# the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, and the blank Braille
# pattern U+2800. A title made of them looks empty: a blank link on the board.
BLANK_CHARACTERS = set("\u115f\u1160\u3164\uffa0\u2800")


def has_visible_character(text):
    """True if at least one character of the text shows on the screen.

    unicodedata.category() gives each character a two-letter category. These show
    nothing: spaces (categories starting with Z); control, format, unassigned,
    private-use and surrogate characters (C: U+200B, the zero-width space, is a
    format character); accent marks on their own (M); and the BLANK_CHARACTERS.
    """
    for character in text:
        if unicodedata.category(character)[0] not in "ZCM" and character not in BLANK_CHARACTERS:
            return True
    return False


# After NFC, a letter carries at most two or three separate accent marks in real
# writing (Vietnamese, Hindi, Thai...). More is "Zalgo" text: marks stacked so
# high that they spill over the lines above and below and hide them.
MAX_MARKS_IN_A_ROW = 4


def has_too_many_marks(text):
    """True if more than MAX_MARKS_IN_A_ROW accent marks (category M) follow each other."""
    in_a_row = 0
    for character in text:
        in_a_row = in_a_row + 1 if unicodedata.category(character)[0] == "M" else 0
        if in_a_row > MAX_MARKS_IN_A_ROW:
            return True
    return False


def requested_page():
    """The ?page= number, 1 when there is none. Anything but a whole number from 1
    up is an address that does not exist: 404 Not Found."""
    page = page_number(request.args.get("page", "1"))
    if page is None:
        abort(404)
    return page


def last_page_or_404(page, per_page, total):
    """How many pages a list of `total` items has, `per_page` a page: at least one,
    so that an empty list still has its page 1. Asking for a page past the last
    one is asking for an address that does not exist: 404 Not Found."""
    pages = max(1, (total + per_page - 1) // per_page)
    if page > pages:
        abort(404)
    return pages


class BadParameter(BadRequest):
    """A query parameter of the API that is not what the API documents: 400."""


class NoFilesHere(BadRequest):
    """A file sent to a form that has no file field (refuse_files_where_none_belong)."""

    description = "This form takes no files: its fields are typed text. Nothing was changed."


def requested_api_page():
    """The API's ?page= number, 1 when there is none; anything else is a JSON 400
    that says what a page number is (a program, not a person, made the mistake)."""
    page = page_number(request.args.get("page", "1"))
    if page is None:
        raise BadParameter(f"?page= must be a whole number from 1 to {10**MAX_PAGE_DIGITS - 1}.")
    return page


# The largest id: PostgreSQL's INTEGER, as in the addresses (chatsite.IdConverter).
LARGEST_ID = 2**31 - 1


def requested_after():
    """The API's ?after= (a post id, or 0 for "from the start"); anything else is a
    JSON 400, like a bad ?page=."""
    after = id_or_zero(request.args.get("after", ""))
    if after is None:
        raise BadParameter(f"?after= must be a whole number from 0 to {LARGEST_ID}: your newest post's id.")
    return after


def id_or_zero(text):
    """The id `text` spells, or 0; None if it is not a whole number from 0 to
    LARGEST_ID. Checked as text first, like page numbers (see page_number)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LARGEST_ID)) or int(text) > LARGEST_ID:
        return None
    return int(text)


def page_number(text):
    """The page number `text` spells, or None if it is not a whole number from 1 up.

    The text is checked before it becomes a number: int() of thousands of digits
    is slow, and Python refuses more than 4,300 digits (a 500 error)."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_PAGE_DIGITS or int(text) < 1:
        return None
    return int(text)


# --- CSRF ---------------------------------------------------------------------------
#
# The danger: another website can hold a form that posts to this site. Your
# browser would send it along with your cookies, so it would look like you wrote it.
# The guard: the session holds a random token, and every form on our pages carries
# it (signed) in a hidden field. Another site cannot read our pages, so it cannot
# know the token, and CSRFProtect refuses a POST without it: 400, and errors.py
# says "This form has expired..." (nothing has changed: no view ran).

csrf = CSRFProtect()

# What Flask-WTF keeps in the session: the SHA-1 of random bytes, 40 hex digits.
SESSION_TOKEN_PATTERN = re.compile(r"[0-9a-f]{40}")


def init_app(app):
    """Check every unsafe request's token, and let templates write {{ csrf_token() }}.

    Over HTTPS, CSRFProtect also wants the request's Referer to be a page of this
    site (WTF_CSRF_SSL_STRICT, on by default): the Referrer-Policy we send
    (same-origin, see SECURITY_HEADERS) lets browsers send it with our own forms."""
    # First, before CSRFProtect registers its own check: the order they run in.
    app.before_request(drop_forged_session_token)
    app.before_request(refuse_files_where_none_belong)
    csrf.init_app(app)


def drop_forged_session_token():
    """Forget a session token that Flask-WTF did not make.

    The session is a signed cookie: nobody can change it without the secret key.
    But a leaked or weak key happens, so whatever the session holds is checked
    like any other input. Flask-WTF compares tokens with hmac.compare_digest,
    which raises TypeError (a 500) for a list or a number, and it would sign and
    hand out "safe" Markup or any other string as it is. `type(...) is str`
    refuses Markup (a str subclass), lists, numbers and None; the pattern refuses
    any other text. A page then gets a fresh token, and a POST is refused (400).
    """
    if "csrf_token" not in session:
        return
    token = session["csrf_token"]
    if type(token) is not str or not SESSION_TOKEN_PATTERN.fullmatch(token):
        del session["csrf_token"]


def refuse_files_where_none_belong():
    """400 for a file sent to any form but bodies.FORMS_WITH_FILES (a new thread, a reply).

    Only those two forms have a file field. Anywhere else, a file is a text field
    sent as a file part (username=<a file>): it is not in request.form, so the
    form would be checked as if that field had been left empty. The body is
    small here (bodies.py holds it to MAX_FORM_MEMORY_SIZE)."""
    if request.endpoint not in FORMS_WITH_FILES and request.files:
        raise NoFilesHere()


# --- The moderation forms (Flask-WTF) ------------------------------------------------


# The default of Form(formdata=...): "read request.form" (None means "no fields").
FROM_THE_REQUEST = object()


class Form(FlaskForm):
    class Meta:
        # CSRFProtect has already checked this request's token (see above): the
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


def clean_details(text):
    """A report's details, cleaned like a post; nothing visible counts as nothing."""
    text = clean_text(text or "")
    return text if has_visible_character(text) else ""


def no_hidden_characters(_form, field):
    if has_hidden_characters(field.data, allow_line_breaks=True):
        raise ValidationError("Details cannot contain control or text-direction characters.")


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
            no_hidden_characters,
        ],
    )


def first_error(form):
    """The first message of a form that did not validate, in the order of its fields."""
    return next((field.errors[0] for field in form if field.errors), None)
