"""`funnel report` through the CLI: SPEC's JSON shapes, text for people, rows for pipelines, options, errors.

The numbers come from the PIPELINE fixture of test_reports.py, where they are worked out by hand."""

from __future__ import annotations

import csv
import io
import json

import pytest

from funnel.output import display_width
from test_reports import PIPELINE

TODAY = {"FUNNEL_TODAY": "2026-03-15"}
REPORTS = ["funnel", "losses", "velocity", "forecast", "payments"]


@pytest.fixture
def root(workspace, monkeypatch):
    path = workspace(PIPELINE)
    monkeypatch.chdir(path)
    return path


def report_json(run, *args):
    result = run("report", *args, "--format", "json", env=TODAY)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_funnel_json_has_specs_shape(root, run):
    data = report_json(run, "funnel")
    assert [(row["stage"], row["reached"]) for row in data["stages"]] == [
        ("lead", 11), ("needs", 10), ("approval", 10), ("proposal", 8), ("decision", 7), ("contract", 6),
        ("negotiation", 2), ("invoice", 4), ("delivery", 3), ("acceptance", 3), ("postpayment", 3)]
    assert data["stages"][0]["conversion"] is None
    assert data["stages"][1]["conversion"] == pytest.approx(10 / 11)  # a JSON number, not a string
    assert data["stages"][7]["conversion"] == pytest.approx(4 / 6)  # invoice from contract, past negotiation
    assert (data["won"], data["lost"], data["win_rate"]) == (2, 4, pytest.approx(1 / 3))
    assert data["stages"][7]["open_amount"] == "1200000"  # amounts are exact decimal strings


def test_losses_json_answers_the_finance_ban_question(root, run):
    data = report_json(run, "losses")
    assert data["lost"] == 4
    assert data["by_stage"]["approval"]["finance_ban"] == 2
    assert data["by_reason"]["finance_ban"] == 2
    assert data["banned"]["share"] == 0.2  # 2 of the 10 deals that reached approval
    assert data["amount"] == "1800000"


def test_period_options_filter_the_counted_event(root, run):
    data = report_json(run, "losses", "--since", "2026-02-01", "--until", "2026-02-28")
    assert data["lost"] == 3  # closed as lost in February
    assert (data["since"], data["until"]) == ("2026-02-01", "2026-02-28")
    data = report_json(run, "funnel", "--since", "2026-02-01", "--until", "2026-02-28")
    # a cohort: the 4 deals that entered the funnel in February, followed to today
    reached = [row["reached"] for row in data["stages"]]
    assert (data["deals"], reached[0]) == (4, 4)
    assert reached == sorted(reached[:6], reverse=True) + reached[6:] and max(reached) == 4
    data = report_json(run, "payments", "--until", "2026-02-28")
    assert [row["deal"] for row in data["prepayments"]["deals"]] == ["d-invoice1"]
    assert data["final_payments"]["deals"] == []  # final001 fell due on 03-02


def test_owner_and_by(root, run):
    assert report_json(run, "losses", "--owner", "petrov")["lost"] == 1
    data = report_json(run, "losses", "--by", "contact.client_type")
    assert data["by"] == "contact.client_type"
    assert data["by_stage"]["approval"]["finance_ban"] == 2  # SPEC's shape, for all deals, beside the groups
    assert [(g["value"], g["label"], g["lost"]) for g in data["groups"]] == [
        ("end_customer", "End customer", 1), ("engineering_company", "Engineering company", 3)]
    data = report_json(run, "funnel", "--by", "categories", "--owner", "ivanov")
    # ivanov's deals by category: small won00001 ban00001 invoice1; standard won00001 price001 terms001;
    # large price001
    assert [(g["value"], g["stages"][0]["reached"]) for g in data["groups"]] == [
        ("small", 3), ("standard", 3), ("large", 1)]


def test_by_an_unknown_or_unsplittable_field_is_refused(root, run):
    for field in ("colour", "amount", "contact.colour"):
        result = run("report", "funnel", "--by", field)
        assert result.exit_code == 1, field
        assert result.stderr.startswith("Error: --by:") and result.stderr.count("\n") == 1
        assert result.stdout == ""


def test_payments_days_follow_funnel_today(root, run):
    data = report_json(run, "payments")
    assert [(row["payment"], row["deal"], row["days"]) for row in
            data["prepayments"]["deals"] + data["final_payments"]["deals"]] == [
        ("prepayment", "d-invoice1", 23), ("final", "d-final001", 13)]
    later = json.loads(run("report", "payments", "--format", "json", env={"FUNNEL_TODAY": "2026-04-01"}).stdout)
    assert later["prepayments"]["deals"][0]["days"] == 40  # 8 days of February + 31 + 1
    bad = run("report", "payments", env={"FUNNEL_TODAY": "someday"})
    assert bad.exit_code == 1 and "FUNNEL_TODAY" in bad.stderr


def test_text_funnel_has_a_chart_within_80_columns(root, run):
    result = run("report", "funnel", env=TODAY)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(display_width(line) <= 80 for line in lines)
    bars = [line for line in lines if "█" in line or "░" in line]
    assert len(bars) == 11
    assert [line for line in bars if "░" in line][0].startswith("↳ negotiation ")  # the optional stage drawn apart
    lead, needs = bars[0], bars[1]
    assert lead.startswith("lead ") and lead.rstrip().endswith(" 11")
    assert needs.rstrip().endswith("10  90.9%")
    assert lead.count("█") > needs.count("█") > 0
    assert "Won 2 (3 000 000) · lost 4 (1 800 000) · win rate 33.3%" in result.stdout


@pytest.mark.parametrize("name", REPORTS)
def test_every_text_report_fits_80_columns(root, run, name):
    for extra in ((), ("--by", "owner")):
        result = run("report", name, *extra, env=TODAY)
        assert result.exit_code == 0, result.output
        assert all(display_width(line) <= 80 for line in result.stdout.splitlines()), result.stdout


def test_text_reports_show_the_headline_numbers(root, run):
    losses = run("report", "losses", env=TODAY).stdout
    assert "2 deals at Finance and legal check = 20.0% of" in losses  # labels for people, ids in JSON/CSV
    assert "Banned at the finance/legal check     2  50.0%  300 000" in losses
    payments = run("report", "payments", env=TODAY).stdout
    assert "Payments awaited on 2026-03-15: 2 deals, 1 200 000" in payments
    assert payments.index("d-invoice1") < payments.index("d-final001")
    forecast = run("report", "forecast", env=TODAY).stdout
    assert "total            5  3 000 000               2 095 000" in forecast
    velocity = run("report", "velocity", env=TODAY).stdout
    assert "Cycle time lead → won: 2 deals, median 57.0 days, mean 57.0 days" in velocity


def test_csv_and_tsv_print_the_main_table(root, run):
    rows = list(csv.DictReader(io.StringIO(run("report", "funnel", "--format", "csv").stdout)))
    assert [row["stage"] for row in rows][:3] == ["lead", "needs", "approval"]
    assert rows[0]["conversion"] == "" and rows[2]["reached"] == "10"
    rows = list(csv.DictReader(io.StringIO(run("report", "losses", "--format", "tsv").stdout), delimiter="\t"))
    assert [(row["stage"], row["reason"], row["lost"]) for row in rows] == [
        ("approval", "finance_ban", "2"), ("decision", "price", "1"), ("negotiation", "contract_terms", "1")]
    rows = list(csv.DictReader(io.StringIO(run("report", "forecast", "--by", "owner", "--format", "csv").stdout)))
    assert list(rows[0])[:2] == ["by:owner", "stage"]
    by_stage = list(csv.DictReader(io.StringIO(run("report", "funnel", "--by", "stage", "--format", "csv").stdout)))
    assert list(by_stage[0])[:2] == ["by:stage", "stage"]
    lines = run("report", "velocity", "--format", "jsonl").stdout.splitlines()
    assert json.loads(lines[0])["stage"] == "lead" and len(lines) == 11


def test_usage_errors_exit_2(root, run):
    assert run("report", "nonsense").exit_code == 2
    assert run("report", "forecast", "--since", "2026-01-01").exit_code == 2  # a snapshot takes no period
    assert run("report", "funnel", "--since", "2026-03-01", "--until", "2026-02-01").exit_code == 2
    assert run("report", "funnel", "--since", "March").exit_code == 2
    assert run("report", "funnel", "--format", "yaml").exit_code == 2


def test_a_period_date_is_read_as_every_other_date(root, run):
    """`--since 2026-3-5` is refused as `--set`, `--where` and FUNNEL_TODAY refuse it: one reading of a date."""
    for text in ("2026-3-5", "2026-02-30", "20260305"):
        refused = run("report", "funnel", "--since", text, env=TODAY)
        assert refused.exit_code == 2, text
        assert f"Invalid value for '--since': '{text}' is not a date YYYY-MM-DD" in refused.stderr
        assert run("list", "deals", "--where", f"created>={text}", env=TODAY).exit_code == 1
        assert run("report", "funnel", env={"FUNNEL_TODAY": text}).exit_code == 1
    assert report_json(run, "funnel", "--since", "2026-03-05")["since"] == "2026-03-05"
    backwards = run("report", "losses", "--since", "2026-03-05", "--until", "2026-03-01")
    assert backwards.exit_code == 2 and "--since 2026-03-05 is after --until 2026-03-01" in backwards.stderr
    snapshot = run("report", "forecast", "--until", "2026-03-01")
    assert snapshot.exit_code == 2
    assert "the forecast report is a snapshot of now and takes no --since/--until" in snapshot.stderr


def test_invalid_files_are_skipped_with_a_note(root, run):
    (root / "deals" / "d-broken01.md").write_text("---\nid: d-broken01\nstage: lead\namount: 12k\n---\n",
                                                  encoding="utf-8")
    result = run("report", "funnel", "--format", "json", env=TODAY)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["stages"][0]["reached"] == 11
    assert "1 file skipped" in result.stderr and "funnel check" in result.stderr


@pytest.mark.parametrize("name", REPORTS)
def test_zero_deals_give_zeros_and_an_empty_chart(workspace, run, monkeypatch, name):
    monkeypatch.chdir(workspace({}))
    for output_format in ("text", "json", "csv", "tsv", "jsonl"):
        result = run("report", name, "--format", output_format, env=TODAY)
        assert result.exit_code == 0, (output_format, result.output)
        assert "Traceback" not in result.output
    if name == "funnel":
        text = run("report", "funnel", env=TODAY).stdout
        assert "█" not in text and "win rate —" in text
        data = report_json(run, "funnel")
        assert data["won"] == data["lost"] == 0 and data["win_rate"] is None
        assert all(row["reached"] == 0 for row in data["stages"])
    if name == "losses":
        assert report_json(run, "losses")["by_stage"]["approval"]["finance_ban"] == 0
    by = run("report", name, "--by", "owner", env=TODAY)
    assert by.exit_code == 0 and by.stdout == "No deals to split by owner.\n"


def test_help_says_what_the_period_filters_on(run):
    from funnel.cli.reports import report
    from funnel.views.reports import REPORT_NAMES

    text = run("report", "--help").stdout
    for words in ("a cohort: the deals that entered the funnel in the period", "closing as lost", "entering a stage",
                  "snapshot", "Example"):
        assert words in text
    assert tuple(report.params[0].type.choices) == REPORT_NAMES + ("html",)
