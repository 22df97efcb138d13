"""The simple reader (reader.simple_mapping) stands in for libyaml on the shape funnel writes. Wherever it
accepts a text it must give exactly what libyaml's walk gives — the same tree, the same positions — and it must
accept the shape every generated and demo record has (or it would save nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import benchmark_generators
from funnel.frontmatter import reader

REPO = Path(__file__).resolve().parent.parent


def through_libyaml(text: str):
    """parse_yaml's answer without the simple reader: libyaml composes, _TreeBuilder walks."""
    reader._load_yaml()
    simple, reader._SIMPLE_READER = reader._SIMPLE_READER, False
    try:
        return reader.parse_yaml(text, line_offset=1, all_positions=False)
    finally:
        reader._SIMPLE_READER = simple


def assert_agrees(text: str) -> bool:
    """True when the simple reader took `text`; then its answer is libyaml's."""
    simple = reader.simple_mapping(text, 1)
    if simple is None:
        return False
    tree, positions, problems = through_libyaml(text)
    assert problems == [], (text, problems)
    assert (tree, positions) == simple, text
    return True


def front_matter(path: Path) -> str | None:
    text = path.read_text("utf-8")
    if not text.startswith("---\n") or "\n---\n" not in text:
        return None
    return text[4:text.index("\n---\n") + 1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[Path]:
    generate, generate_plain = benchmark_generators()
    rich, plain = tmp_path_factory.mktemp("rich"), tmp_path_factory.mktemp("plain")
    generate(rich, 150, 40, seed=3, attachments=True)
    generate_plain(plain, 150, 40, seed=3)
    return [path for root in (rich, plain, REPO) for kind in ("contacts", "deals")
            for path in sorted((root / kind).glob("*.md"))]


def test_records_funnel_and_the_generators_write_agree(generated):
    fronts = [front for front in map(front_matter, generated) if front is not None]
    taken = sum(assert_agrees(front) for front in fronts)
    # the plain shape, the demo's contacts and every record without a block text or a nested list is taken
    assert taken >= len(fronts) // 2


@pytest.mark.parametrize("text", [
    "a: Привет мир\nb: [x, Ый, z]\nc:\n  - {stage: lead, at: 2026-01-19T10:20:00+03:00}\n  - {stage: Ёж, at: 'q'}\n"
    "d:\ne: x\n",
    "c:\n- a\n- b\nd:",
    "c:   x\nd:\n\ne: y\n",
    "t: 'Ёж'\nu: \"q\"\nv: ~\nw: ''\nx: null\ny: 'it''s'\n",
    "a: x, y\nb: x [y] {z}\nc: x#y\nd: x :y\ne: []\nf:\n  - {}\n  - 'q'\n  - plain text\n",
    "a: [x:y]\n", "a: -5\n", "a: x:\n", "a:  \n", "a: |\n  x\n", "a: x # c\n", "# c\na: b\n", "a: b\n  c\n",
    "a: b\n- c\n", "a:\n  - b\n    c: d\n", "a:\n  - x: y\n", "a: [b, ]\n", "a: {b: c}\n", "a: &x b\nc: *x\n",
    "a: 'b\n", "a: \"b\\n\"\n", "a: b\na: c\n", "a:\n  - {b: c, b: d}\n", "a: b\tc\n", "a: b\r\n", "a:b\n",
    "Ключ: x\n", "a: \u2028b\n", "a: b\u00a0\n", "a: [b, [c]]\n", "a: [b,c]\n", "a: ['b, c', d]\n",
    "a:\n  - {b: 'c, d: e'}\n", "a:\n  - {b: x: y}\n", "a:\n  - {b: x:, c: y}\n", "a: @b\n", "a: `b\n",
    "a: b #c\n", "a:\n  - b\n  - c\nd: e\n", "a:\n    - b\n  - c\n", "? a\n: b\n", "a: !!str b\n",
    "a: b\na\n", "a\na: b\n", "a: \n", "a: b\nc: \n", "a:  b \n",
    "a: |\n  x\n  y\nb: 1\n", "a: |\n  x\n\n  y\nb: 1\n", "a: |\n  x\n    y\nb: c\n", "a: |\n  x\n", "a: |\nb: 1\n",
    "a: |\n", "a: |\n  x\n y\n", "a: |\n   x\n  y\nb: c\n", "a: |\n  x  \n  #y: z\nb: c\n", "a: |-\n  x\nb: c\n",
    "p:\n  - o: x\n    e: y\n  - o: z\n", "p:\n- o: x\n  e: y\n", "p:\n  - o: x\n    e: y\n    e: z\n",
    "p:\n  - o: x\n     e: y\n", "p:\n  - o: x\n    - e\n", "p:\n  - o:  x\n", "p:\n  - o: x\n    e:  y\nq: 1\n",
    "p:\n  - o: x\n    e:\nq: 1\n", "p:\n  - o: x\n  - 1\nq: 2\n", "p:\n  - o: x\n    e: |\n      t\nq: 1\n",
    "a: [😀x, b, 𝔘c]\n", "a: 😀\nb: [ж😀, q]\n", "c:\n  - {a: 😀, b: x}\n  - 😀\n",  # columns count code points
])
def test_tricky_texts_are_read_as_libyaml_reads_them_or_left_to_it(text):
    assert_agrees(text)


SIMPLE_LINES = st.sampled_from([
    "id: d-aaaa0001\n", "title: Насос №5, «Горки»\n", "title: 'x, y: z'\n", "owner: \"ivanov\"\n", "stage:\n",
    "categories: [small, large]\n", "categories: ['a b', \"c\"]\n", "categories: []\n", "history:\n",
    "  - {stage: lead, at: 2026-01-19T10:20:00+03:00}\n", "  - {stage: lead, at: '2026-01-19'}\n", "- x\n",
    "  - {}\n", "  - plain\n", "  - 'it''s'\n", "\n", "amount: 12.5\n", "x: ~\n", "x: null\n", "x:\n",
    "x: a:b\n", "x: a#b\n", "x: -1\n", "x: 'a''b'\n", "x: [a:b]\n", "x:  y\n", "y: ab\n", "z: Ж\n",
    "needs: |\n", "  Замена станции: 55 м³/ч\n", "    отступ\n", "proposals:\n", "  - option: эконом\n",
    "    price: 1480000\n", "    equipment: 'Wilo, COR'\n", "- option: x\n", "  price: 1\n",
])
ALMOST_LINES = st.sampled_from([
    "x: a: b\n", "x: a #b\n", "x: [a, b\n", "x: {a: b}\n", "x: :\n", "x: \"a\\\"b\"\n", "x: a\tb\n", "x: 'a\n",
    "x: ]\n", "  - {a: b, a: c}\n", "  - {a: b:c}\n", "  - {a: 'b, c'}\n", "  - {a: [b]}\n", "x: [a , b]\n",
    "x: [ a]\n", "    nested: x\n", "  more\n", "x: a \n", "# c\n", "x: |\n", "x: &a b\n", "x: *a\n", "---\n",
    "...\n", "x: 'a' b\n", "  - - a\n", "  -\n", "x: [a, 'b]\n", "x: [a,, b]\n", "x: [', ']\n", "x:\u00a0b\n",
    "  -  a\n", "-   &\n", "  -   8, !!|%\n",  # more than one space after the dash (found by a wider fuzz)
])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(SIMPLE_LINES, max_size=10), st.lists(ALMOST_LINES, max_size=1), st.integers(0, 10))
def test_simple_lines_with_at_most_one_odd_one_agree_with_libyaml(lines, odd, at):
    assert_agrees("".join(lines[:at] + odd + lines[at:]))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.sampled_from(["a", "b", ":", " ", ",", "'", '"', "[", "]", "{", "}", "-", "#", "\n", "  - ",
                                 "Ж", "\\", "~", "&", "*", "|", "x: ", "\n  - {", "}\n"]), max_size=30))
def test_any_text_of_yaml_punctuation_agrees_with_libyaml(parts):
    assert_agrees("".join(parts))
