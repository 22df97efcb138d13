"""Terminal cell widths, measured by the wcwidth package (never by the code under test)."""

from __future__ import annotations

import pytest
import wcwidth

from funnel.output import display_width, fit, format_table, pad, truncate, wrap

SAMPLES = [
    "plain ascii",
    "Иванов Пётр Сергеевич, ООО «Водоканал-Сервис»",
    "漢字とカナ",
    "ＦＵＬＬ",
    "👨\u200d👩\u200d👧\u200d👦 family",  # a ZWJ sequence: one picture, 2 cells
    "❤\ufe0f love",  # a heart with VS16: emoji presentation, 2 cells
    "\u1100\u1161\u11a8 jamo",  # Hangul jamo making one syllable: 2 cells
    "e\u0301te\u0301",  # combining acute accents: 0 cells
    "🇷🇺 flag",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_display_width_is_what_wcwidth_measures(text):
    assert display_width(text) == wcwidth.wcswidth(text)


def test_the_known_hard_cases():
    assert wcwidth.wcswidth("👨\u200d👩\u200d👧\u200d👦") == 2 == display_width("👨\u200d👩\u200d👧\u200d👦")
    assert wcwidth.wcswidth("❤\ufe0f") == 2 == display_width("❤\ufe0f")
    assert wcwidth.wcswidth("\u1100\u1161\u11a8") == 2 == display_width("\u1100\u1161\u11a8")


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("width", [1, 3, 5, 8, 12])
def test_truncate_and_fit_stay_within_the_width_and_never_split_a_grapheme(text, width):
    cut = truncate(text, width)
    assert wcwidth.wcswidth(cut) <= width
    kept = cut[:-1] if cut.endswith("…") and cut != text else cut
    assert text.startswith(kept)
    graphemes = list(wcwidth.iter_graphemes(text))
    boundaries = {sum(len(g) for g in graphemes[:index]) for index in range(len(graphemes) + 1)}
    assert len(kept.rstrip()) in boundaries or len(kept) in boundaries
    assert wcwidth.wcswidth(fit(text, width)) == width
    assert wcwidth.wcswidth(pad(text, 40)) == max(40, wcwidth.wcswidth(text))


def test_a_table_lines_up_in_cells():
    rows = [[text, "x"] for text in SAMPLES]
    lines = format_table(rows)
    ends = {wcwidth.wcswidth(line) for line in lines}
    assert ends == {max(wcwidth.wcswidth(text) for text in SAMPLES) + 3}


def test_wrap_measures_in_cells():
    text = " ".join(["👨\u200d👩\u200d👧\u200d👦"] * 10 + ["漢字"] * 5)
    lines = wrap(text, 7)
    assert lines and all(wcwidth.wcswidth(line) <= 7 for line in lines)
