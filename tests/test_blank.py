"""is_blank answers at once for a text that starts with a letter or digit: that is only right if normal_form
never drops one, alone or before a combining mark — checked over every code point."""

from __future__ import annotations

import sys

from funnel.model.matching import is_blank, normal_form


def test_no_letter_or_digit_is_blank_after_normal_form():
    letters = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isalnum()]
    assert len(letters) > 100_000
    # what follows a letter cannot take it away: normalization composes characters, it never drops one
    assert [c for c in letters if not normal_form(c)] == []


def test_blank_texts():
    assert is_blank("") and is_blank(None) and is_blank(" \u200b\u00a0\ufeff\t")
    assert not is_blank("Ж") and not is_blank(" x") and not is_blank("\u200bx") and not is_blank("+7")
