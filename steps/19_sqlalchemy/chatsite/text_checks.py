"""What typed text may hold: the clean-up every post gets, and the tests of its characters.

The post forms (forms.py) build their rules from these, and so do the report
form, the search box and the names of uploaded files.
"""

import unicodedata

# Limits on what people may type. The forms show them too (maxlength).
MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 5000

# Characters that reverse or isolate the direction of text. In a title,
# U+202E can make "gpj.exe" look like "exe.jpg": a classic way to mislead readers.
TEXT_DIRECTION_CHARACTERS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Characters that show nothing, although Unicode files them as letters or symbols
# (so the category test in has_visible_character would take them for visible):
# the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, and the blank Braille
# pattern U+2800. A title made of them looks empty: a blank link on the board.
BLANK_CHARACTERS = set("\u115f\u1160\u3164\uffa0\u2800")

# After NFC, a letter carries at most two or three separate accent marks in real
# writing (Vietnamese, Hindi, Thai...). More is "Zalgo" text: marks stacked so
# high that they spill over the lines above and below and hide them.
MAX_MARKS_IN_A_ROW = 4


def clean_text(text):
    """Trim spaces at both ends; turn the browser's "\\r\\n" line breaks into "\\n";
    join each letter and its accent marks into one character where Unicode has one.
    None (a field that was not sent) is "". """
    text = (text or "").replace("\r\n", "\n").strip()
    # NFC, "normal form, composed": "e" followed by the separate accent mark U+0301
    # becomes the one character "é", as most keyboards type it. The same words are
    # then always stored the same way, and only marks that have no letter to merge
    # with are left to count (see has_too_many_marks).
    return unicodedata.normalize("NFC", text)


def has_hidden_characters(text, allow_line_breaks):
    """True if the text holds control characters (other than line breaks and tabs,
    when allowed) or text-direction characters."""
    for character in text:
        if allow_line_breaks and character in "\n\t":
            continue
        if unicodedata.category(character) == "Cc" or character in TEXT_DIRECTION_CHARACTERS:
            return True
    return False


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


def has_too_many_marks(text):
    """True if more than MAX_MARKS_IN_A_ROW accent marks (category M) follow each other."""
    in_a_row = 0
    for character in text:
        in_a_row = in_a_row + 1 if unicodedata.category(character)[0] == "M" else 0
        if in_a_row > MAX_MARKS_IN_A_ROW:
            return True
    return False
