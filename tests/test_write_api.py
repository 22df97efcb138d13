"""The write API called directly, as `--commit` and import call it: plain values in, a WriteResult out, and a
refusal that keeps its diagnostics as values (path, line, column, code)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from conftest import CONTACT, full_deal
from funnel.errors import FunnelError, UsageError
from funnel.model.checks import Diagnostic
from funnel.model.values import AssignmentSyntaxError, InvalidValue
from funnel.writing import api
from funnel.writing.writes import Refused

NEW_CONTACT = {"name": "Петрова Анна", "email": "petrova@example.ru", "source": "exhibition",
               "equipment_preference": "imported", "client_type": "end_customer"}


@pytest.fixture
def root(workspace):
    return workspace({"contacts/c-ivanov01.md": CONTACT})


def test_add_contact_and_deal_return_what_they_wrote(root):
    contact = api.add_contact(root, NEW_CONTACT)
    assert (contact.action, contact.kind, contact.before) == ("add", "contact", None)
    assert contact.path == f"contacts/{contact.id}.md" and contact.written == (contact.path,)
    assert contact.after.fields["name"] == "Петрова Анна"
    assert contact.changed_fields == ("id", "name", "email", "source", "equipment_preference", "client_type")
    assert contact.summary == f"new contact {contact.id}: Петрова Анна"

    deal = api.add_deal(root, "c-iv", ["title=Котельная", "owner=ivanov", "amount=1250000.10"])
    assert deal.after.fields["contact"] == "c-ivanov01"  # a prefix resolves to the whole id
    assert deal.after.fields["amount"] == Decimal("1250000.10")
    assert (deal.old_stage, deal.new_stage) == (None, "lead")
    assert deal.after.fields["history"][0]["stage"] == "lead"
    assert (root / deal.path).is_file()


def test_set_fields_takes_text_or_typed_values_and_names_what_changed(root):
    deal = api.add_deal(root, "c-ivanov01", {"title": "Насос", "owner": "ivanov"}).id
    result = api.set_fields(root, deal, {"amount": Decimal("100.50"), "next_action_due": date(2026, 5, 1),
                                         "categories": "small,standard"})
    assert result.changed_fields == ("amount", "next_action_due", "categories")
    assert result.before.fields.get("amount") is None and result.after.fields["amount"] == Decimal("100.50")
    assert result.after.fields["categories"] == ["small", "standard"]
    assert result.written == (result.path,) and result.summary == f"deal {deal}: set amount, next_action_due, categories"
    same = api.set_fields(root, deal, ["amount=100.50"])
    assert (same.changed, same.written, same.changed_fields, same.summary) == (False, (), (), f"deal {deal}: unchanged")
    removed = api.set_fields(root, deal, unset=["next_action_due"])
    assert removed.changed_fields == ("next_action_due",) and "next_action_due" not in removed.after.fields


def test_a_refused_write_keeps_its_diagnostics_with_path_line_column_and_code(root):
    deal = api.add_deal(root, "c-ivanov01", {"title": "Насос", "owner": "ivanov"}).id
    path = root / "deals" / f"{deal}.md"
    before = path.read_bytes()
    with pytest.raises(Refused) as refused:
        api.move(root, deal, "needs")
    assert refused.value.message == f"cannot move {deal} from lead to needs; unmet:"
    assert refused.value.path == f"deals/{deal}.md"
    stage_line = before.decode().splitlines().index("stage: lead") + 1
    assert refused.value.diagnostics == (
        Diagnostic(f"deals/{deal}.md", stage_line, 1, "error", "gate", "needs (Needs): required (gate of stage 'needs')"),
        Diagnostic(f"deals/{deal}.md", stage_line, 1, "error", "gate",
                   "categories (Equipment categories): at least 1 item required (gate of stage 'needs')"))
    with pytest.raises(Refused) as bad_option:
        api.set_fields(root, deal, {"categories": ["huge"]})  # a typed value is judged as the file would hold it
    (diagnostic,) = bad_option.value.diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.column) == ("choice", "error", 14)
    written_line = diagnostic.line
    assert written_line > 1 and "huge" in diagnostic.message
    assert str(bad_option.value) == (f"deal {deal}: refused, nothing written:\n"
                                     "  categories: 'huge' is not one of ultra_small, small, standard, large")
    assert path.read_bytes() == before


def test_refusals_are_funnel_errors_with_their_exit_status(root):
    with pytest.raises(InvalidValue, match="unknown field 'nmae' for contacts"):
        api.add_contact(root, {"nmae": "x"})
    with pytest.raises(InvalidValue, match="'stage' cannot be set directly"):
        api.set_fields(root, "c-ivanov01", {"stage": "won"})
    for value in (True, 1.5, b"12"):  # no type the file could hold: refused before anything is read back
        with pytest.raises(InvalidValue, match="^company: "):
            api.set_fields(root, "c-ivanov01", {"company": value})
    with pytest.raises(AssignmentSyntaxError) as syntax:
        api.set_fields(root, "c-ivanov01", ["name"])
    assert syntax.value.exit_code == 2 and isinstance(syntax.value, UsageError)
    with pytest.raises(UsageError):
        api.set_fields(root, "c-ivanov01")
    with pytest.raises(UsageError):
        api.move(root, "c-ivanov01", "needs", step="next")
    with pytest.raises(FunnelError, match="'c-ivanov01' is contact c-ivanov01, not a deal"):
        api.move(root, "c-ivanov01", "needs")


def test_move_win_lose_carry_what_a_commit_message_needs(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-flow0001.md": full_deal("d-flow0001", "contract", drop=("amount",))})
    moved = api.move(root, "d-flow", "invoice", assignments={"amount": "1250000"})
    assert (moved.action, moved.old_stage, moved.new_stage) == ("move", "contract", "invoice")
    assert moved.changed_fields == ("amount", "stage", "history")
    assert moved.summary == "deal d-flow0001: contract → invoice"
    assert moved.loss_reason is None
    back = api.move(root, "d-flow0001", step="prev")
    assert (back.old_stage, back.new_stage) == ("invoice", "contract")
    lost = api.lose(root, "d-flow0001", "price", "Дорого")
    assert (lost.loss_reason, lost.loss_comment, lost.after.fields["lost_at"]) == ("price", "Дорого", "contract")
    assert lost.summary == "deal d-flow0001: contract → lost (price)"
    with pytest.raises(Refused, match="needs --reopen"):
        api.win(root, "d-flow0001")
    with pytest.raises(Refused) as unmet:  # the deal never had its acceptance documents
        api.win(root, "d-flow0001", reopen=True)
    assert unmet.value.message == "cannot move d-flow0001 from lost to won; unmet:"
    assert [(d.code, d.message.split(" ")[0]) for d in unmet.value.diagnostics] == [("gate", "acceptance_docs")]
    reopened = api.move(root, "d-flow0001", "contract", reopen=True)
    assert (reopened.action, reopened.old_stage, reopened.new_stage) == ("move", "lost", "contract")


def test_attach_names_both_files_it_wrote(workspace, tmp_path):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-acpt0001.md": full_deal("d-acpt0001", "acceptance", drop=("acceptance_docs",))})
    scan = tmp_path / "акт.pdf"
    scan.write_bytes(b"%PDF")
    result = api.attach(root, "d-acpt", scan)
    assert result.attached == "deals/d-acpt0001/акт.pdf"
    assert result.written == ("deals/d-acpt0001/акт.pdf", "deals/d-acpt0001.md")
    assert result.changed_fields == ("acceptance_docs",)
    again = api.attach(root, "d-acpt", scan)  # the same file: nothing new to write
    assert (again.changed, again.written, again.attached) == (False, (), "deals/d-acpt0001/акт.pdf")
