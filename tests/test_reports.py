"""The reports' numbers (funnel/reports.py), on a fixture pipeline whose expected values are worked out by hand.

PIPELINE below is eleven deals of two contacts, all on the reference schema, every history entry at 10:00+03:00
so that day counts are whole. Stages in order: lead needs approval proposal decision contract negotiation*
invoice delivery acceptance postpayment | won lost (*optional).

    deal        owner    contact  categories       amount   history (2026)                                  now
    d-won00001  ivanov   alpha    small,standard   1000000  lead 01-05 needs 01-07 approval 01-08 proposal  won
                                                            01-10 decision 01-15 contract 01-20 invoice 01-25
                                                            delivery 02-01 acceptance 02-20 postpayment 02-25
                                                            won 03-01                       (negotiation skipped)
    d-won00002  petrov   beta     large            2000000  lead 01-10 needs 01-12 approval 01-13 proposal  won
                                                            01-15 decision 01-20 contract 01-25 negotiation 01-28
                                                            contract 02-02 negotiation 02-04 (backward and again)
                                                            invoice 02-10 delivery 02-15 acceptance 03-01
                                                            postpayment 03-05 won 03-10
    d-ban00001  ivanov   alpha    small            300000   lead 01-06 needs 01-08 approval 01-09 lost 01-12  lost
                                                            (lost_at approval, finance_ban)
    d-ban00002  petrov   beta     standard         —        lead 02-01 approval 02-03 lost 02-06            lost
                                                            (needs jumped over; lost_at approval, finance_ban)
    d-price001  ivanov   beta     standard,large   800000   lead 01-15 needs 01-16 approval 01-17 proposal  lost
                                                            01-19 decision 01-25 lost 02-10 (lost_at decision,
                                                            price)
    d-reopen01  petrov   alpha    ultra_small      500000   lead 01-20 needs 01-21 approval 01-22 proposal  contract
                                                            01-25 lost 02-01 (reopened:) proposal 02-15
                                                            decision 02-20 contract 03-01
    d-invoice1  ivanov   alpha    small            1200000  lead 02-01 needs 02-02 approval 02-03 proposal  invoice
                                                            02-05 decision 02-10 contract 02-15 invoice 02-20
                                                            (prepayment 600000 invoiced, not paid)
    d-final001  petrov   beta     large            900000   lead 01-12 needs 01-13 approval 01-14 proposal  postpayment
                                                            01-16 decision 01-20 contract 01-22 invoice 01-26
                                                            delivery 02-02 acceptance 02-20 postpayment 03-02
                                                            (prepayment 300000 paid)
    d-terms001  ivanov   beta     standard         700000   lead 02-05 needs 02-06 approval 02-07 proposal  lost
                                                            02-09 decision 02-12 contract 02-16 negotiation 02-18
                                                            lost 02-25 (lost_at negotiation, contract_terms)
    d-lead0001  sidorov  alpha    —                —        lead 03-05                                      lead
    d-back0001  sidorov  beta     small            400000   lead 02-10 needs 02-11 approval 02-12 proposal  needs
                                                            02-14 needs 02-20 (backward)

alpha: source website, end_customer; beta: source referral, engineering_company. "Today" is 2026-03-15.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from funnel.store.workspace import load_workspace
from funnel.model.timeline import timeline
from funnel.views.reports import Period, ReportError, build_report

TODAY = date(2026, 3, 15)
STAGES = ["lead", "needs", "approval", "proposal", "decision", "contract", "negotiation", "invoice", "delivery",
          "acceptance", "postpayment"]


def contact_file(contact_id: str, name: str, source: str, client_type: str) -> str:
    return (f"---\nid: {contact_id}\nname: {name}\nphone: +7 843 212-45-67\nsource: {source}\n"
            f"equipment_preference: no_preference\nclient_type: {client_type}\n---\n")


def deal_file(deal_id: str, path: str, contact: str, owner: str, categories: str | None = None,
              amount: str | None = None, **fields: str) -> str:
    """A deal whose history is `path` ("lead 01-05, needs 01-07, …", days of 2026 at 10:00+03:00) and whose
    stage is the last one of it."""
    steps = [step.split() for step in path.split(",")]
    lines = ["---", f"id: {deal_id}", f"title: Насосная станция {deal_id}", f"contact: {contact}",
             f"stage: {steps[-1][0]}", f"owner: {owner}", f"created: 2026-{steps[0][1]}"]
    if categories:
        lines.append(f"categories: [{categories}]")
    if amount:
        lines.append(f"amount: {amount}")
    lines += [f"{name}: {value}" for name, value in fields.items()]
    lines.append("history:")
    lines += [f"  - {{stage: {stage}, at: 2026-{day}T10:00:00+03:00}}" for stage, day in steps]
    return "\n".join(lines) + "\n---\n"


LOST = dict(loss_comment="Комментарий к потере")

PIPELINE = {
    "contacts/c-alpha001.md": contact_file("c-alpha001", "Гарипов Ринат Ильдарович", "website", "end_customer"),
    "contacts/c-beta0001.md": contact_file("c-beta0001", "Петрова Анна", "referral", "engineering_company"),
    "deals/d-won00001.md": deal_file(
        "d-won00001", "lead 01-05, needs 01-07, approval 01-08, proposal 01-10, decision 01-15, contract 01-20, "
        "invoice 01-25, delivery 02-01, acceptance 02-20, postpayment 02-25, won 03-01",
        "c-alpha001", "ivanov", "small, standard", "1000000", prepayment_invoice="СЧ-1",
        prepayment_amount="500000", prepayment_paid_on="2026-01-30", postpayment_amount="500000",
        postpayment_paid_on="2026-03-01"),
    "deals/d-won00002.md": deal_file(
        "d-won00002", "lead 01-10, needs 01-12, approval 01-13, proposal 01-15, decision 01-20, contract 01-25, "
        "negotiation 01-28, contract 02-02, negotiation 02-04, invoice 02-10, delivery 02-15, acceptance 03-01, "
        "postpayment 03-05, won 03-10",
        "c-beta0001", "petrov", "large", "2000000", prepayment_invoice="СЧ-2", prepayment_amount="1000000",
        prepayment_paid_on="2026-02-14", postpayment_paid_on="2026-03-10"),
    "deals/d-ban00001.md": deal_file(
        "d-ban00001", "lead 01-06, needs 01-08, approval 01-09, lost 01-12", "c-alpha001", "ivanov", "small",
        "300000", finance_check="banned", loss_reason="finance_ban", lost_at="approval", **LOST),
    "deals/d-ban00002.md": deal_file(
        "d-ban00002", "lead 02-01, approval 02-03, lost 02-06", "c-beta0001", "petrov", "standard",
        legal_check="failed", loss_reason="finance_ban", lost_at="approval", **LOST),
    "deals/d-price001.md": deal_file(
        "d-price001", "lead 01-15, needs 01-16, approval 01-17, proposal 01-19, decision 01-25, lost 02-10",
        "c-beta0001", "ivanov", "standard, large", "800000", loss_reason="price", lost_at="decision", **LOST),
    "deals/d-reopen01.md": deal_file(
        "d-reopen01", "lead 01-20, needs 01-21, approval 01-22, proposal 01-25, lost 02-01, proposal 02-15, "
        "decision 02-20, contract 03-01", "c-alpha001", "petrov", "ultra_small", "500000"),
    "deals/d-invoice1.md": deal_file(
        "d-invoice1", "lead 02-01, needs 02-02, approval 02-03, proposal 02-05, decision 02-10, contract 02-15, "
        "invoice 02-20", "c-alpha001", "ivanov", "small", "1200000", prepayment_invoice="СЧ-7",
        prepayment_amount="600000"),
    "deals/d-final001.md": deal_file(
        "d-final001", "lead 01-12, needs 01-13, approval 01-14, proposal 01-16, decision 01-20, contract 01-22, "
        "invoice 01-26, delivery 02-02, acceptance 02-20, postpayment 03-02", "c-beta0001", "petrov", "large",
        "900000", prepayment_invoice="СЧ-3", prepayment_amount="300000", prepayment_paid_on="2026-02-01"),
    "deals/d-terms001.md": deal_file(
        "d-terms001", "lead 02-05, needs 02-06, approval 02-07, proposal 02-09, decision 02-12, contract 02-16, "
        "negotiation 02-18, lost 02-25", "c-beta0001", "ivanov", "standard", "700000",
        loss_reason="contract_terms", lost_at="negotiation", **LOST),
    "deals/d-lead0001.md": deal_file("d-lead0001", "lead 03-05", "c-alpha001", "sidorov"),
    "deals/d-back0001.md": deal_file(
        "d-back0001", "lead 02-10, needs 02-11, approval 02-12, proposal 02-14, needs 02-20", "c-beta0001",
        "sidorov", "small", "400000"),
}
FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28))


@pytest.fixture
def pipeline(workspace):
    return load_workspace(workspace(PIPELINE))


def report(ws, name, **options):
    deals, skipped = ws.viewable("deal")
    assert not skipped, [record.problems for record in skipped]
    return build_report(name, ws, deals, TODAY, **options)


def by_stage(rows, key):
    return {row["stage"]: row[key] for row in rows}


# -- funnel ------------------------------------------------------------------------------------------------

def test_reached_follows_specs_definition(pipeline):
    data = report(pipeline, "funnel")
    assert [row["stage"] for row in data["stages"]] == STAGES
    assert by_stage(data["stages"], "reached") == {
        "lead": 11,  # every deal
        "needs": 10,  # all but d-lead0001; d-ban00002 jumped over it (its approval is later) and still counts
        "approval": 10,
        "proposal": 8,  # won ×2, price, reopen, invoice, final, terms, back (its history shows proposal)
        "decision": 7,  # the same but back
        "contract": 6,  # won ×2, reopen, invoice, final, terms
        "negotiation": 2,  # optional: only d-won00002 and d-terms001 were in it; the won d-won00001 was not
        "invoice": 4,  # won ×2, invoice, final
        "delivery": 3, "acceptance": 3, "postpayment": 3,  # won ×2, final
    }
    # reopened d-reopen01 counts once per stage; d-ban00001 (lost at approval) stops there
    assert (data["won"], data["lost"]) == (2, 4)
    assert data["win_rate"] == pytest.approx(2 / 6)  # won / (won + lost)


def test_conversion_is_from_the_previous_non_optional_stage(pipeline):
    conversion = by_stage(report(pipeline, "funnel")["stages"], "conversion")
    assert conversion == {
        "lead": None,  # the first stage
        "needs": pytest.approx(10 / 11), "approval": 1.0, "proposal": 8 / 10, "decision": 7 / 8,
        "contract": pytest.approx(6 / 7),
        "negotiation": pytest.approx(2 / 6),  # from contract
        "invoice": pytest.approx(4 / 6),  # from contract too: negotiation is optional
        "delivery": 3 / 4, "acceptance": 1.0, "postpayment": 1.0,
    }
    from_first = by_stage(report(pipeline, "funnel")["stages"], "conversion_from_first")
    assert from_first["lead"] == 1.0
    assert from_first["proposal"] == pytest.approx(8 / 11)
    assert from_first["postpayment"] == pytest.approx(3 / 11)


def test_open_deals_and_amounts_now_per_stage(pipeline):
    stages = report(pipeline, "funnel")["stages"]
    assert {row["stage"]: (row["open"], row["open_amount"]) for row in stages if row["open"]} == {
        "lead": (1, Decimal(0)),  # d-lead0001 has no amount yet
        "needs": (1, Decimal(400000)),  # d-back0001, moved back
        "contract": (1, Decimal(500000)),  # d-reopen01
        "invoice": (1, Decimal(1200000)),
        "postpayment": (1, Decimal(900000)),
    }


def test_funnel_with_a_period_is_the_cohort_that_entered_in_it(pipeline):
    """SPEC: with a period the funnel is a cohort — the deals that entered the funnel in the period, followed
    to today — so no conversion exceeds 100% (counting each stage's events in the period gave delivery 3/2)."""
    data = report(pipeline, "funnel", period=FEBRUARY)
    # entered in February: ban00002 02-01, invoice1 02-01, terms001 02-05, back0001 02-10
    cohort = ["d-ban00002", "d-invoice1", "d-terms001", "d-back0001"]
    assert data["deals"] == 4 and data["cohort"] is True
    members = [record for record in pipeline.deals if record.id in cohort]
    assert len(members) == 4
    # the cohort followed to today: exactly the all-time funnel of those four deals
    alone = build_report("funnel", pipeline, members, TODAY)
    assert by_stage(data["stages"], "reached") == by_stage(alone["stages"], "reached")
    assert by_stage(data["stages"], "reached")["lead"] == 4
    assert all(row["conversion"] is None or row["conversion"] <= 1 for row in data["stages"])
    assert all(row["conversion_from_first"] is None or row["conversion_from_first"] <= 1 for row in data["stages"])
    # ban00002 and terms001 were lost; a deal that entered in January and was lost in February is not in it
    assert (data["won"], data["lost"]) == (alone["won"], alone["lost"])
    assert "d-price001" not in cohort and data["lost"] == 2


# -- losses ------------------------------------------------------------------------------------------------

def test_losses_by_reason_and_stage(pipeline):
    data = report(pipeline, "losses")
    assert data["lost"] == 4  # reopen01 was lost once but is open now: not a loss
    assert data["by_reason"] == {"price": 1, "delivery_terms": 0, "vanished": 0, "other_supplier": 0,
                                 "no_need": 0, "finance_ban": 2, "contract_terms": 1, "other": 0}
    assert data["by_stage"]["approval"]["finance_ban"] == 2
    assert data["by_stage"]["decision"]["price"] == 1
    assert data["by_stage"]["negotiation"]["contract_terms"] == 1
    assert sum(sum(reasons.values()) for reasons in data["by_stage"].values()) == 4
    assert data["amount"] == Decimal(1800000)  # 300000 + (no amount) + 800000 + 700000
    assert [(row["stage"], row["reason"], row["lost"], row["amount"]) for row in data["matrix"]] == [
        ("approval", "finance_ban", 2, Decimal(300000)),
        ("decision", "price", 1, Decimal(800000)),
        ("negotiation", "contract_terms", 1, Decimal(700000)),
    ]
    stages = {row["stage"]: row for row in data["stages"]}
    assert stages["approval"]["loss_rate"] == 2 / 10  # 2 lost there of 10 that reached it
    assert stages["negotiation"]["loss_rate"] == 1 / 2
    assert {row["reason"]: row["share"] for row in data["reasons"] if row["lost"]} == {
        "price": 0.25, "finance_ban": 0.5, "contract_terms": 0.25}


def test_finance_ban_headline_is_a_share_of_the_deals_that_reached_its_stage(pipeline):
    banned = report(pipeline, "losses")["banned"]
    assert banned == {"reason": "finance_ban", "label": "Banned at the finance/legal check", "lost": 2,
                      "share_of_lost": 0.5, "stage": "approval", "at_stage": 2, "reached": 10, "share": 0.2}
    # February: ban00002 banned 02-06 (ban00001 was banned in January); 4 deals reached approval in February
    february = report(pipeline, "losses", period=FEBRUARY)
    assert february["lost"] == 3
    assert (february["banned"]["lost"], february["banned"]["reached"], february["banned"]["share"]) == (1, 4, 0.25)


def test_the_ban_stage_comes_from_the_deals_not_from_a_stage_name(workspace):
    # a ban found late, at proposal: the headline follows the deals there
    ws = load_workspace(workspace({
        "contacts/c-alpha001.md": PIPELINE["contacts/c-alpha001.md"],
        "deals/d-late0001.md": deal_file("d-late0001", "lead 01-05, needs 01-06, approval 01-07, proposal 01-09, "
                                         "lost 01-10", "c-alpha001", "ivanov", loss_reason="finance_ban",
                                         lost_at="proposal", **LOST),
        "deals/d-open0001.md": deal_file("d-open0001", "lead 01-05, needs 01-06", "c-alpha001", "ivanov"),
    }))
    banned = build_report("losses", ws, ws.deals, TODAY)["banned"]
    assert (banned["stage"], banned["at_stage"], banned["reached"], banned["share"]) == ("proposal", 1, 1, 1.0)


# -- velocity ----------------------------------------------------------------------------------------------

def test_velocity_counts_every_completed_visit(pipeline):
    stages = {row["stage"]: row for row in report(pipeline, "velocity")["stages"]}
    # lead: 2 days (won00001, won00002, ban00001, ban00002) and 1 day (the six others that left it)
    assert (stages["lead"]["visits"], stages["lead"]["median_days"], stages["lead"]["mean_days"]) == (10, 1.0, 1.4)
    # approval: 3 days for ban00001, ban00002, reopen01; 2 for the seven others -> 23 / 10
    assert (stages["approval"]["median_days"], stages["approval"]["mean_days"]) == (2.0, pytest.approx(2.3))
    # contract, with won00002's backward move making two visits: 5, 3, 2 (won00002), 5 (invoice1), 4 (final001),
    # 2 (terms001) -> sorted 2 2 3 4 5 5: median 3.5, mean 21 / 6
    assert (stages["contract"]["visits"], stages["contract"]["median_days"],
            stages["contract"]["mean_days"]) == (6, 3.5, 3.5)
    # negotiation: won00002 01-28..02-02 = 5 and 02-04..02-10 = 6, terms001 02-18..02-25 = 7 (then lost)
    assert (stages["negotiation"]["visits"], stages["negotiation"]["median_days"]) == (3, 6.0)
    # proposal: 5, 5, 6, 7 and 5 (reopen01 before and after its loss), 5, 4, 3, 6 -> 46 / 9
    assert stages["proposal"]["visits"] == 9
    assert (stages["proposal"]["median_days"], stages["proposal"]["mean_days"]) == (5.0, pytest.approx(46 / 9))
    # postpayment: won00001 02-25..03-01 = 4 (February has 28 days), won00002 03-05..03-10 = 5
    assert (stages["postpayment"]["median_days"], stages["postpayment"]["mean_days"]) == (4.5, 4.5)


def test_velocity_shows_open_visits_apart_counted_to_today(pipeline):
    stages = {row["stage"]: row for row in report(pipeline, "velocity")["stages"]}
    assert {stage: (row["open"], row["open_median_days"]) for stage, row in stages.items() if row["open"]} == {
        "lead": (1, 10.0),  # lead0001 since 03-05
        "needs": (1, 23.0),  # back0001 since 02-20 (8 days of February + 15)
        "contract": (1, 14.0),  # reopen01 since 03-01
        "invoice": (1, 23.0),  # invoice1 since 02-20
        "postpayment": (1, 13.0),  # final001 since 03-02
    }
    assert stages["needs"]["visits"] == 9  # back0001's open visit is not among the completed ones


def test_cycle_time_from_the_first_stage_to_won(pipeline):
    cycle = report(pipeline, "velocity")["cycle"]
    # won00001 01-05..03-01 = 26 + 28 + 1 = 55 days; won00002 01-10..03-10 = 31 + 28 = 59 days
    assert cycle == {"from": "lead", "to": "won", "deals": 2, "median_days": 57.0, "mean_days": 57.0}


def test_velocity_period_counts_visits_entered_in_it(pipeline):
    data = report(pipeline, "velocity", period=FEBRUARY)
    contract = next(row for row in data["stages"] if row["stage"] == "contract")
    # contract visits begun in February: won00002 02-02 (2 days), invoice1 02-15 (5), terms001 02-16 (2);
    # reopen01's open visit began on 03-01
    assert (contract["visits"], contract["median_days"], contract["mean_days"], contract["open"]) == (3, 2.0, 3.0, 0)
    assert data["cycle"]["deals"] == 0  # both wins are in March
    assert data["cycle"]["median_days"] is None


# -- forecast ----------------------------------------------------------------------------------------------

def test_forecast_weights_open_amounts_by_probability(pipeline):
    data = report(pipeline, "forecast")
    rows = {row["stage"]: (row["count"], row["amount"], row["weighted"]) for row in data["stages"] if row["count"]}
    assert rows == {
        "lead": (1, Decimal(0), Decimal(0)),
        "needs": (1, Decimal(400000), Decimal(40000)),  # × 0.10
        "contract": (1, Decimal(500000), Decimal(300000)),  # × 0.60
        "invoice": (1, Decimal(1200000), Decimal(900000)),  # × 0.75
        "postpayment": (1, Decimal(900000), Decimal(855000)),  # × 0.95
    }
    assert (data["count"], data["amount"], data["weighted"], data["unpriced"]) == (
        5, Decimal(3000000), Decimal(2095000), 1)
    assert str(data["weighted"]) == "2095000"


def test_forecast_refuses_a_period(pipeline):
    with pytest.raises(ReportError, match="snapshot"):
        report(pipeline, "forecast", period=FEBRUARY)


# -- payments ----------------------------------------------------------------------------------------------

def test_payments_awaited_with_days_waiting(pipeline):
    data = report(pipeline, "payments")
    assert (data["invoicing_stage"], data["final_payment_stage"]) == ("invoice", "postpayment")
    [prepayment] = data["prepayments"]["deals"]
    assert (prepayment["deal"], prepayment["invoice"], prepayment["amount"], prepayment["since"],
            prepayment["days"]) == ("d-invoice1", "СЧ-7", Decimal(600000), date(2026, 2, 20), 23)
    assert prepayment["client"] == "Гарипов Ринат Ильдарович"
    [final] = data["final_payments"]["deals"]
    # 900000 - 300000 prepaid; waiting since entering postpayment on 03-02
    assert (final["deal"], final["amount"], final["since"], final["days"]) == (
        "d-final001", Decimal(600000), date(2026, 3, 2), 13)
    assert (data["count"], data["amount"]) == (2, Decimal(1200000))
    # the period filters on when the payment fell due
    march = report(pipeline, "payments", period=Period(date(2026, 3, 1), None))
    assert (march["prepayments"]["count"], march["final_payments"]["count"]) == (0, 1)


def test_payments_oldest_first_and_explicit_final_amounts(workspace):
    alpha = PIPELINE["contacts/c-alpha001.md"]
    up_to_invoice = "lead 01-05, needs 01-06, approval 01-07, proposal 01-08, decision 01-09, contract 01-10"
    ws = load_workspace(workspace({
        "contacts/c-alpha001.md": alpha,
        "deals/d-late0001.md": deal_file("d-late0001", up_to_invoice + ", invoice 03-10", "c-alpha001", "a",
                                         amount="100", prepayment_invoice="1", prepayment_amount="50"),
        "deals/d-early001.md": deal_file("d-early001", up_to_invoice + ", invoice 02-01", "c-alpha001", "a",
                                         amount="100", prepayment_invoice="2", prepayment_amount="30.50"),
        # invoiced, then moved back to contract and re-invoiced: waiting since the last invoicing
        "deals/d-again001.md": deal_file("d-again001", up_to_invoice + ", invoice 01-12, contract 01-20, "
                                         "invoice 02-10", "c-alpha001", "a", amount="100",
                                         prepayment_invoice="3", prepayment_amount="10"),
        "deals/d-paid0001.md": deal_file("d-paid0001", up_to_invoice + ", invoice 01-12", "c-alpha001", "a",
                                         amount="100", prepayment_invoice="4", prepayment_amount="10",
                                         prepayment_paid_on="2026-01-20"),
        "deals/d-lost0001.md": deal_file("d-lost0001", up_to_invoice + ", invoice 01-12, lost 01-30",
                                         "c-alpha001", "a", amount="100", prepayment_invoice="5",
                                         prepayment_amount="10", loss_reason="vanished", lost_at="invoice", **LOST),
        "deals/d-post0001.md": deal_file("d-post0001", up_to_invoice + ", invoice 01-11, delivery 01-12, "
                                         "acceptance 01-13, postpayment 01-14", "c-alpha001", "a",
                                         amount="100", prepayment_amount="40", prepayment_paid_on="2026-01-12",
                                         postpayment_amount="60.25"),
    }))
    data = build_report("payments", ws, ws.deals, TODAY)
    assert [(row["deal"], row["since"], row["days"]) for row in data["prepayments"]["deals"]] == [
        ("d-early001", date(2026, 2, 1), 42), ("d-again001", date(2026, 2, 10), 33),
        ("d-late0001", date(2026, 3, 10), 5)]
    assert data["prepayments"]["amount"] == Decimal("90.50")  # 30.50 + 10 + 50
    [final] = data["final_payments"]["deals"]
    assert (final["deal"], final["amount"], final["days"]) == ("d-post0001", Decimal("60.25"), 60)
    assert data["amount"] == Decimal("150.75")


# -- choosing and splitting deals -------------------------------------------------------------------------

def test_owner_keeps_only_that_owners_deals(pipeline):
    data = report(pipeline, "losses", owner="ivanov")
    assert data["lost"] == 3  # ban00001, price001, terms001
    assert report(pipeline, "funnel", owner="nobody")["deals"] == 0


def test_by_owner_splits_the_funnel(pipeline):
    data = report(pipeline, "funnel", by="owner")
    assert data["by"] == "owner"
    assert (data["stages"][0]["reached"], data["won"]) == (11, 2)  # the whole report stays beside the groups
    groups = {group["value"]: group for group in data["groups"]}
    assert list(groups) == ["ivanov", "petrov", "sidorov"]
    # ivanov: won00001, ban00001, price001, invoice1, terms001
    assert by_stage(groups["ivanov"]["stages"], "reached") == {
        "lead": 5, "needs": 5, "approval": 5, "proposal": 4, "decision": 4, "contract": 3, "negotiation": 1,
        "invoice": 2, "delivery": 1, "acceptance": 1, "postpayment": 1}
    assert (groups["ivanov"]["won"], groups["ivanov"]["lost"], groups["ivanov"]["win_rate"]) == (1, 3, 0.25)
    assert (groups["petrov"]["won"], groups["petrov"]["lost"], groups["petrov"]["win_rate"]) == (1, 1, 0.5)
    assert groups["sidorov"]["win_rate"] is None  # nothing closed: no rate, no ZeroDivisionError


def test_by_contact_field_and_by_categories(pipeline):
    data = report(pipeline, "losses", by="contact.source")
    assert [(g["value"], g["label"], g["lost"]) for g in data["groups"]] == [
        ("website", "Website", 1), ("referral", "Referral", 3)]  # schema order of the options
    data = report(pipeline, "funnel", by="categories")
    # a deal counts in each of its categories: won00001 in small and standard, price001 in standard and large
    assert [(g["value"], g["stages"][0]["reached"]) for g in data["groups"]] == [
        ("ultra_small", 1), ("small", 4), ("standard", 4), ("large", 3), (None, 1)]
    losses = {g["value"]: g["by_reason"] for g in report(pipeline, "losses", by="categories")["groups"]}
    assert (losses["standard"]["finance_ban"], losses["standard"]["price"], losses["large"]["price"]) == (1, 1, 1)


@pytest.mark.parametrize("field", ["nonsense", "amount", "created", "needs", "contact.nonsense", "history"])
def test_by_refuses_unknown_or_unsplittable_fields(pipeline, field):
    with pytest.raises(ReportError, match="--by"):
        report(pipeline, "funnel", by=field)


# -- edges -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["funnel", "losses", "velocity", "forecast", "payments"])
def test_zero_deals_give_zeros(workspace, name):
    ws = load_workspace(workspace({}))
    data = build_report(name, ws, [], TODAY)
    if name == "funnel":
        assert all(row["reached"] == 0 and row["conversion"] is None for row in data["stages"])
        assert (data["won"], data["lost"], data["win_rate"]) == (0, 0, None)
    if name == "losses":
        assert data["lost"] == 0 and data["by_stage"]["approval"]["finance_ban"] == 0
        assert data["banned"]["share"] is None
    if name == "forecast":
        assert data["weighted"] == 0


def test_reached_of_a_won_deal_with_a_short_history(workspace):
    # a hand-written won deal whose history jumps lead -> won: every main-path stage counts, the optional one not
    schema = load_workspace(workspace({})).schema
    from funnel.model.records import build_record

    record = build_record(schema, "deal", "deals/d-x.md", deal_file("d-jump0001", "lead 01-05, won 02-01", "c", "a")
                          .encode())
    item = timeline(record, schema)
    assert set(item.reached) == set(STAGES) - {"negotiation"}
    assert item.reached["invoice"].day == 1


def test_what_the_current_stage_adds_to_a_short_history(workspace):
    schema = load_workspace(workspace({})).schema
    from funnel.model.records import build_record

    def reached(text):
        return timeline(build_record(schema, "deal", "deals/d.md", text.encode()), schema).reached

    # a lost deal without lost_at: lost from the active stage before its `lost` entry
    lost = deal_file("d-lost0001", "lead 01-05, needs 01-06, lost 01-09", "c", "a", loss_reason="price")
    assert list(reached(lost)) == ["lead", "needs"]
    # lost_at beyond what the history shows (an imported deal): counts up to lost_at, at the moment it was lost
    imported = deal_file("d-lost0002", "lead 01-05, lost 01-09", "c", "a", lost_at="negotiation")
    moments = reached(imported)
    assert list(moments) == ["lead", "needs", "approval", "proposal", "decision", "contract", "negotiation"]
    assert moments["contract"].day == 9 and moments["negotiation"].day == 9
    # an open deal whose history misses its own stage: reached up to it, at no known moment
    moved_by_hand = deal_file("d-open0001", "lead 01-05", "c", "a").replace("\nstage: lead", "\nstage: approval")
    moments = reached(moved_by_hand)
    assert list(moments) == ["lead", "needs", "approval"] and moments["approval"] is None


def test_reports_read_cached_records_alike(workspace):
    root = workspace(PIPELINE)
    plain = load_workspace(root)
    load_workspace(root, cached=True)  # writes the cache
    cached = load_workspace(root, cached=True)
    for name in ("funnel", "losses", "velocity", "forecast", "payments"):
        assert build_report(name, cached, cached.viewable("deal")[0], TODAY, by="categories") == \
            build_report(name, plain, plain.viewable("deal")[0], TODAY, by="categories"), name
