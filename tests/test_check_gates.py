"""Gates, consistency rules and the repeat-client debt check, as `funnel check` reports them."""

from __future__ import annotations

from conftest import CONTACT, deal, full_deal


def check_lines(run, root, monkeypatch):
    monkeypatch.chdir(root)
    result = run("check")
    return result.exit_code, result.stdout.splitlines()


def test_gates_accumulate_over_earlier_stages(workspace, run, monkeypatch):
    text = full_deal("d-gate0001", "invoice", drop=("owner", "categories", "finance_check", "proposals",
                                                   "install_address", "prepayment_amount"))
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-gate0001.md": text})
    code, lines = check_lines(run, root, monkeypatch)
    assert code == 1
    assert lines == [
        "deals/d-gate0001.md:3:1: error: owner (Owner): required (gate of stage 'lead') [gate]",
        "deals/d-gate0001.md:3:1: error: categories (Equipment categories): at least 1 item required "
        "(gate of stage 'needs') [gate]",
        "deals/d-gate0001.md:3:1: error: finance_check (Finance check): must be approved (Approved) "
        "(gate of stage 'proposal') [gate]",
        "deals/d-gate0001.md:3:1: error: proposals (Proposal options): at least 1 item required "
        "(gate of stage 'decision') [gate]",
        "deals/d-gate0001.md:3:1: error: install_address (Installation address): required "
        "(gate of stage 'contract') [gate]",
        "deals/d-gate0001.md:3:1: error: prepayment_amount (Prepayment amount): required "
        "(gate of stage 'invoice') [gate]",
    ]


def test_optional_negotiation_applies_only_while_in_it(workspace, run, monkeypatch):
    in_negotiation = full_deal("d-nego0001", "negotiation")  # contract_type standard, no changes
    skipped = full_deal("d-skip0001", "invoice")  # standard contract: negotiation's gate does not apply
    custom_without_changes = full_deal("d-cust0001", "invoice").replace("contract_type: standard",
                                                                        "contract_type: custom")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-nego0001.md": in_negotiation,
                      "deals/d-skip0001.md": skipped, "deals/d-cust0001.md": custom_without_changes})
    code, lines = check_lines(run, root, monkeypatch)
    assert lines == [
        "deals/d-cust0001.md:3:1: error: contract_changes (Contract changes): required "
        "(gate of stage 'invoice') [gate]",
        "deals/d-nego0001.md:3:1: error: contract_changes (Contract changes): required "
        "(gate of stage 'negotiation') [gate]",
        "deals/d-nego0001.md:21:1: error: contract_type (Contract type): must be custom (Custom) "
        "(gate of stage 'negotiation') [gate]",
    ]
    assert code == 1


def test_won_deal_meets_every_gate_and_the_payment_rules(workspace, run, monkeypatch):
    won = full_deal("d-won00001", "won", drop=("commissioned_on", "postpayment_amount", "postpayment_paid_on"),
                    extra="postpayment_amount: 600000\n")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-won00001.md": won})
    code, lines = check_lines(run, root, monkeypatch)
    assert code == 1
    assert lines == [
        "deals/d-won00001.md:3:1: error: commissioned_on (Commissioned on): required "
        "(gate of stage 'acceptance') [gate]",
        "deals/d-won00001.md:3:1: error: acceptance_docs (Acceptance documents): at least 1 item required "
        "(gate of stage 'postpayment') [gate]",
        "deals/d-won00001.md:3:1: error: postpayment_paid_on (Final payment received on): required "
        "(gate of stage 'won') [gate]",
        "deals/d-won00001.md:24:1: error: prepayment_amount plus postpayment_amount must equal amount on a won "
        "deal [payments-sum]",
    ]


def test_lost_deal_needs_gates_up_to_lost_at_a_listed_reason_and_a_comment(workspace, run, monkeypatch):
    lost_at_contract = full_deal("d-lost0001", "lost", drop=("install_address",), extra=(
        "loss_reason: price\nloss_comment: Дорого\nlost_at: contract\n"))
    no_reason = deal("d-lost0002", "lost", "title: x\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\n"
                                           "loss_comment: '   '\nlost_at: lead\n")
    free_text_reason = deal("d-lost0003", "lost", "title: x\ncontact: c-ivanov01\nowner: ivanov\n"
                                                  "created: 2026-03-14\nloss_reason: too expensive\n"
                                                  "loss_comment: Клиент ушёл\nlost_at: lead\n")
    early = deal("d-lost0004", "lost", "title: x\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\n"
                                       "loss_reason: vanished\nloss_comment: Не отвечает\nlost_at: lead\n")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-lost0001.md": lost_at_contract,
                      "deals/d-lost0002.md": no_reason, "deals/d-lost0003.md": free_text_reason,
                      "deals/d-lost0004.md": early})
    code, lines = check_lines(run, root, monkeypatch)
    assert code == 1
    assert lines == [
        "deals/d-lost0001.md:3:1: error: install_address (Installation address): required "
        "(gate of stage 'contract') [gate]",
        "deals/d-lost0002.md:3:1: error: loss_reason (Loss reason): required (gate of stage 'lost') [gate]",
        "deals/d-lost0002.md:8:1: error: loss_comment (Loss comment): required (gate of stage 'lost') [gate]",
        "deals/d-lost0003.md:8:14: error: loss_reason: 'too expensive' is not one of price, delivery_terms, "
        "vanished, other_supplier, no_need, finance_ban, contract_terms, other [unknown-loss-reason]",
    ]


def test_finance_ban_must_be_lost_with_reason_finance_ban(workspace, run, monkeypatch):
    banned_open = full_deal("d-ban00001", "proposal").replace("finance_check: approved", "finance_check: banned")
    failed_lost_wrong_reason = deal("d-ban00002", "lost", (
        "title: x\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\nneeds: x\ncategories: [large]\n"
        "legal_check: failed\nloss_reason: price\nloss_comment: Юристы против\nlost_at: approval\n"))
    banned_right = deal("d-ban00003", "lost", (
        "title: x\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\nneeds: x\ncategories: [large]\n"
        "finance_check: banned\nloss_reason: finance_ban\nloss_comment: Долги\nlost_at: approval\n"))
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-ban00001.md": banned_open,
                      "deals/d-ban00002.md": failed_lost_wrong_reason, "deals/d-ban00003.md": banned_right})
    code, lines = check_lines(run, root, monkeypatch)
    assert code == 1
    assert lines == [
        "deals/d-ban00001.md:3:1: error: a deal banned at the finance/legal check must be lost with reason "
        "finance_ban [finance-ban-not-lost]",
        "deals/d-ban00001.md:12:1: error: finance_check (Finance check): must be approved (Approved) "
        "(gate of stage 'proposal') [gate]",
        "deals/d-ban00002.md:3:1: error: a deal banned at the finance/legal check must be lost with reason "
        "finance_ban [finance-ban-not-lost]",
    ]


def test_prepayment_over_amount_and_history_going_backwards(workspace, run, monkeypatch):
    text = full_deal("d-pay00001", "invoice", history=(
        "  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n"
        "  - {stage: contract, at: 2026-03-20T10:00:00+03:00}\n"
        "  - {stage: invoice, at: 2026-03-20T09:00:00+03:00}\n")).replace(
        "prepayment_amount: 625000", "prepayment_amount: 1250000.01")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-pay00001.md": text})
    code, lines = check_lines(run, root, monkeypatch)
    assert code == 1
    assert lines == [
        "deals/d-pay00001.md:24:1: error: prepayment_amount is more than amount [prepayment-over-amount]",
        "deals/d-pay00001.md:33:5: error: history[3] at 2026-03-20T09:00:00+03:00 is earlier than the entry "
        "before it [history-order]",
    ]


def test_fewer_than_three_proposals_is_a_warning_only(workspace, run, monkeypatch):
    text = full_deal("d-two00001", "decision").replace(
        "  - {option: premium, equipment: KSB Hya-Solo, price: 1600000}\n", "")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-two00001.md": text})
    code, lines = check_lines(run, root, monkeypatch)
    assert lines == ["deals/d-two00001.md:15:1: warning: proposals (Proposal options): usually three options in "
                     "different price ranges (has 2) (gate of stage 'decision') [gate-warning]"]
    assert code == 0


def test_proposal_options_need_equipment_and_price(workspace, run, monkeypatch):
    text = full_deal("d-opt00001", "decision").replace("{option: economy, equipment: Wilo COR-3, price: 890000}",
                                                       "{option: economy, price: дёшево}")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-opt00001.md": text})
    code, lines = check_lines(run, root, monkeypatch)
    assert lines == [
        "deals/d-opt00001.md:16:5: error: proposals[1]: equipment, price required [missing-field]",
        "deals/d-opt00001.md:16:30: error: proposals[1]: price: expected a decimal number like 1250000.50, "
        "not 'дёшево' [type]",
    ]
    assert code == 1


REPEAT_FIELDS = "title: x\ncontact: {contact}\nowner: a\ncreated: 2026-03-14\nneeds: x\ncategories: [small]\n" \
                "finance_check: approved\nlegal_check: passed\n"


def repeat_deal(deal_id: str, contact: str, started: str, stage: str = "proposal") -> str:
    history = f"  - {{stage: lead, at: {started}}}\n  - {{stage: {stage}, at: 2026-10-01T10:00:00+03:00}}\n"
    return deal(deal_id, stage, REPEAT_FIELDS.format(contact=contact), history=history)


def test_debt_check_for_a_repeat_client_by_contact_and_by_company(workspace, run, monkeypatch):
    same_company_other_person = CONTACT.replace("c-ivanov01", "c-petrova1").replace(
        "company: ООО «Водоканал-Сервис»", "company: '  ооо  «ВОДОКАНАЛ-сервис» '")
    other_company = CONTACT.replace("c-ivanov01", "c-other001").replace("ООО «Водоканал-Сервис»", "АО «Теплосеть»")
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "contacts/c-petrova1.md": same_company_other_person,
        "contacts/c-other001.md": other_company,
        # the first deal of the company: no debt check needed, whatever its outcome
        "deals/d-first001.md": repeat_deal("d-first001", "c-ivanov01", "2026-02-01T10:00:00+03:00"),
        # a tie on the start moment is broken by id: d-first000 < d-first001 would make it the earlier one
        "deals/d-later001.md": repeat_deal("d-later001", "c-ivanov01", "2026-03-01T10:00:00+03:00"),
        "deals/d-compny01.md": repeat_deal("d-compny01", "c-petrova1", "2026-04-01T10:00:00+03:00"),
        "deals/d-newcl001.md": repeat_deal("d-newcl001", "c-other001", "2026-04-01T10:00:00+03:00"),
        # still in `approval`: the gate of `proposal` does not apply yet
        "deals/d-early001.md": repeat_deal("d-early001", "c-ivanov01", "2026-05-01T10:00:00+03:00", "approval"),
    })
    code, lines = check_lines(run, root, monkeypatch)
    assert code == 1
    assert lines == [
        "deals/d-compny01.md:3:1: error: debt_check (Debt check): must be clear (Clear) — repeat client: earlier "
        "deal d-first001 (gate of stage 'proposal') [gate]",
        "deals/d-later001.md:3:1: error: debt_check (Debt check): must be clear (Clear) — repeat client: earlier "
        "deal d-first001 (gate of stage 'proposal') [gate]",
    ]


def test_debt_check_a_tie_is_not_prior_in_check_and_outcome_does_not_matter(workspace, run, monkeypatch):
    """SPEC: in `check` "earlier" is strictly earlier: deals that started in the same second (an import, a
    script) are none of them a repeat client, so adding one never turns another invalid by ordering alone.
    A later deal's earliest prior deal is the first of them by id, lost or not."""
    lost_first = deal("d-zzzz0001", "lost", REPEAT_FIELDS.format(contact="c-ivanov01").replace(
        "finance_check: approved", "finance_check: banned") + "loss_reason: finance_ban\nloss_comment: Долг\n"
        "lost_at: approval\n", history="  - {stage: lead, at: 2026-03-01T10:00:00+03:00}\n"
                                       "  - {stage: lost, at: 2026-03-02T10:00:00+03:00}\n")
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "deals/d-zzzz0001.md": lost_first,
        "deals/d-bbbb0000.md": repeat_deal("d-bbbb0000", "c-ivanov01", "2026-03-01T10:00:00+03:00"),
        "deals/d-aaaa0000.md": repeat_deal("d-aaaa0000", "c-ivanov01", "2026-03-01T09:00:00+02:00"),
    })
    code, lines = check_lines(run, root, monkeypatch)
    assert (code, lines) == (0, [])
    (root / "deals/d-later001.md").write_text(
        repeat_deal("d-later001", "c-ivanov01", "2026-03-01T10:00:01+03:00"), encoding="utf-8")
    code, lines = check_lines(run, root, monkeypatch)
    assert lines == [
        "deals/d-later001.md:3:1: error: debt_check (Debt check): must be clear (Clear) — repeat client: earlier "
        "deal d-aaaa0000 (gate of stage 'proposal') [gate]",
    ]
    assert code == 1


def test_a_write_counts_a_deal_started_at_the_same_moment_as_prior(workspace, run):
    """SPEC: a write treats every other deal of the counterparty that started at or before the deal it writes
    as prior: the deal being moved is the repeat client, whatever the ids say."""
    approval = repeat_deal("d-aaaa0000", "c-ivanov01", "2026-03-01T10:00:00+03:00", "approval").replace(
        "debt_check: clear\n", "")
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "deals/d-aaaa0000.md": approval,
        "deals/d-bbbb0000.md": repeat_deal("d-bbbb0000", "c-ivanov01", "2026-03-01T10:00:00+03:00"),
    })
    assert "debt_check" not in (root / "deals/d-aaaa0000.md").read_text(encoding="utf-8")
    result = run("move", "d-aaaa0000", "proposal", "--root", str(root))
    assert result.exit_code == 1
    assert "repeat client: earlier deal d-bbbb0000" in result.stderr
    assert run("move", "d-aaaa0000", "proposal", "--set", "debt_check=clear", "--root", str(root)).exit_code == 0
