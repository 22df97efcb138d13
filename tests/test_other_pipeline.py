"""A different pipeline is a different schema.yaml: no Python knows the reference stages."""

from __future__ import annotations

SAAS_SCHEMA = """\
version: 1
stages:
  - id: prospecting
    label: Prospecting
    probability: 0.1
    requires: [account]
  - id: engaging
    label: Engaging
    probability: 0.5
    requires:
      - first_call_on
      - {field: temperature, in: [warm, hot]}
  - {id: won, label: Closed won, probability: 1, terminal: won, requires: [seats]}
  - {id: lost, label: Closed lost, probability: 0, terminal: lost, requires: [loss_reason]}
loss_reasons:
  budget: No budget
  timing: Bad timing
contacts:
  fields:
    name: {type: string, label: Name}
    email: {type: email, label: Email}
    seats_hint: {type: integer, label: Seats they mentioned}
  requires: [name, email]
deals:
  fields:
    title: {type: string, label: Title}
    account: {type: contact, label: Account}
    first_call_on: {type: date, label: First call}
    temperature:
      type: choice
      label: Temperature
      options: {cold: Cold, warm: Warm, hot: Hot}
    seats: {type: integer, label: Seats}
    loss_reason: {type: loss_reason, label: Why we lost}
  requires: [title]
"""

CONTACT = """\
---
id: c-acme0001
name: Wile E. Coyote
email: wile@acme.example
seats_hint: 0040
---
"""


def deal(deal_id: str, stage: str, fields: str) -> str:
    return (f"---\nid: {deal_id}\ntitle: Acme rollout\naccount: c-acme0001\nstage: {stage}\n{fields}"
            "history:\n  - {stage: prospecting, at: 2026-05-01T09:00:00Z}\n"
            f"  - {{stage: {stage}, at: 2026-05-02T09:00:00Z}}\n---\n")


def test_a_four_stage_pipeline_checks_its_own_records(workspace, run, monkeypatch):
    root = workspace({
        "contacts/c-acme0001.md": CONTACT,
        "deals/d-good0001.md": deal("d-good0001", "engaging", "first_call_on: 2026-05-02\ntemperature: hot\n"),
        "deals/d-cold0001.md": deal("d-cold0001", "engaging", "temperature: cold\n"),
        "deals/d-wonn0001.md": deal("d-wonn0001", "won", "first_call_on: 2026-05-02\ntemperature: warm\n"
                                                        "seats: many\n"),
        "deals/d-lost0001.md": deal("d-lost0001", "lost", "loss_reason: price\n"),
        "deals/d-refd0001.md": deal("d-refd0001", "needs", "needs: x\n"),
    }, schema=SAAS_SCHEMA)
    monkeypatch.chdir(root)
    result = run("check")
    assert result.stdout.splitlines() == [
        "deals/d-cold0001.md:5:1: error: first_call_on (First call): required (gate of stage 'engaging') [gate]",
        "deals/d-cold0001.md:6:1: error: temperature (Temperature): must be warm (Warm) or hot (Hot) "
        "(gate of stage 'engaging') [gate]",
        "deals/d-lost0001.md:6:14: error: loss_reason: 'price' is not one of budget, timing [unknown-loss-reason]",
        "deals/d-refd0001.md:5:8: error: stage: 'needs' is not one of prospecting, engaging, won, lost "
        "[unknown-stage]",
        "deals/d-refd0001.md:6:1: error: unknown field 'needs' (not declared for deals in schema.yaml) "
        "[unknown-field]",
        "deals/d-refd0001.md:9:13: error: history[2]: unknown stage 'needs' [unknown-stage]",
        "deals/d-wonn0001.md:8:8: error: seats: expected a whole number, not 'many' [type]",
    ]
    assert result.exit_code == 1

    from funnel.store.workspace import load_workspace

    workspace_ = load_workspace(root)
    contact = next(record for record in workspace_.records if record.kind == "contact")
    assert contact.fields["seats_hint"] == 40  # an integer field reads 0040 as forty: the schema says so
