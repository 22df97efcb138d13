"""`funnel board`: active stages only unless --all, exact sums, stale and overdue marks, layouts that fit
80 and 200 columns with Cyrillic and CJK text, skipped invalid files."""

from __future__ import annotations

import json
import re
import io

import pytest

from conftest import CONTACT, deal, full_deal
from funnel import output
from funnel.views.board import render_board
from funnel.output import display_width

TODAY = {"FUNNEL_TODAY": "2026-03-25"}
PERSON = (CONTACT.replace("c-ivanov01", "c-person01").replace("company: ООО «Водоканал-Сервис»\n", "")
          .replace("Иванов Пётр Сергеевич", "Смирнова Ольга"))
LOST = "loss_reason: price\nloss_comment: Дорого\nlost_at: decision\n"
FILES = {
    "contacts/c-ivanov01.md": CONTACT,
    "contacts/c-person01.md": PERSON,
    # in lead since 03-14 (11 days; rot_days 3 -> stale by 8), next action due 03-20 (overdue by 5)
    "deals/d-lead0001.md": deal("d-lead0001", "lead", "title: Котёл для дачи\ncontact: c-person01\nowner: petrova\n"
                                "created: 2026-03-14\nnext_action: Перезвонить\nnext_action_due: 2026-03-20\n"),
    "deals/d-prop0001.md": full_deal("d-prop0001", "proposal", drop=("amount",), extra="amount: 1250000.50\n"),
    "deals/d-cont0001.md": full_deal("d-cont0001", "contract").replace("Насосная станция, ЖК «Северный»",
                                                                       "北京 水泵站 项目"),
    "deals/d-won00001.md": full_deal("d-won00001", "won"),
    "deals/d-lost0001.md": full_deal("d-lost0001", "lost", extra=LOST),
}

STACKED_80 = """\
New request · 1 deal · 0 ───────────────────────────────────────────────────────
  d-lead0001  Котёл для дачи
              Смирнова Ольга                                              —  11d
              stale +8d, overdue +5d

Needs identified · 0 deals · 0 ─────────────────────────────────────────────────

Finance and legal check · 0 deals · 0 ──────────────────────────────────────────

Proposal in preparation · 1 deal · 1 250 000.50 ────────────────────────────────
  d-prop0001  Насосная станция, ЖК «Северный»
              ООО «Водоканал-Сервис»                           1 250 000.50   5d

Proposal sent, client decides · 0 deals · 0 ────────────────────────────────────

Contract in preparation · 1 deal · 1 250 000 ───────────────────────────────────
  d-cont0001  北京 水泵站 项目
              ООО «Водоканал-Сервис»                              1 250 000   5d

Custom contract with legal · 0 deals · 0 ───────────────────────────────────────

Prepayment invoice issued · 0 deals · 0 ────────────────────────────────────────

Delivery and commissioning · 0 deals · 0 ───────────────────────────────────────

Acceptance documents · 0 deals · 0 ─────────────────────────────────────────────

Final payment awaited · 0 deals · 0 ────────────────────────────────────────────

3 deals · 2 500 000.50 · 1 stale · 1 overdue
"""


@pytest.fixture
def root(workspace, monkeypatch):
    made = workspace(FILES)
    monkeypatch.chdir(made)
    return made


def board(run, *args, columns: int = 80, **env):
    result = run("board", *args, env={**TODAY, "COLUMNS": str(columns), **env})
    assert result.exit_code == 0, result.output
    return result


def test_narrow_board_stacks_one_section_per_stage(root, run):
    """At 80 columns a title and a client do not fit one row beside each other: a card takes two rows, its
    whole title on the first (cut titles made four "Насосная станция повышения д…" look alike)."""
    result = board(run, columns=80)
    assert result.stderr == ""
    assert result.stdout == STACKED_80


@pytest.mark.parametrize("columns", [80, 200])
@pytest.mark.parametrize("everything", [(), ("--all",)])
def test_every_line_fits_the_width_in_terminal_cells(root, run, columns, everything):
    lines = board(run, *everything, columns=columns).stdout.splitlines()
    assert max(display_width(line) for line in lines) <= columns
    assert "北京 水泵站" in "\n".join(lines)


def test_wide_board_puts_stages_side_by_side(root, run):
    lines = board(run, columns=200).stdout.splitlines()
    assert lines[0].split(" │ ")[:4] == ["New request    ", "Needs          ", "Finance and    ", "Proposal in    "]
    assert lines[2].startswith("1 deal          │ 0 deals         │ 0 deals         │ 1 deal ")
    assert lines[3].split(" │ ")[3].rstrip() == "1 250 000.50"
    card_row = next(line for line in lines if line.startswith("d-lead0001"))
    assert card_row.startswith("d-lead0001  11d │ ")
    assert "d-cont0001   5d" in card_row
    cells = [len(line.split(" │ ")) for line in lines[:5]]
    assert cells == [11] * 5
    # the CJK title keeps every column boundary in the same terminal cell
    cjk = next(line for line in lines if "北京" in line)
    bars = [display_width(cjk[:index]) for index, ch in enumerate(cjk) if ch == "│"]
    assert bars == [display_width(lines[2][:index]) for index, ch in enumerate(lines[2]) if ch == "│"]


def test_the_board_lists_no_won_or_lost_deal_unless_all(root, run):
    plain = board(run).stdout
    assert "d-won00001" not in plain and "d-lost0001" not in plain
    data = json.loads(board(run, "--format", "json").stdout)
    assert [column["stage"] for column in data["columns"]] == [
        "lead", "needs", "approval", "proposal", "decision", "contract", "negotiation", "invoice", "delivery",
        "acceptance", "postpayment"]
    everything = board(run, "--all").stdout
    assert "Won · 1 deal · 1 250 000" in everything and "Lost · 1 deal · 1 250 000" in everything
    assert "d-won00001" in everything and "d-lost0001" in everything
    data = json.loads(board(run, "--all", "--format", "json").stdout)
    assert [column["stage"] for column in data["columns"]][-2:] == ["won", "lost"]


def test_json_columns_carry_count_exact_amount_and_cards(root, run):
    data = json.loads(board(run, "--format", "json").stdout)
    by_stage = {column["stage"]: column for column in data["columns"]}
    assert by_stage["needs"] == {"stage": "needs", "label": "Needs identified", "count": 0, "amount": "0",
                                 "deals": []}
    assert by_stage["proposal"]["amount"] == "1250000.50" and by_stage["proposal"]["count"] == 1
    assert by_stage["lead"]["deals"] == [{
        "id": "d-lead0001", "title": "Котёл для дачи", "amount": None, "client": "Смирнова Ольга",
        "contact": "c-person01", "owner": "petrova", "days_in_stage": 11, "stale_days": 8, "overdue_days": 5}]
    assert by_stage["contract"]["deals"][0]["client"] == "ООО «Водоканал-Сервис»"


def test_sums_are_exact_decimals(root, run):
    (root / "deals/d-prop0002.md").write_text(
        full_deal("d-prop0002", "proposal", drop=("amount",), extra="amount: 0.10\n"), encoding="utf-8")
    (root / "deals/d-prop0003.md").write_text(
        full_deal("d-prop0003", "proposal", drop=("amount",), extra="amount: 0.20\n"), encoding="utf-8")
    data = json.loads(board(run, "--format", "json").stdout)
    proposal = next(column for column in data["columns"] if column["stage"] == "proposal")
    assert (proposal["count"], proposal["amount"]) == (3, "1250000.80")


def test_owner_and_where_filter_the_cards(root, run):
    only = json.loads(board(run, "--owner", "petrova", "--format", "json").stdout)
    assert [deal["id"] for column in only["columns"] for deal in column["deals"]] == ["d-lead0001"]
    rich = json.loads(board(run, "--where", "amount>=1000000", "--where", "stage>=contract", "--format",
                            "json").stdout)
    assert [deal["id"] for column in rich["columns"] for deal in column["deals"]] == ["d-cont0001"]
    refused = run("board", "--where", "sorce=website")
    assert refused.exit_code == 1 and "did you mean 'contact.source'?" in refused.stderr


def test_an_invalid_file_beside_valid_ones_is_skipped_and_said_on_stderr(root, run):
    (root / "deals/d-bad00001.md").write_text(FILES["deals/d-lead0001.md"].replace("d-lead0001", "d-bad00001")
                                              .replace("stage: lead", "stage: limbo"), encoding="utf-8")
    (root / "deals/d-worse001.md").write_text("---\nid: [unclosed\n---\n", encoding="utf-8")
    result = board(run)
    assert result.stdout == STACKED_80
    assert result.stderr == "2 files skipped (invalid); run 'funnel check'\n"


def test_colour_only_on_a_terminal_and_never_with_no_color(root, run, monkeypatch):
    assert "\033[" not in board(run).stdout  # CliRunner's stdout is no terminal

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert output.colour_enabled(Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not output.colour_enabled(Terminal())


def test_colour_codes_never_count_towards_the_width(root, run):
    from funnel.views.board import build_board
    from funnel.views.query import ViewContext
    from funnel.store.workspace import load_workspace
    from datetime import date

    context = ViewContext(load_workspace(root), date(2026, 3, 25))
    columns = build_board([r for r in context.workspace.records if r.kind == "deal"], context)
    for width in (80, 200):
        painted = render_board(columns, width, colour=True)
        assert any("\033[" in line for line in painted)
        plain = [re.sub(r"\033\[[0-9;]*m", "", line) for line in painted]
        assert plain == render_board(columns, width, colour=False)


TWO_STAGES = """\
version: 1
stages:
  - {id: new, label: Новые, rot_days: 5}
  - {id: talks, label: Переговоры с клиентом, rot_days: 10}
  - {id: won, label: Выиграна, terminal: won}
  - {id: lost, label: Проиграна, terminal: lost}
loss_reasons: {price: Цена}
contacts:
  fields:
    name: {type: string, label: Имя}
    company: {type: string, label: Компания}
deals:
  fields:
    title: {type: string, label: Название}
    contact: {type: contact, label: Клиент}
    amount: {type: decimal, label: Сумма}
"""


def test_a_small_pipeline_sits_side_by_side_even_at_80_columns(workspace, run, monkeypatch):
    history = "  - {stage: new, at: 2026-03-01T10:00:00+03:00}\n  - {stage: talks, at: 2026-03-20T10:00:00+03:00}\n"
    root = workspace({
        "contacts/c-one00001.md": "---\nid: c-one00001\nname: Иванов\ncompany: ООО «Альфа»\n---\n",
        "deals/d-one00001.md": deal("d-one00001", "new", "title: Насос\ncontact: c-one00001\namount: 100\n",
                                    history="  - {stage: new, at: 2026-03-24T10:00:00+03:00}\n"),
        "deals/d-two00001.md": deal("d-two00001", "talks", "title: Котельная для школы № 5\ncontact: c-one00001\n"
                                    "amount: 2500000\n", history=history),
        "deals/d-won00001.md": deal("d-won00001", "won", "title: Старая сделка\namount: 7\n",
                                    history="  - {stage: won, at: 2026-01-01T10:00:00+03:00}\n"),
    }, schema=TWO_STAGES)
    monkeypatch.chdir(root)
    result = board(run, columns=80)
    assert result.stdout == """\
Новые                            │ Переговоры с клиентом
1 deal                           │ 1 deal
100                              │ 2 500 000
──────────────────────────────── │ ────────────────────────────────
d-one00001                    1d │ d-two00001                    5d
Насос                            │ Котельная для школы № 5
ООО «Альфа»                      │ ООО «Альфа»
100                              │ 2 500 000

2 deals · 2 500 100
"""


from decimal import Decimal  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

from funnel.views.board import BoardCard, BoardColumn  # noqa: E402
from funnel.model.schema import Stage  # noqa: E402

TEXT = st.text(alphabet=st.sampled_from(list("abc XYZ-«»Жжё北京水泵站\u0301é…")), max_size=60)


@settings(max_examples=150, deadline=None)
@given(labels=st.lists(TEXT.filter(str.strip), min_size=1, max_size=13),
       titles=st.lists(st.tuples(TEXT, TEXT, st.integers(0, 10**12), st.integers(0, 999),
                                 st.none() | st.integers(1, 99)), max_size=12),
       width=st.integers(20, 220))
def test_no_line_is_ever_wider_than_asked(labels, titles, width):
    columns = [BoardColumn(Stage(f"s{index}", label, index)) for index, label in enumerate(labels)]
    for index, (title, client, cents, days, stale) in enumerate(titles):
        columns[index % len(columns)].cards.append(BoardCard(
            f"d-{index:08d}", title, client, None, None, Decimal(cents) / 100, days, stale, stale))
    for colour in (False, True):
        for line in render_board(columns, width, colour):
            assert display_width(re.sub(r"\033\[[0-9;]*m", "", line)) <= width


from conftest import REPO  # noqa: E402


@pytest.mark.skipif(not (REPO / "deals").is_dir(), reason="no demo workspace")
@pytest.mark.parametrize("columns", [80, 200])
def test_the_demo_board_fits_80_and_200_columns(run, columns):
    result = run("board", "--root", str(REPO), env={"FUNNEL_TODAY": "2026-11-27", "COLUMNS": str(columns)})
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) > 20 and max(display_width(line) for line in lines) <= columns


def test_the_limit_options_default_is_the_boards_card_limit():
    from funnel.cli import main
    from funnel.views.board import CARD_LIMIT

    limit = next(param for param in main.commands["board"].params if param.name == "limit")
    assert limit.default == CARD_LIMIT
