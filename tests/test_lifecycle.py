"""Moving deals through the reference pipeline with the CLI: every gate refused unmet, then met."""

from __future__ import annotations

import hashlib
import time

import pytest

from conftest import CONTACT

# stage -> (its unmet requirements as `move` names them for a deal carrying nothing yet, the --set that meets it)
GATES = [
    ("needs", ["needs (Needs): required (gate of stage 'needs')",
               "categories (Equipment categories): at least 1 item required (gate of stage 'needs')"],
     ["needs=Станция повышения давления, 3 насоса", "categories=small,standard"]),
    ("approval", [], []),
    ("proposal", ["finance_check (Finance check): must be approved (Approved) (gate of stage 'proposal')",
                  "legal_check (Legal check): must be passed (Passed) (gate of stage 'proposal')"],
     ["finance_check=approved", "legal_check=passed"]),
    ("decision", ["proposals (Proposal options): at least 1 item required (gate of stage 'decision')"],
     ['proposals=[{"option":"эконом","equipment":"Wilo COR-3","price":890000},'
      '{"option":"стандарт","equipment":"Grundfos Hydro MPC-E","price":1250000},'
      '{"option":"премиум","equipment":"KSB Hya-Solo","price":1600000.50}]']),
    ("contract", ["equipment (Equipment): required (gate of stage 'contract')",
                  "amount (Amount): required (gate of stage 'contract')",
                  "install_address (Installation address): required (gate of stage 'contract')"],
     ["equipment=Grundfos Hydro MPC-E", "amount=1250000", "install_address=г. Казань, ул. Баумана, д. 12"]),
    ("invoice", ["contract_type (Contract type): required (gate of stage 'invoice')",
                 "contract_signed_on (Contract signed on): required (gate of stage 'invoice')",
                 "prepayment_invoice (Prepayment invoice): required (gate of stage 'invoice')",
                 "prepayment_amount (Prepayment amount): required (gate of stage 'invoice')"],
     ["contract_type=standard", "contract_signed_on=2026-04-02", "prepayment_invoice=СЧ-2026-041",
      "prepayment_amount=625000"]),
    ("delivery", ["prepayment_paid_on (Prepayment paid on): required (gate of stage 'delivery')"],
     ["prepayment_paid_on=2026-04-10"]),
    ("acceptance", ["commissioned_on (Commissioned on): required (gate of stage 'acceptance')"],
     ["commissioned_on=2026-05-20"]),
    ("postpayment", ["accepted_on (Accepted on): required (gate of stage 'postpayment')",
                     "acceptance_docs (Acceptance documents): at least 1 item required (gate of stage "
                     "'postpayment')"],
     ["accepted_on=2026-05-25"]),
    ("won", ["postpayment_paid_on (Final payment received on): required (gate of stage 'won')"],
     ["postpayment_paid_on=2026-06-01", "postpayment_amount=625000"]),
]


@pytest.fixture
def pipeline(workspace, run, monkeypatch, tmp_path):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    monkeypatch.chdir(root)
    deal_id = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=Насосная станция",
                  "--set", "owner=ivanov").stdout.strip()
    return root, deal_id


def sets(assignments):
    return [part for assignment in assignments for part in ("--set", assignment)]


def test_walk_the_whole_pipeline_lead_to_won_skipping_negotiation(pipeline, run, tmp_path):
    root, deal_id = pipeline
    path = root / "deals" / f"{deal_id}.md"
    scan = tmp_path / "Акт приёмки (подписан).pdf"
    scan.write_bytes(b"%PDF-1.4 signed")
    stage = "lead"
    for target, unmet, assignments in GATES:
        before = path.read_bytes()
        refused = run("move", deal_id, target)
        if unmet:
            assert refused.exit_code == 1, target
            assert refused.stderr.splitlines() == [
                f"Error: cannot move {deal_id} from {stage} to {target}; unmet:"] + [f"  {m}" for m in unmet]
            assert path.read_bytes() == before, target
        else:
            assert refused.exit_code == 0
            assert refused.stdout == f"{deal_id}: {stage} → {target}\n"
            stage = target
            continue
        if target == "postpayment":
            assert run("attach", deal_id, str(scan)).exit_code == 0
        command = ["win", deal_id] if target == "won" else ["move", deal_id, target]
        moved = run(*command, *sets(assignments))
        assert moved.exit_code == 0, (target, moved.stderr)
        assert moved.stdout == f"{deal_id}: {stage} → {target}\n"
        stage = target
    text = path.read_text(encoding="utf-8")
    assert [line.split(",")[0] for line in text.splitlines() if line.startswith("  - {stage:")] == [
        f"  - {{stage: {name}" for name in ["lead", "needs", "approval", "proposal", "decision", "contract",
                                              "invoice", "delivery", "acceptance", "postpayment", "won"]]
    assert ("acceptance_docs:\n  - {path: deals/" + deal_id + "/Акт_приёмки_подписан.pdf, sha256: "
            + hashlib.sha256(b"%PDF-1.4 signed").hexdigest() + "}\n") in text
    assert "price: 1600000.50}" in text
    assert run("check").exit_code == 0


def test_custom_contract_goes_through_negotiation(pipeline, run):
    root, deal_id = pipeline
    for target, _, assignments in GATES[:5]:
        assert run("move", deal_id, target, *sets(assignments)).exit_code == 0, target
    refused = run("move", deal_id, "negotiation")
    assert refused.stderr.splitlines()[1:] == [
        "  contract_type (Contract type): must be custom (Custom) (gate of stage 'negotiation')",
        "  contract_changes (Contract changes): required (gate of stage 'negotiation')"]
    assert run("move", deal_id, "negotiation", "--set", "contract_type=custom").exit_code == 1
    moved = run("move", deal_id, "negotiation", "--set", "contract_type=custom",
                "--set", "contract_changes=Отсрочка платежа 30 дней")
    assert moved.stdout == f"{deal_id}: contract → negotiation\n"
    # --next from the optional stage goes on along the main path
    refused = run("move", deal_id, "--next")
    assert "to invoice" in refused.stderr and "contract_changes" not in refused.stderr
    refused_unset = run("set", deal_id, "--unset", "contract_changes")
    assert refused_unset.exit_code == 1
    moved = run("move", deal_id, "--next", "--set", "contract_signed_on=2026-04-02",
                "--set", "prepayment_invoice=СЧ-1", "--set", "prepayment_amount=100")
    assert moved.stdout == f"{deal_id}: negotiation → invoice\n"
    assert run("check").exit_code == 0


def test_next_skips_the_optional_stage_prev_goes_back_and_both_are_logged(pipeline, run):
    root, deal_id = pipeline
    for target, _, assignments in GATES[:5]:
        assert run("move", deal_id, target, *sets(assignments)).exit_code == 0
    assert run("move", deal_id, "--prev").stdout == f"{deal_id}: contract → decision\n"
    assert run("move", deal_id, "--next").stdout == f"{deal_id}: decision → contract\n"
    refused = run("move", deal_id, "--next")
    assert refused.stderr.startswith(f"Error: cannot move {deal_id} from contract to invoice; unmet:")
    assert run("move", deal_id, "contract", "--next").exit_code == 2
    assert run("move", deal_id).exit_code == 2
    unknown = run("move", deal_id, "shipping")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("Error: unknown stage 'shipping'")
    text = (root / "deals" / f"{deal_id}.md").read_text(encoding="utf-8")
    assert text.count("{stage: contract,") == 2 and text.count("{stage: decision,") == 2


def test_lose_needs_a_listed_reason_and_a_comment_and_records_lost_at(pipeline, run):
    root, deal_id = pipeline
    path = root / "deals" / f"{deal_id}.md"
    assert run("move", deal_id, "needs", *sets(GATES[0][2])).exit_code == 0
    before = path.read_bytes()
    no_reason = run("lose", deal_id, "--comment", "x")
    assert no_reason.exit_code == 2
    free_text = run("lose", deal_id, "--reason", "too expensive", "--comment", "Дорого")
    assert free_text.exit_code == 1
    assert free_text.stderr.startswith("Error: --reason: loss_reason: 'too expensive' is not one of price,")
    blank = run("lose", deal_id, "--reason", "price", "--comment", "   ")
    assert blank.stderr.splitlines() == [f"Error: cannot move {deal_id} from needs to lost; unmet:",
                                         "  loss_comment (Loss comment): required (gate of stage 'lost')"]
    assert path.read_bytes() == before
    lost = run("lose", deal_id, "--reason", "vanished", "--comment", "Не отвечает с сентября")
    assert lost.stdout == f"{deal_id}: needs → lost\n"
    text = path.read_text(encoding="utf-8")
    assert "loss_reason: vanished\nloss_comment: Не отвечает с сентября\nlost_at: needs\n" in text
    assert run("lose", deal_id, "--reason", "price", "--comment", "x").stderr == \
        f"Error: deal {deal_id} is already lost; only an open deal can be lost\n"
    back = run("move", deal_id, "needs")
    assert back.stderr == f"Error: deal {deal_id} is lost; moving it back to 'needs' needs --reopen\n"
    assert run("move", deal_id, "needs", "--reopen").stdout == f"{deal_id}: lost → needs\n"
    assert run("check").exit_code == 0


def test_finance_ban_is_recorded_in_one_step(pipeline, run):
    root, deal_id = pipeline
    assert run("move", deal_id, "approval", *sets(GATES[0][2])).exit_code == 0
    refused = run("set", deal_id, "finance_check=banned")
    assert refused.exit_code == 1
    lost = run("lose", deal_id, "--reason", "finance_ban", "--comment", "Долг по прошлому договору",
               "--set", "finance_check=banned")
    assert lost.stdout == f"{deal_id}: approval → lost\n"
    wrong = run("move", deal_id, "approval", "--reopen")
    assert "a deal banned at the finance/legal check must be lost with reason finance_ban" in wrong.stderr
    assert run("check").exit_code == 0


def test_debt_check_names_the_earlier_deal_by_contact_and_by_company(workspace, run, monkeypatch):
    colleague = CONTACT.replace("c-ivanov01", "c-petrova1").replace("ivanov@", "petrova@").replace(
        "ООО «Водоканал-Сервис»", "ооо  «водоканал-сервис»")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "contacts/c-petrova1.md": colleague})
    monkeypatch.chdir(root)
    first = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=Первая", "--set", "owner=a").stdout.strip()
    time.sleep(1.05)  # history timestamps have whole seconds; a tie would be broken by id
    for contact in ("c-ivanov01", "c-petrova1"):
        later = run("deal", "add", "--contact", contact, "--set", "title=Повторная", "--set", "owner=a").stdout.strip()
        assert run("move", later, "approval", *sets(GATES[0][2])).exit_code == 0
        refused = run("move", later, "proposal", "--set", "finance_check=approved", "--set", "legal_check=passed")
        assert refused.stderr.splitlines()[1:] == [
            f"  debt_check (Debt check): must be clear (Clear) — repeat client: earlier deal {first} "
            "(gate of stage 'proposal')"]
        moved = run("move", later, "proposal", "--set", "finance_check=approved", "--set", "legal_check=passed",
                    "--set", "debt_check=clear")
        assert moved.exit_code == 0
    # the first deal of the counterparty needs no debt check
    assert run("move", first, "proposal", *sets(GATES[0][2]), "--set", "finance_check=approved",
               "--set", "legal_check=passed").exit_code == 0


def test_attach_refuses_directories_symlinks_and_never_overwrites(pipeline, run, tmp_path):
    root, deal_id = pipeline
    folder = tmp_path / "scans"
    folder.mkdir()
    first, second = folder / "akt.pdf", tmp_path / "akt.pdf"
    first.write_bytes(b"one")
    second.write_bytes(b"two")
    link = tmp_path / "link.pdf"
    link.symlink_to(first)
    assert run("attach", deal_id, str(folder)).stderr == f"Error: {folder}: is a directory; attach files one by one\n"
    assert run("attach", deal_id, str(link)).stderr == \
        f"Error: {link}: is a symbolic link; attach the file it points to\n"
    assert run("attach", deal_id, str(tmp_path / "none.pdf")).exit_code == 1
    assert run("attach", deal_id, str(first)).stdout == f"{deal_id}: acceptance_docs + deals/{deal_id}/akt.pdf\n"
    assert run("attach", deal_id, str(first)).exit_code == 0  # the same file again: nothing new
    assert run("attach", deal_id, str(second)).stdout == \
        f"{deal_id}: acceptance_docs + deals/{deal_id}/akt-2.pdf\n"
    assert (root / "deals" / deal_id / "akt.pdf").read_bytes() == b"one"
    assert (root / "deals" / deal_id / "akt-2.pdf").read_bytes() == b"two"
    text = (root / "deals" / f"{deal_id}.md").read_text(encoding="utf-8")
    assert text.count("{path: deals/") == 2
    wrong_field = run("attach", deal_id, str(first), "--field", "title")
    assert wrong_field.stderr == "Error: 'title' is not an attachments field (attachments fields: acceptance_docs)\n"
    escape = root / "deals" / "d-escape01"
    escape.symlink_to(tmp_path)
    other = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=x", "--set", "owner=a").stdout.strip()
    (root / "deals" / other).symlink_to(tmp_path)
    refused = run("attach", other, str(first))
    assert refused.exit_code == 1 and "leads outside the workspace" in refused.stderr
    assert run("check").exit_code == 0


def test_a_contact_edit_that_would_break_a_deal_is_refused(workspace, run, monkeypatch):
    """A write the CLI accepts never introduces a check error, even in another file: moving a contact into
    the company of an earlier deal makes that contact's deal a repeat client without a debt check."""
    other = CONTACT.replace("c-ivanov01", "c-other001").replace("ООО «Водоканал-Сервис»", "АО «Теплосеть»")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "contacts/c-other001.md": other})
    monkeypatch.chdir(root)
    first = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=Первая", "--set", "owner=a").stdout.strip()
    time.sleep(1.05)
    later = run("deal", "add", "--contact", "c-other001", "--set", "title=Вторая", "--set", "owner=a").stdout.strip()
    for deal_id in (first, later):
        assert run("move", deal_id, "proposal", *sets(GATES[0][2]), "--set", "finance_check=approved",
                   "--set", "legal_check=passed").exit_code == 0
    before = (root / "contacts/c-other001.md").read_bytes()
    refused = run("set", "c-other001", "company=ооо «водоканал-сервис»")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "Error: contact c-other001: refused, nothing written:",
        f"  deals/{later}.md: debt_check (Debt check): must be clear (Clear) — repeat client: earlier deal {first} "
        "(gate of stage 'proposal')"]
    assert (root / "contacts/c-other001.md").read_bytes() == before
    assert run("set", later, "debt_check=clear").exit_code == 0
    assert run("set", "c-other001", "company=ооо «водоканал-сервис»").exit_code == 0
    assert run("check").exit_code == 0


def test_closed_deals_move_only_with_reopen_and_contacts_resolve_by_prefix(pipeline, run):
    root, deal_id = pipeline
    assert run("lose", deal_id, "--reason", "no_need", "--comment", "Проект заморожен").exit_code == 0
    to_won = run("move", deal_id, "won")
    assert to_won.stderr == f"Error: deal {deal_id} is lost; moving it back to 'won' needs --reopen\n"
    assert run("set", deal_id, "contact=c-iv").stdout == f"{deal_id}: unchanged\n"


def test_attach_never_writes_through_a_dangling_link_and_a_refusal_leaves_nothing(pipeline, run, tmp_path):
    root, deal_id = pipeline
    outside = tmp_path / "outside.txt"
    folder = root / "deals" / deal_id
    folder.mkdir()
    (folder / "akt.pdf").symlink_to(outside)  # dangling: exists() is False
    scan = tmp_path / "akt.pdf"
    scan.write_bytes(b"scan")
    result = run("attach", deal_id, str(scan))
    assert result.stdout == f"{deal_id}: acceptance_docs + deals/{deal_id}/akt-2.pdf\n"
    assert not outside.exists()
    assert (folder / "akt.pdf").is_symlink()
    # a refused attach (the field is not an attachments field) leaves no folder behind
    other = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=x", "--set", "owner=a").stdout.strip()
    before = sorted(p.name for p in (root / "deals").iterdir())
    bad = (root / "deals" / f"{other}.md")
    bad.write_text(bad.read_text(encoding="utf-8").replace("owner: a\n", "owner: &o a\nnext_action: *o\n"),
                   encoding="utf-8")
    refused = run("attach", other, str(scan))
    assert refused.exit_code == 1
    assert sorted(p.name for p in (root / "deals").iterdir()) == before
