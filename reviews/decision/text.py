"""Literal phrase matching on free text, with no user-supplied patterns.

Text and phrases are normalised the same way (NFKC, casefold, every run of characters
that are not letters or digits becomes one space), then a phrase matches when it occurs
between word boundaries. So "Who's this?" matches the phrase "who s this" as well as
"who's this", and "face-match" matches "face match", but "rematch" never matches "match".
"""

from __future__ import annotations

import re
import unicodedata

MAX_PHRASES = 200
MAX_PHRASE_LENGTH = 80
MAX_PHRASE_WORDS = 8

# A fixed pattern of ours, never built from input: runs of non-alphanumerics (incl. "_").
_SEPARATORS = re.compile(r"[\W_]+")


# For ASCII text the same result without the regular expression, which costs most of the
# time of normalising a description: NFKC leaves ASCII alone, casefold() is lower(), and
# every ASCII character that is not a letter or digit ("_" included) is a separator. The
# text's bytes go through a 256-byte table: str.translate would look each character up
# in a dict, at twice the cost. (ASCII text has no byte above 127; they map to spaces.)
_ASCII_FOLD = bytes(
    ord(chr(code).lower()) if code < 128 and chr(code).isalnum() else ord(" ")
    for code in range(256)
)


def _fold_ascii(text: str) -> str:
    return text.encode("ascii").translate(_ASCII_FOLD).decode("ascii")


def normalise(text: str) -> str:
    """Return `text` casefolded with punctuation and whitespace collapsed to single spaces."""
    if text.isascii():
        return " ".join(_fold_ascii(text).split())
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


def padded(text: str) -> str:
    """Return the normalised text wrapped in spaces, ready for `contains_phrase`."""
    return f" {normalise(text)} "


def padded_words(text: str) -> tuple[str, list[str]]:
    """Return `padded(text)` and the words of the normalised text, in order.

    The words stay a list, repeats included: the caller keeps only the few it asks
    about (see `env.py`), which is cheaper than making a set of them all first.
    """
    if text.isascii():
        words = _fold_ascii(text).split()
        return f" {' '.join(words)} ", words
    normalised = normalise(text)
    return f" {normalised} ", normalised.split(" ") if normalised else []


def contains_phrase(padded_text: str, normalised_phrase: str) -> bool:
    """Tell whether the phrase occurs in the padded text on word boundaries."""
    return f" {normalised_phrase} " in padded_text


def phrase_problem(phrase: object) -> str | None:
    """Return why `phrase` cannot be used for matching, or None when it is fine."""
    if not isinstance(phrase, str):
        return "a phrase must be a string"
    if len(phrase) > MAX_PHRASE_LENGTH:
        return f"a phrase may have at most {MAX_PHRASE_LENGTH} characters"
    words = normalise(phrase).split()
    if not words:
        return "a phrase needs at least one letter or digit"
    if len(words) > MAX_PHRASE_WORDS:
        return f"a phrase may have at most {MAX_PHRASE_WORDS} words"
    return None
