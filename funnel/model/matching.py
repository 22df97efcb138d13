"""How names typed by people are compared, and what to suggest when one matches nothing.

People paste company names from e-mails and spreadsheets: the same name may arrive in NFC or NFD (`é` as one
character or as `e` + U+0301), in full-width letters, with a non-breaking space, doubled spaces or an invisible
zero-width character. `normal_form` is the one comparison key for counterparties, choice options, stages, loss
reasons and ids; `did_you_mean` the one suggestion for any of them, and for fields and commands.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Iterable

# invisible characters that a copy and paste carries along: zero-width space, joiners, word joiner, BOM,
# soft hyphen, the Mongolian vowel separator
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200d\u2060\ufeff]")


def normal_form(text: str | None) -> str:
    """The comparison key of a name: NFKC, invisible characters dropped, case-folded, white space trimmed and
    collapsed (any Unicode space, a non-breaking one too). Blank text gives ''."""
    if not text:
        return ""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", str(text)))
    return " ".join(text.casefold().split())


def is_blank(text: str | None) -> bool:
    """True when `text` holds nothing a person could read: white space and invisible characters only."""
    if text and text[0].isalnum():
        return False  # at once: normal_form keeps every letter and digit (checked over every code point)
    return not normal_form(text)


def find_option(text: str, options: Iterable[str]) -> str | None:
    """The option `text` names: exactly, else the one whose normal_form is the same; None when none is."""
    options = list(options)
    if text in options:
        return text
    key = normal_form(text)
    matching = [option for option in options if normal_form(option) == key]
    return matching[0] if len(matching) == 1 else None


def close_matches(word: str, options: Iterable[str], count: int = 1) -> list[str]:
    """The options most like `word` (typos, another case or form), best first."""
    options = list(options)
    by_key: dict[str, str] = {}
    for option in options:
        by_key.setdefault(normal_form(option), option)
    found = difflib.get_close_matches(normal_form(word), list(by_key), n=count, cutoff=0.6)
    return [by_key[key] for key in found]


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """"; did you mean 'needs'?" to append to a message, or '' when nothing is close."""
    close = close_matches(word, options)
    return f"; did you mean '{close[0]}'?" if close else ""
