"""Careless hands: names pasted from e-mails (NFD, full-width, zero-width characters), typos that deserve a
"did you mean", contradictory flags, odd files to attach, and deals counted twice."""

from __future__ import annotations

import json
import os
import tracemalloc

import pytest

from conftest import CONTACT, deal, full_deal

REPEAT_FIELDS = "title: x\ncontact: {contact}\nowner: a\ncreated: 2026-03-14\nneeds: x\ncategories: [small]\n" \
                "finance_check: approved\nlegal_check: passed\n"


def _repeat_deal(deal_id: str, contact: str, started: str) -> str:
    history = f"  - {{stage: lead, at: {started}}}\n  - {{stage: proposal, at: 2026-10-01T10:00:00+03:00}}\n"
    return deal(deal_id, "proposal", REPEAT_FIELDS.format(contact=contact), history=history)


def test_normal_form():
    from funnel.model.matching import did_you_mean, is_blank, normal_form

    assert normal_form("Cafe\u0301") == normal_form("Café") == "café"
    assert normal_form("  ＡＣＭＥ\u00a0 Ltd\u200b ") == "acme ltd"
    assert is_blank("\u200b \u2060\ufeff") and not is_blank("x\u200b")
    assert did_you_mean("neds", ["lead", "needs"]) == "; did you mean 'needs'?"
    assert did_you_mean("zzzz", ["lead", "needs"]) == ""


def test_a_company_in_nfd_is_the_same_counterparty(workspace, run):
    nfd = CONTACT.replace("c-ivanov01", "c-petrova1").replace("company: ООО «Водоканал-Сервис»", "company: Cafe\u0301 Ltd")
    nfc = CONTACT.replace("company: ООО «Водоканал-Сервис»", "company: café  LTD")
    root = workspace({"contacts/c-ivanov01.md": nfc, "contacts/c-petrova1.md": nfd,
                      "deals/d-first001.md": _repeat_deal("d-first001", "c-ivanov01", "2026-02-01T10:00:00+03:00"),
                      "deals/d-later001.md": _repeat_deal("d-later001", "c-petrova1", "2026-03-01T10:00:00+03:00")})
    result = run("check", "--root", str(root))
    assert result.exit_code == 1
    assert "deals/d-later001.md:3:1: error: debt_check (Debt check): must be clear (Clear) — repeat client: " \
           "earlier deal d-first001 (gate of stage 'proposal') [gate]" in result.stdout.splitlines()


def test_a_zero_width_comment_is_blank(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "needs")})
    before = (root / "deals/d-aaaa0001.md").read_bytes()
    result = run("lose", "d-aaaa0001", "--reason", "price", "--comment", "\u200b\u2060 ", "--root", str(root))
    assert result.exit_code == 1
    assert (root / "deals/d-aaaa0001.md").read_bytes() == before


def test_choices_and_ids_typed_in_another_form_name_the_same_thing(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "needs")})
    assert run("set", "ｃ-ivanov01", "source=ＷＥＢＳＩＴＥ ", "--root", str(root)).exit_code == 0
    assert "source: website\n" in (root / "contacts/c-ivanov01.md").read_text(encoding="utf-8")
    listed = run("list", "deals", "--where", "stage=Needs", "--format", "json", "--root", str(root))
    assert [row["id"] for row in json.loads(listed.stdout)] == ["d-aaaa0001"]
    shown = run("show", "D-AAAA", "--root", str(root))
    assert shown.exit_code == 0 and "deal d-aaaa0001" in shown.stdout


@pytest.mark.parametrize("args, hint", [
    (("move", "d-aaaa0001", "neds"), "did you mean 'needs'?"),
    (("lose", "d-aaaa0001", "--reason", "prise", "--comment", "x"), "did you mean 'price'?"),
    (("list", "deals", "--where", "stage=leed"), "did you mean 'lead'?"),
    (("set", "c-ivanov01", "source=websit"), "did you mean 'website'?"),
    (("set", "d-aaaa0001", "categories=smal,standard"), "did you mean 'small'?"),
    (("set", "d-aaaa0001", "titel=x"), "did you mean 'title'?"),
    (("boad",), "Did you mean 'board'?"),
])
def test_typos_get_a_suggestion(workspace, run, args, hint):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    result = run(*args, "--root", str(root)) if args != ("boad",) else run(*args)
    assert result.exit_code in (1, 2)
    assert hint in result.stderr


def test_next_and_prev_together_are_a_usage_error(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "needs")})
    before = (root / "deals/d-aaaa0001.md").read_bytes()
    for order in (("--next", "--prev"), ("--prev", "--next")):
        result = run("move", "d-aaaa0001", *order, "--root", str(root))
        assert result.exit_code == 2
        assert "--next and --prev contradict each other" in result.stderr
    assert (root / "deals/d-aaaa0001.md").read_bytes() == before


def test_attach_says_what_a_path_is(workspace, run, tmp_path):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "acceptance")})
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for source, message in (("/dev/zero", "/dev/zero: is a character device (like /dev/zero), not a file"),
                            (str(fifo), f"{fifo}: is a named pipe (FIFO), not a file"),
                            (str(tmp_path / "nope.pdf"), "nope.pdf: no such file")):
        result = run("attach", "d-aaaa0001", source, "--root", str(root))
        assert result.exit_code == 1
        assert message in result.stderr
    assert not (root / "deals/d-aaaa0001").exists()
    contact = run("attach", "c-ivanov01", "/dev/null", "--root", str(root))
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    contact = run("attach", "c-ivanov01", str(tmp_path / "a.pdf"), "--root", str(root))
    assert contact.exit_code == 1 and "'c-ivanov01' is contact c-ivanov01, not a deal" in contact.stderr
    moved = run("move", "c-ivan", "needs", "--root", str(root))
    assert moved.exit_code == 1 and "'c-ivan' is contact c-ivanov01, not a deal" in moved.stderr


def test_attach_streams_a_big_file(workspace, tmp_path):
    from funnel.writing.attachments import attach

    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "acceptance")})
    big = tmp_path / "scan.pdf"
    with open(big, "wb") as handle:
        for index in range(64):
            handle.write(bytes([index]) * (1 << 20))  # 64 MiB
    tracemalloc.start()
    try:
        attach(root, "d-aaaa0001", big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak  # a chunk at a time, never the whole file
    stored = root / "deals/d-aaaa0001/scan.pdf"
    assert stored.read_bytes() == big.read_bytes()
    import hashlib

    assert hashlib.sha256(big.read_bytes()).hexdigest() in (root / "deals/d-aaaa0001.md").read_text(encoding="utf-8")
    attach(root, "d-aaaa0001", big)  # the same bytes: the file already there is reused
    assert sorted(os.listdir(root / "deals/d-aaaa0001")) == ["scan.pdf"]


def test_report_by_id_says_why_not(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "needs")})
    result = run("report", "funnel", "--by", "id", "--root", str(root))
    assert result.exit_code == 1
    assert "cannot split by 'id': every record has its own id" in result.stderr
    assert "plain string" not in result.stderr


def test_views_count_a_shared_id_in_no_column_and_say_so(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "needs"),
                      "deals/d-copy0001.md": full_deal("d-aaaa0001", "needs"),  # a copy: same id
                      "deals/d-renamed1.md": full_deal("d-bbbb0001", "needs"),  # renamed file, old id inside
                      "deals/d-cccc0001.md": full_deal("d-cccc0001", "needs", drop=("amount",), extra="amount: 7\n")})
    board = run("board", "--format", "json", "--root", str(root))
    ids = [card["id"] for column in json.loads(board.stdout)["columns"] for card in column["deals"]]
    assert ids == ["d-cccc0001"]
    assert "3 files skipped (invalid; 2 share an id with another file (counted in none); 1 hold an id that is " \
           "not their file name); run 'funnel check'" in board.stderr
    for args in (("list", "deals", "--format", "json"), ("report", "forecast", "--format", "json")):
        result = run(*args, "--root", str(root))
        assert "d-aaaa0001" not in result.stdout and "2 share an id" in result.stderr
    forecast = json.loads(run("report", "forecast", "--format", "json", "--root", str(root)).stdout)
    assert [row["amount"] for row in forecast["stages"] if row["stage"] == "needs"] == ["7"]


def test_many_copies_of_one_id_are_named_briefly(workspace, run):
    files = {"contacts/c-ivanov01.md": CONTACT}
    files.update({f"deals/d-copy{n:04d}.md": full_deal("d-aaaa0001", "needs") for n in range(50)})
    result = run("check", "--root", str(workspace(files)))
    line = next(line for line in result.stdout.splitlines() if line.startswith("deals/d-copy0000.md")
                and "[duplicate-id]" in line)
    assert line.endswith("is also used by deals/d-copy0001.md, deals/d-copy0002.md, deals/d-copy0003.md and 46 more "
                         "[duplicate-id]")


def test_reopening_a_lost_deal_moves_its_loss_into_the_history(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "needs")})
    path = root / "deals/d-aaaa0001.md"
    assert run("lose", "d-aaaa0001", "--reason", "price", "--comment", "Дорого: на 15%", "--root", str(root)).exit_code == 0
    reopened = run("move", "d-aaaa0001", "needs", "--reopen", "--root", str(root))
    assert reopened.exit_code == 0, reopened.output
    text = path.read_text(encoding="utf-8")
    assert "\nloss_reason:" not in text and "\nloss_comment:" not in text and "\nlost_at:" not in text
    assert "loss_reason: price, loss_comment: 'Дорого: на 15%', lost_at: needs}" in text
    assert "  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n" in text  # the other entries as they were
    listed = run("list", "deals", "--where", "loss_reason=price", "--format", "json", "--root", str(root))
    assert json.loads(listed.stdout) == []
    losses = json.loads(run("report", "losses", "--format", "json", "--root", str(root)).stdout)
    assert losses["lost"] == 0
    assert run("check", "--root", str(root)).exit_code == 0
    # lost and reopened again: the first loss stays where it was put
    assert run("lose", "d-aaaa0001", "--reason", "other_supplier", "--comment", "Другой", "--root", str(root)).exit_code == 0
    assert run("win", "d-aaaa0001", "--reopen", "--root", str(root)).exit_code == 1  # gates of won: refused
    assert "\nloss_reason: other_supplier\n" in path.read_text(encoding="utf-8")
    assert run("move", "d-aaaa0001", "lead", "--reopen", "--root", str(root)).exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert "loss_reason: price, loss_comment: 'Дорого: на 15%', lost_at: needs}" in text
    assert "loss_reason: other_supplier, loss_comment: Другой, lost_at: needs}" in text
    assert run("check", "--root", str(root)).exit_code == 0


def test_report_by_company_groups_one_company_however_it_is_written(workspace, run):
    nfd = CONTACT.replace("c-ivanov01", "c-petrova1").replace("company: ООО «Водоканал-Сервис»", "company: Cafe\u0301  LTD")
    nfc = CONTACT.replace("company: ООО «Водоканал-Сервис»", "company: Café Ltd")
    root = workspace({"contacts/c-ivanov01.md": nfc, "contacts/c-petrova1.md": nfd,
                      "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "needs"),
                      "deals/d-aaaa0002.md": full_deal("d-aaaa0002", "needs", drop=("contact",),
                                                       extra="contact: c-petrova1\n")})
    data = json.loads(run("report", "funnel", "--by", "contact.company", "--format", "json", "--root", str(root)).stdout)
    assert [(group["value"], group["deals"]) for group in data["groups"]] == [("Café Ltd", 2)]
