"""Rules that lived in two places and disagreed: each now has one home, and these tests (command line only, so
they ran against the code before the change too, and failed there) hold the places to one answer."""

from __future__ import annotations

import json

import pytest

from conftest import CONTACT, deal, full_deal

TODAY = {"FUNNEL_TODAY": "2026-06-01"}


def test_a_computed_amount_is_positional_in_a_report(workspace, run):
    # 0.000001 × probability 0.10 = 1E-7 as Decimal's own text
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-aaaa0001.md": deal("d-aaaa0001", "needs", "contact: c-ivanov01\nowner: ivanov\n"
                                           "amount: 0.000001\nneeds: x\ncategories: [small]\n")})
    result = run("report", "forecast", "--format", "json", "--root", str(root), env={"FUNNEL_TODAY": "2026-04-01"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    needs = next(row for row in data["stages"] if row["stage"] == "needs")
    assert needs["weighted"] == "0.0000001"
    assert "E-" not in result.stdout


def test_a_won_deal_is_never_overdue(workspace, run):
    """`show` of a won deal said "overdue by 61 days" while `list --due` listed nothing: one rule, in aging."""
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "won", extra="next_action_due: 2026-04-01\n"),
                      "deals/d-aaaa0002.md": full_deal("d-aaaa0002", "lead", extra="next_action_due: 2026-04-01\n")})
    env = {"FUNNEL_TODAY": "2026-06-01"}
    due = run("list", "deals", "--due", "--format", "json", "--root", str(root), env=env)
    assert [row["id"] for row in json.loads(due.stdout)] == ["d-aaaa0002"]
    won = run("show", "d-aaaa0001", "--all", "--root", str(root), env=env)
    assert won.exit_code == 0, won.output
    assert "2026-04-01" in won.stdout
    assert "overdue" not in won.stdout
    open_deal = run("show", "d-aaaa0002", "--root", str(root), env=env)
    assert "2026-04-01 (overdue by 61 days)" in open_deal.stdout


def test_a_front_matter_fence_is_one_definition_for_check_and_set(workspace, run):
    """A first line `---\xa0` passed `check` while `set` refused it: now neither takes it for a fence."""
    text = full_deal("d-aaaa0001", "lead").replace("---\n", "---\xa0\n", 1)
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": text})
    check = run("check", "--root", str(root))
    assert check.exit_code == 1
    assert "deals/d-aaaa0001.md:1:1: error: missing front matter" in check.output
    before = (root / "deals/d-aaaa0001.md").read_bytes()
    refused = run("set", "d-aaaa0001", "owner=petrova", "--root", str(root))
    assert refused.exit_code == 1
    assert (root / "deals/d-aaaa0001.md").read_bytes() == before


def test_a_fence_may_end_in_spaces_and_tabs_for_both(workspace, run):
    text = full_deal("d-aaaa0001", "lead").replace("---\n", "--- \t\n", 1)
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": text})
    assert run("check", "--root", str(root)).exit_code == 0
    assert run("set", "d-aaaa0001", "owner=petrova", "--root", str(root)).exit_code == 0
    assert "owner: petrova\n" in (root / "deals/d-aaaa0001.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("date", ["2026-3-5", "２０２６-03-05"])
def test_one_reading_of_a_date_everywhere(workspace, run, date):
    """`--since 2026-3-5` was accepted while the same text was refused for --set, --where and FUNNEL_TODAY."""
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    since = run("report", "funnel", "--since", date, "--root", str(root))
    assert since.exit_code == 2
    assert f"'{date}' is not a date YYYY-MM-DD" in since.output
    where = run("list", "deals", "--where", f"next_action_due<{date}", "--root", str(root))
    assert where.exit_code == 1 and f"'{date}' is not a date YYYY-MM-DD" in where.output
    today = run("list", "deals", "--root", str(root), env={"FUNNEL_TODAY": date})
    assert today.exit_code == 1 and "is not a date YYYY-MM-DD" in today.output
    refused = run("set", "d-aaaa0001", f"next_action_due={date}", "--root", str(root))
    assert refused.exit_code == 1 and f"'{date}' is not a date YYYY-MM-DD" in refused.output


@pytest.mark.parametrize("amount", ["１２３", "١٢٣"])
def test_numbers_from_the_command_line_are_ascii_digits_like_in_files(workspace, run, amount):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    before = (root / "deals/d-aaaa0001.md").read_bytes()
    result = run("set", "d-aaaa0001", f"amount={amount}", "--root", str(root))
    assert result.exit_code == 1
    assert f"amount: '{amount}' is not a decimal number" in result.output
    assert (root / "deals/d-aaaa0001.md").read_bytes() == before
