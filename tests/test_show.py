"""`funnel show`: the card, exact text for a small workspace; JSON as SPEC fixes it; ids and prefixes."""

from __future__ import annotations

import json
import re

import pytest

from conftest import CONTACT, deal, full_deal

TODAY = {"FUNNEL_TODAY": "2026-03-25"}

PROPOSAL = deal("d-pump0001", "proposal", (
    "title: Насосная станция, ЖК «Северный»\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\n"
    "amount: 1250000.50\nneeds: |\n  Три насоса.\n  Поставка до лета.\ncategories: [small, standard]\n"
    "finance_check: approved\nlegal_check: passed\ninstall_address: г. Казань\n"
    "next_action: Позвонить в финотдел\nnext_action_due: 2026-03-22\n"), body="Заметки о сделке.\n")

PROPOSAL_CARD = """\
deal d-pump0001
Stage:                Proposal in preparation (proposal) · 5 days in stage
Title:                Насосная станция, ЖК «Северный»
Contact:              c-ivanov01 — Иванов Пётр Сергеевич, ООО «Водоканал-Сервис»
Owner:                ivanov
Created:              2026-03-14
Amount:               1 250 000.50
Next action:          Позвонить в финотдел
Next action due:      2026-03-22 (overdue by 3 days)
Needs:                Три насоса.
                      Поставка до лета.
Equipment categories: Small, Standard
Finance check:        Approved
Legal check:          Passed
Proposal options:     —

Заметки о сделке.
"""


@pytest.fixture
def root(workspace, monkeypatch):
    made = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-pump0001.md": PROPOSAL})
    monkeypatch.chdir(made)
    return made


def test_the_card_shows_the_fields_in_use_with_labels_in_schema_order(root, run):
    result = run("show", "d-pump0001", env=TODAY)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == PROPOSAL_CARD


def test_a_field_not_yet_relevant_is_hidden_and_shows_at_its_stage(root, run):
    assert "Installation address" not in run("show", "d-pump0001", env=TODAY).stdout
    moved = PROPOSAL.replace("stage: proposal", "stage: contract").replace("{stage: proposal", "{stage: contract")
    (root / "deals/d-pump0001.md").write_text(moved, encoding="utf-8")
    card = run("show", "d-pump0001", env=TODAY).stdout
    assert "Installation address: г. Казань\n" in card
    assert "Equipment:            —\n" in card  # relevant now, still to fill in


def test_a_unique_prefix_resolves_like_a_git_hash(root, run):
    assert run("show", "d-pu", env=TODAY).stdout == PROPOSAL_CARD


def test_all_prints_every_schema_field(root, run):
    card = run("show", "d-pump0001", "--all", env=TODAY).stdout
    for label in ("Installation address:", "Loss reason:", "Final payment received on:", "Lost at stage:"):
        assert label in card
    assert "History:                   2026-03-14 10:02+03:00  New request (lead)\n" \
           "                           2026-03-20 10:00+03:00  Proposal in preparation (proposal)\n" in card


def test_json_is_every_field_the_record_holds_whatever_all_says(root, run):
    plain = json.loads(run("show", "d-pump", "--format", "json").stdout)
    assert json.loads(run("show", "d-pump", "--format", "json", "--all").stdout) == plain
    assert plain == {
        "id": "d-pump0001", "stage": "proposal", "title": "Насосная станция, ЖК «Северный»",
        "contact": "c-ivanov01", "owner": "ivanov", "created": "2026-03-14", "needs": "Три насоса.\nПоставка до лета.\n",
        "categories": ["small", "standard"], "finance_check": "approved", "legal_check": "passed",
        "amount": "1250000.50", "install_address": "г. Казань", "next_action": "Позвонить в финотдел",
        "next_action_due": "2026-03-22",
        "history": [{"stage": "lead", "at": "2026-03-14T10:02:00+03:00"},
                    {"stage": "proposal", "at": "2026-03-20T10:00:00+03:00"}],
    }


def test_a_contacts_card_lists_its_deals(root, run):
    result = run("show", "c-ivanov01", env=TODAY)
    assert result.exit_code == 0
    assert result.stdout == """\
contact c-ivanov01
Full name:            Иванов Пётр Сергеевич
Company:              ООО «Водоканал-Сервис»
Phone:                +7 (912) 345-67-89
E-mail:               ivanov@vodokanal.ru
Lead source:          Website
Equipment preference: Domestic
Client type:          End customer

Deals (1):
  d-pump0001  Насосная станция, ЖК «Северный»  Proposal in preparation  1 250 000.50
"""
    contact = json.loads(run("show", "c-ivanov01", "--format", "json").stdout)
    assert contact["id"] == "c-ivanov01" and "stage" not in contact


def test_a_lost_deal_shows_its_loss_and_choice_labels(root, run, workspace):
    lost = full_deal("d-lost0001", "lost", drop=("proposals", "equipment", "install_address"),
                     extra="loss_reason: finance_ban\nloss_comment: Служба безопасности против\nlost_at: approval\n")
    (root / "deals/d-lost0001.md").write_text(lost, encoding="utf-8")
    card = run("show", "d-lost", env=TODAY).stdout
    assert card.startswith("deal d-lost0001\nStage:                Lost · 5 days in stage\n")
    assert "Loss reason:          Banned at the finance/legal check (finance_ban)\n" in card
    assert "Lost at stage:        Finance and legal check (approval)\n" in card
    assert "Next action" not in card  # closed: empty fields are left out


@pytest.mark.parametrize("given, message", [
    ("d-nothere", "no record with id 'd-nothere'"),
    ("../schema.yaml", "'../schema.yaml' is not an id"),
    ("deals/d-pump0001.md", "is not an id"),
    ("..", "'..' is not an id"),
])
def test_anything_but_a_known_id_is_refused_in_one_line(root, run, given, message):
    result = run("show", given)
    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.count("\n") == 1 and result.stdout == ""


def test_an_ambiguous_prefix_lists_the_candidates(root, run):
    (root / "deals/d-pump0002.md").write_text(PROPOSAL.replace("d-pump0001", "d-pump0002"), encoding="utf-8")
    result = run("show", "d-pump")
    assert result.exit_code == 1
    assert "ambiguous" in result.stderr and "d-pump0001, d-pump0002" in result.stderr


def test_an_invalid_record_still_shows_with_a_warning(root, run):
    broken = PROPOSAL.replace("amount: 1250000.50", "amount: a lot")
    (root / "deals/d-pump0001.md").write_text(broken, encoding="utf-8")
    result = run("show", "d-pump0001", env=TODAY)
    assert result.exit_code == 0
    assert "Amount:               —\n" in result.stdout
    assert "invalid" in result.stderr and "funnel check" in result.stderr


def test_an_unreadable_record_points_at_check(root, run):
    (root / "deals/d-empty001.md").write_text("no front matter\n", encoding="utf-8")
    result = run("show", "d-empty")
    assert result.exit_code == 1
    assert "deals/d-empty001.md: cannot be read as a record; run 'funnel check deals/d-empty001.md'" in result.stderr


def test_a_contacts_card_skips_invalid_deals_and_says_so(root, run):
    (root / "deals/d-bad00001.md").write_text(PROPOSAL.replace("d-pump0001", "d-bad00001")
                                              .replace("stage: proposal", "stage: nowhere"), encoding="utf-8")
    result = run("show", "c-ivanov01", env=TODAY)
    assert result.exit_code == 0 and "Deals (1):" in result.stdout
    assert result.stderr == "1 file skipped (invalid); run 'funnel check'\n"


def test_an_empty_field_the_schema_asks_of_other_records_only_is_hidden(root, run):
    """The debt check applies to repeat clients only; a first-time client's card does not offer it (issue 15)."""
    assert "Debt check" not in run("show", "d-pump0001", env=TODAY).stdout
    assert re.search(r"^Debt check: +—$", run("show", "d-pump0001", "--all", env=TODAY).stdout, re.M)


def test_a_repeat_clients_empty_debt_check_shows_as_still_to_fill_in(root, run):
    earlier = deal("d-old00001", "lead", "title: Старая сделка\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2025-01-10\n",
                   history="  - {stage: lead, at: 2025-01-10T10:00:00+03:00}\n")
    (root / "deals/d-old00001.md").write_text(earlier, encoding="utf-8")
    assert "Debt check:           —\n" in run("show", "d-pump0001", env=TODAY).stdout


def test_a_contact_with_a_phone_only_does_not_show_an_empty_e_mail(root, run):
    phone_only = CONTACT.replace("id: c-ivanov01", "id: c-phone001").replace("email: ivanov@vodokanal.ru\n", "")
    (root / "contacts/c-phone001.md").write_text(phone_only, encoding="utf-8")
    card = run("show", "c-phone001", env=TODAY).stdout
    assert "Phone:" in card and "E-mail" not in card
    no_phone = CONTACT.replace("id: c-ivanov01", "id: c-email001").replace("phone: +7 (912) 345-67-89\n", "")
    (root / "contacts/c-email001.md").write_text(no_phone, encoding="utf-8")
    card = run("show", "c-email001", env=TODAY).stdout
    assert "E-mail:" in card and "Phone" not in card
