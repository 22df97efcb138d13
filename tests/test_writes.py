"""The writing commands: contact add, deal add, set — validated, byte-exact, locked, atomic."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

from conftest import CONTACT, full_deal

FUNNEL = [sys.executable, "-m", "funnel"]

HAND_WRITTEN = (
    "\ufeff---\r\n"
    "# Сделка заведена вручную\r\n"
    "id: d-hand0001\r\n"
    "title: 'Насосная станция, ЖК «Северный»'   # как в договоре\r\n"
    "contact: c-ivanov01\r\n"
    "stage: needs\r\n"
    "owner: \"ivanov\"\r\n"
    "created: 2026-03-14\r\n"
    "categories:\r\n"
    "    - small\r\n"
    "    - standard\r\n"
    "needs: Трёхнасосная станция повышения давления с частотным регулированием, шкафом управления, "
    "датчиками давления на входе и выходе, доставка до начала лета, монтаж силами заказчика.\r\n"
    "history:\r\n"
    "    - {stage: lead, at: 2026-03-14T10:02:00+03:00}\r\n"
    "    - {stage: needs, at: 2026-03-15T09:00:00+03:00}\r\n"
    "---\r\n"
    "Заметки менеджера.\r\n"
    "---\r\n"
    "Ещё строка.\r\n"
)


def test_contact_add_prints_only_the_id_and_writes_a_valid_file(workspace, run, monkeypatch):
    root = workspace({})
    monkeypatch.chdir(root)
    result = run("contact", "add", "--set", "name=Петрова Анна", "--set", "phone=0123 456 789",
                 "--set", "source=exhibition", "--set", "equipment_preference=imported",
                 "--set", "client_type=engineering_company", "--set", "company=no")
    assert result.exit_code == 0, result.output
    contact_id = result.stdout.strip()
    assert result.stdout == contact_id + "\n"
    assert contact_id.startswith("c-") and len(contact_id) == 10
    text = (root / "contacts" / f"{contact_id}.md").read_text(encoding="utf-8")
    assert text == (f"---\nid: {contact_id}\nname: Петрова Анна\ncompany: 'no'\nphone: 0123 456 789\n"
                    "source: exhibition\nequipment_preference: imported\nclient_type: engineering_company\n---\n")
    assert run("check").exit_code == 0


def test_contact_add_refuses_invalid_and_writes_nothing(workspace, run, monkeypatch):
    root = workspace({})
    monkeypatch.chdir(root)
    result = run("contact", "add", "--set", "name=Петрова Анна", "--set", "source=exhibition",
                 "--set", "equipment_preference=imported", "--set", "client_type=end_customer")
    assert result.exit_code == 1
    assert result.stderr == ("Error: new contact: refused, nothing written:\n"
                             "  phone (Phone) or email (E-mail): at least one required\n")
    assert list((root / "contacts").iterdir()) == []
    bad_phone = run("contact", "add", "--set", "name=X", "--set", "phone=call me")
    assert bad_phone.exit_code == 1
    assert bad_phone.stderr == ("Error: phone: 'call me' is not a phone number (digits, spaces and + - ( ) ., "
                                "7 to 15 digits)\n")
    unknown = run("contact", "add", "--set", "nmae=X")
    assert unknown.stderr == "Error: unknown field 'nmae' for contacts; did you mean 'name'?\n"


def test_deal_add_starts_in_the_first_stage_with_created_and_history(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    monkeypatch.chdir(root)
    result = run("deal", "add", "--contact", "c-iv", "--set", "title=Котельная «Север»", "--set", "owner=ivanov",
                 "--set", "amount=1250000.10", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["stage"] == "lead" and data["contact"] == "c-ivanov01" and data["amount"] == "1250000.10"
    assert data["history"][0]["stage"] == "lead"
    text = (root / "deals" / f"{data['id']}.md").read_text(encoding="utf-8")
    assert "amount: 1250000.10\n" in text
    assert f"created: {data['created']}\n" in text
    assert run("check").exit_code == 0


def test_deal_add_refuses_a_missing_contact_or_owner(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    monkeypatch.chdir(root)
    nobody = run("deal", "add", "--contact", "c-zz", "--set", "title=x", "--set", "owner=a")
    assert (nobody.exit_code, nobody.stderr) == (1, "Error: no contact with id 'c-zz'\n")
    no_owner = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=x")
    assert no_owner.exit_code == 1
    assert "owner (Owner): required (gate of stage 'lead')" in no_owner.stderr
    assert list((root / "deals").iterdir()) == []


def test_set_changes_only_the_lines_it_must(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-hand0001.md": HAND_WRITTEN.encode("utf-8")})
    monkeypatch.chdir(root)
    path = root / "deals/d-hand0001.md"
    result = run("set", "d-hand", "owner=petrova", "categories=small,large", "amount=1250000.10",
                 "title=Насосная станция, ЖК «Южный»")
    assert result.exit_code == 0, result.output
    assert result.stdout == "d-hand0001: owner, categories, amount, title\n"
    assert path.read_bytes().decode("utf-8") == (
        "\ufeff---\r\n"
        "# Сделка заведена вручную\r\n"
        "id: d-hand0001\r\n"
        "title: 'Насосная станция, ЖК «Южный»'   # как в договоре\r\n"
        "contact: c-ivanov01\r\n"
        "stage: needs\r\n"
        "owner: \"petrova\"\r\n"
        "created: 2026-03-14\r\n"
        "categories:\r\n"
        "    - small\r\n"
        "    - large\r\n"
        "amount: 1250000.10\r\n"
        "needs: Трёхнасосная станция повышения давления с частотным регулированием, шкафом управления, "
        "датчиками давления на входе и выходе, доставка до начала лета, монтаж силами заказчика.\r\n"
        "history:\r\n"
        "    - {stage: lead, at: 2026-03-14T10:02:00+03:00}\r\n"
        "    - {stage: needs, at: 2026-03-15T09:00:00+03:00}\r\n"
        "---\r\n"
        "Заметки менеджера.\r\n"
        "---\r\n"
        "Ещё строка.\r\n"
    )
    before = path.read_bytes()
    same = run("set", "d-hand0001", "owner=petrova", "amount=1250000.10")
    assert (same.exit_code, same.stdout) == (0, "d-hand0001: unchanged\n")
    assert path.read_bytes() == before


def test_set_refuses_what_breaks_the_current_stage_and_writes_nothing(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-hand0001.md": HAND_WRITTEN.encode("utf-8")})
    monkeypatch.chdir(root)
    path = root / "deals/d-hand0001.md"
    before = path.read_bytes()
    for args, message in [
        (("--unset", "needs"), "Error: deal d-hand0001: refused, nothing written:\n"
                               "  needs (Needs): required (gate of stage 'needs')\n"),
        (("categories=",), "Error: deal d-hand0001: refused, nothing written:\n"
                           "  categories (Equipment categories): at least 1 item required (gate of stage 'needs')\n"),
        (("stage=won",), "Error: 'stage' cannot be set directly; stages change with 'funnel move', 'win' or 'lose'\n"),
        (("history=x",), "Error: 'history' cannot be set directly; stages change with 'funnel move', 'win' or "
                         "'lose'\n"),
        (("id=d-other01",), "Error: 'id' cannot be set directly\n"),
        (("amount=12,5",), "Error: amount: '12,5' is not a decimal number like 1250000.50\n"),
        (("categories=small,huge",), "Error: categories: 'huge' is not one of ultra_small, small, standard, large\n"),
        (("created=2026-02-30",), "Error: created: '2026-02-30' is not a date YYYY-MM-DD\n"),
        (("contact=c-nobody00",), "Error: no contact with id 'c-nobody00'\n"),
        (("finance_check=banned",), "Error: deal d-hand0001: refused, nothing written:\n"
                                    "  a deal banned at the finance/legal check must be lost with reason "
                                    "finance_ban\n"),
        (("d-nothing=1",), None),
    ]:
        result = run("set", "d-hand0001", *args)
        assert result.exit_code == 1, args
        if message is not None:
            assert result.stderr == message, args
        assert path.read_bytes() == before, args
    assert run("set", "d-zzzz", "owner=x").stderr == "Error: no record with id 'd-zzzz'\n"
    assert run("set", "../../etc/passwd", "owner=x").exit_code == 1


def test_an_old_unrelated_problem_does_not_block_an_edit(workspace, run, monkeypatch):
    text = full_deal("d-old00001", "decision", extra="legacy_note: из старой CRM\n")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-old00001.md": text})
    monkeypatch.chdir(root)
    result = run("set", "d-old00001", "next_action=Позвонить в пятницу")
    assert result.exit_code == 0, result.output
    assert "legacy_note: из старой CRM\n" in (root / "deals/d-old00001.md").read_text(encoding="utf-8")
    assert "unknown field 'legacy_note'" in run("check").stdout


def test_proposals_take_json_and_keep_exact_decimals(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-prop0001.md": full_deal("d-prop0001", "proposal", drop=("proposals",))})
    monkeypatch.chdir(root)
    value = '[{"option":"economy","equipment":"Wilo COR-3","price":890000.10},' \
            '{"option":"standard","equipment":"Grundfos Hydro MPC-E","price":"1250000"}]'
    result = run("set", "d-prop0001", f"proposals={value}")
    assert result.exit_code == 0, result.output
    text = (root / "deals/d-prop0001.md").read_text(encoding="utf-8")
    assert ("proposals:\n  - {option: economy, equipment: Wilo COR-3, price: 890000.10}\n"
            "  - {option: standard, equipment: Grundfos Hydro MPC-E, price: 1250000}\n") in text
    broken = run("set", "d-prop0001", 'proposals=[{"option":"x","price":1}]')
    assert (broken.exit_code, broken.stderr) == (1, "Error: proposals[1]: equipment required\n")


def test_eight_parallel_writers_on_one_deal_keep_every_change(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-para0001.md": full_deal("d-para0001", "decision")})
    fields = ["next_action=шаг 1", "equipment=Wilo", "install_address=г. Казань", "contract_type=custom",
              "prepayment_invoice=СЧ-1", "owner=petrova", "amount=1250000.50", "next_action_due=2026-12-01"]
    processes = [subprocess.Popen(FUNNEL + ["set", "d-para0001", assignment, "--root", str(root)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for assignment in fields]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    text = (root / "deals/d-para0001.md").read_text(encoding="utf-8")
    for assignment in fields:
        name, value = assignment.split("=", 1)
        assert f"\n{name}: {value}\n" in text, assignment


def test_writers_killed_at_random_moments_leave_whole_files(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-kill0001.md": full_deal("d-kill0001", "decision")})
    path = root / "deals/d-kill0001.md"
    started = time.perf_counter()
    subprocess.run(FUNNEL + ["set", "d-kill0001", "amount=1250000", "--root", str(root)], check=True)
    one_write = time.perf_counter() - started
    rng = random.Random(7)
    seen = set()
    for attempt in range(12):
        value = f"{1250001 + attempt}"
        process = subprocess.Popen(FUNNEL + ["set", "d-kill0001", f"amount={value}", "--root", str(root)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, one_write))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        text = path.read_text(encoding="utf-8")
        amounts = [line for line in text.splitlines() if line.startswith("amount: ")]
        assert len(amounts) == 1 and text.endswith("---\n"), text
        seen.add(amounts[0])
        assert not [p.name for p in (root / "deals").iterdir() if p.name.endswith(".md") and p.name.startswith(".")]
    result = subprocess.run(FUNNEL + ["check", "--root", str(root)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_ids_that_are_duplicated_or_unreadable_get_a_clear_refusal(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-dupe0001.md": full_deal("d-dupe0001", "lead"),
                      "deals/d-dupe0002.md": full_deal("d-dupe0001", "lead"),
                      "deals/d-broken01.md": "---\nid: [\n---\n"})
    monkeypatch.chdir(root)
    duplicated = run("set", "d-dupe0001", "owner=x")
    assert duplicated.stderr == ("Error: id 'd-dupe0001' is used by 2 files (deals/d-dupe0001.md, "
                                 "deals/d-dupe0002.md); run 'funnel check'\n")
    broken = run("set", "d-broken", "owner=x")
    assert broken.stderr == "Error: deals/d-broken01.md: cannot be read as a record; run 'funnel check deals/d-broken01.md'\n"


def test_a_broken_schema_refuses_writes_in_one_line_and_releases_the_lock(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    monkeypatch.chdir(root)
    schema = root / "schema.yaml"
    good = schema.read_text(encoding="utf-8")
    schema.write_text(good.replace("terminal: won", "terminal: wonn"), encoding="utf-8")
    refused = run("set", "c-ivanov01", "name=Иванов П. С.")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert refused.stderr.startswith("Error: ") and refused.stderr.count("\n") == 1
    assert "schema.yaml:" in refused.stderr and "(run 'funnel check')" in refused.stderr
    schema.write_text(good, encoding="utf-8")
    started = time.perf_counter()
    assert run("set", "c-ivanov01", "name=Иванов П. С.").exit_code == 0
    assert time.perf_counter() - started < 25  # not waiting out the 30 s lock timeout


def test_a_file_system_error_is_one_line_and_nothing_is_written(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    monkeypatch.chdir(root)
    (root / "deals").rmdir()
    (root / "deals").write_text("not a folder", encoding="utf-8")
    result = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=x", "--set", "owner=a")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert result.stderr.endswith("; nothing was written\n")
    assert (root / "deals").read_text(encoding="utf-8") == "not a folder"
