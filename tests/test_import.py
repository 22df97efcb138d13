"""funnel import: rows from csv/tsv/json/jsonl, all or nothing, idempotent with --key, history kept."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import CONTACT, full_deal

HEADER = "name,email,source,equipment_preference,client_type\n"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """funnel's own directory outside git is the user's cache: keep it in the test's temp folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def contact_rows(count: int, start: int = 0) -> str:
    return "".join(f"Клиент {i},client{i}@example.ru,website,domestic,end_customer\n"
                   for i in range(start, start + count))


def record_files(root: Path, kind: str = "contacts") -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((root / kind).glob("*.md"))}


def listed(run, root: Path, kind: str) -> list[dict]:
    result = run("list", kind, "--format", "jsonl", "--body", "--root", str(root))
    assert result.exit_code == 0, result.output
    return sorted((json.loads(line) for line in result.stdout.splitlines()), key=lambda item: item["id"])


# -- all or nothing ---------------------------------------------------------------------------------------------

def test_one_bad_row_among_hundreds_writes_nothing_and_is_named_by_the_line_it_starts_on(workspace, run):
    root = workspace({})
    # a quoted cell spanning two lines before the bad row: its line is not its row number + 1
    text = HEADER + '"Петров\nИван",petrov@example.ru,website,domestic,end_customer\n' + contact_rows(200) \
        + "Сидоров,not-an-email,website,domestic,end_customer\n" + contact_rows(150, 200)
    (root / "in.csv").write_text(text, encoding="utf-8")
    result = run("import", "contacts", str(root / "in.csv"), "--root", str(root))
    assert result.exit_code == 1
    assert f"{root / 'in.csv'}:204: email: 'not-an-email' is not an e-mail address" in result.stderr
    assert "nothing written" in result.stderr
    assert record_files(root) == {}


def test_every_bad_row_is_reported_with_its_own_message(workspace, run):
    root = workspace({})
    rows = (HEADER + "A,a@example.ru,website,domestic,end_customer\n"
            "B,b@example.ru,telepathy,domestic,end_customer\n"
            "C,,website,domestic,end_customer\n")
    result = run("import", "contacts", "-", "--root", str(root), input=rows)
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("stdin:")]
    assert problems[0].startswith("stdin:3: source: 'telepathy' is not one of website, referral")
    assert problems[1].startswith("stdin:4: ") and "phone" in problems[1] and "email" in problems[1]
    assert len(problems) == 2 and record_files(root) == {}


def test_dry_run_validates_everything_and_writes_nothing(workspace, run):
    root = workspace({})
    result = run("import", "contacts", "--dry-run", "--root", str(root), input=HEADER + contact_rows(3))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(" (")[0].startswith("would create contacts/c-") for line in lines[:3]] == [True] * 3
    assert lines[-1] == "dry run: 3 created, 0 updated, 0 unchanged; nothing written"
    assert record_files(root) == {}
    bad = run("import", "contacts", "--dry-run", "--root", str(root),
              input=HEADER + "X,x@example.ru,nowhere,domestic,end_customer\n")
    assert bad.exit_code == 1 and "stdin:2: source:" in bad.stderr


# -- idempotent with --key ----------------------------------------------------------------------------------------

def test_a_second_run_with_key_changes_no_byte(workspace, run):
    root = workspace({})
    (root / "in.csv").write_text(HEADER + contact_rows(40), encoding="utf-8")
    first = run("import", "contacts", str(root / "in.csv"), "--key", "email", "--root", str(root))
    assert (first.exit_code, first.stdout) == (0, "40 created, 0 updated, 0 unchanged\n")
    before = record_files(root)
    stats = {path.name: path.stat().st_mtime_ns for path in (root / "contacts").glob("*.md")}
    again = run("import", "contacts", str(root / "in.csv"), "--key", "email", "--root", str(root))
    assert (again.exit_code, again.stdout) == (0, "0 created, 0 updated, 40 unchanged\n")
    assert record_files(root) == before
    assert {path.name: path.stat().st_mtime_ns for path in (root / "contacts").glob("*.md")} == stats


def test_key_updates_only_the_fields_that_differ_and_an_empty_cell_clears_nothing(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT.replace("---\n", "---\n# hand-written\n", 1)})
    before = (root / "contacts" / "c-ivanov01.md").read_text(encoding="utf-8")
    rows = ("email,name,company,source\n"
            "ivanov@vodokanal.ru,Иванов Пётр Сергеевич,,referral\n")
    result = run("import", "contacts", "--key", "email", "--root", str(root), input=rows)
    assert (result.exit_code, result.stdout) == (0, "0 created, 1 updated, 0 unchanged\n"), result.output
    after = (root / "contacts" / "c-ivanov01.md").read_text(encoding="utf-8")
    assert after == before.replace("source: website", "source: referral")  # company kept, comment kept


def test_key_errors_are_row_errors(workspace, run):
    twin = CONTACT.replace("c-ivanov01", "c-ivanov02")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "contacts/c-ivanov02.md": twin})
    rows = (HEADER + "A,,website,domestic,end_customer\n"
            "B,b@example.ru,website,domestic,end_customer\n"
            "B2,B@Example.ru,website,domestic,end_customer\n"
            "Иванов,ivanov@vodokanal.ru,website,domestic,end_customer\n")
    result = run("import", "contacts", "--key", "email", "--root", str(root), input=rows)
    assert result.exit_code == 1
    assert "stdin:2: email: empty, but it is the key (--key email)" in result.stderr
    assert "stdin:4: email: 'B@Example.ru' repeats the key of line 3" in result.stderr
    assert "stdin:5: email: 'ivanov@vodokanal.ru' matches 2 records (c-ivanov01, c-ivanov02)" in result.stderr


# -- reading sources ---------------------------------------------------------------------------------------------

RUSSIAN_SCHEMA = """\
version: 1
stages:
  - {id: new, label: Новая}
  - {id: talks, label: Переговоры}
  - {id: won, label: Успешно, terminal: won}
  - {id: lost, label: Провал, terminal: lost}
loss_reasons: {price: Цена}
contacts:
  fields:
    name: {type: string, label: ФИО}
    email: {type: email, label: Эл. почта}
    source:
      type: choice
      label: Источник
      options: [{id: website, label: Сайт}, {id: referral, label: Рекомендация}]
  requires: [name]
deals:
  fields:
    title: {type: string, label: Название}
    contact: {type: contact, label: Клиент}
    amount: {type: decimal, label: Сумма}
    created: {type: date, label: Создана}
    lost_at: {type: stage, label: Этап потери}
"""


def test_russian_column_labels_map_to_fields_in_a_cp1251_file(workspace, run):
    root = workspace({}, schema=RUSSIAN_SCHEMA)
    text = "ФИО;ЭЛ. ПОЧТА;источник\nИванов Пётр;ivanov@example.ru;Сайт\nПетрова Анна;petrova@example.ru;рекомендация\n"
    (root / "clients.csv").write_bytes(text.encode("cp1251"))
    refused = run("import", "contacts", str(root / "clients.csv"), "--root", str(root))
    assert refused.exit_code == 1 and "--encoding cp1251" in refused.stderr
    result = run("import", "contacts", str(root / "clients.csv"), "--encoding", "cp1251", "--root", str(root))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "2 created, 0 updated, 0 unchanged\n", "")
    people = {item["name"]: item for item in listed(run, root, "contacts")}
    assert people["Иванов Пётр"]["source"] == "website" and people["Петрова Анна"]["source"] == "referral"
    assert people["Петрова Анна"]["email"] == "petrova@example.ru"


def test_deals_with_russian_stage_labels_decimal_comma_and_dotted_dates(workspace, run):
    root = workspace({}, schema=RUSSIAN_SCHEMA)
    run("import", "contacts", "--root", str(root), input="ФИО,Эл. почта\nИванов,ivanov@example.ru\n")
    rows = ("Название\tКлиент\tСумма\tЭтап\tначало\tитог\n"
            "Насосная\tivanov@example.ru\t1 250 000,50\tПереговоры\t14.03.2026\t\n"
            "Котельная\tIVANOV@example.ru\t900,00\tпровал\t10.01.2026\t20.02.2026\n")
    result = run("import", "deals", "--root", str(root), "--contact-key", "email", "--decimal-comma",
                 "--date-format", "%d.%m.%Y", "--map", "Этап=stage", "--history", "Новая=начало",
                 "--history", "lost=итог", input=rows)
    assert result.exit_code == 0, result.output
    deals = {item["title"]: item for item in listed(run, root, "deals")}
    talks, lost = deals["Насосная"], deals["Котельная"]
    assert (talks["stage"], talks["amount"], talks["created"]) == ("talks", "1250000.50", "2026-03-14")
    assert talks["history"][0] == {"stage": "new", "at": "2026-03-14T00:00:00+00:00"}
    assert talks["history"][1]["stage"] == "talks"  # no date for the current stage: the import's time
    assert lost["history"] == [{"stage": "new", "at": "2026-01-10T00:00:00+00:00"},
                               {"stage": "lost", "at": "2026-02-20T00:00:00+00:00"}]
    assert lost["lost_at"] == "new" and lost["amount"] == "900.00"


def test_stdin_json_and_jsonl_number_their_rows(workspace, run):
    root = workspace({})
    good = {"name": "А", "email": "a@example.ru", "source": "website", "equipment_preference": "domestic",
            "client_type": "end_customer"}
    items = [good, dict(good, name="Б", email="b@example.ru", source=5)]
    array = run("import", "contacts", "-", "--input-format", "json", "--root", str(root), input=json.dumps(items))
    assert array.exit_code == 1 and "stdin:2: source: '5' is not one of" in array.stderr
    lines = json.dumps(good) + "\n\n" + json.dumps(dict(good, name="Б", email="b@")) + "\n"
    jsonl = run("import", "contacts", "--root", str(root), input=lines)  # no FILE: stdin; jsonl from content
    assert jsonl.exit_code == 1 and "stdin:3: email: 'b@' is not an e-mail address" in jsonl.stderr
    ok = run("import", "contacts", "-", "--root", str(root), input=json.dumps(good))
    assert (ok.exit_code, ok.stdout) == (0, "1 created, 0 updated, 0 unchanged\n")


def test_json_numbers_are_exact_decimals(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    rows = json.dumps([{"title": "Точная сумма", "contact": "c-ivanov01", "owner": "ivanov"}])
    rows = rows[:-2] + ', "amount": 1250000.10}]'
    result = run("import", "deals", "--input-format", "json", "--root", str(root), input=rows)
    assert result.exit_code == 0, result.output
    assert listed(run, root, "deals")[0]["amount"] == "1250000.10"


def test_mapping_warnings_and_usage_errors(workspace, run):
    root = workspace({})
    rows = "Name,E-mail,Source,equipment preference,CLIENT_TYPE,notes,utm,skip me\n" \
           "А,a@example.ru,website,domestic,end_customer,,x,y\n"
    result = run("import", "contacts", "--map", "skip me=-", "--root", str(root), input=rows)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning") == 1 and "utm" in result.stderr and "skip me" not in result.stderr
    unknown_value = run("import", "contacts", "--value", "company:A=B", "--map", "utm=-", "--root", str(root),
                        input=rows)
    assert unknown_value.exit_code == 2 and "no column feeds field 'company'" in unknown_value.stderr
    unknown_field = run("import", "contacts", "--map", "utm=nowhere", "--root", str(root), input=rows)
    assert unknown_field.exit_code == 2 and "no field 'nowhere'" in unknown_field.stderr
    assert len(record_files(root)) == 1


def test_a_refused_import_still_names_the_columns_it_did_not_read(workspace, run):
    root = workspace({})
    rows = "ФИО,E-mail,Source,equipment preference,CLIENT_TYPE\nПетров Иван,p@example.ru,website,domestic,end_customer\n"
    result = run("import", "contacts", "--root", str(root), input=rows)
    assert result.exit_code == 1 and record_files(root) == {}
    lines = result.stderr.splitlines()
    assert lines == ["stdin:2: name (Full name): required",
                     "warning: not imported, no field matches: ФИО (--map COLUMN=FIELD to import one, "
                     "--map COLUMN=- to skip it)",
                     "Error: import refused, nothing written: 1 problem(s) in 1 row(s)"]
    assert run("import", "contacts", "--map", "ФИО=name", "--root", str(root), input=rows).exit_code == 0


def test_value_translates_and_set_fills_what_a_row_leaves_empty(workspace, run):
    root = workspace({})
    rows = "name,email,source,client_type\nА,a@example.ru,Web form,\nБ,b@example.ru,website,engineering_company\n"
    result = run("import", "contacts", "--value", "source:web form=website", "--set",
                 "equipment_preference=no_preference", "--set", "client_type=end_customer", "--root", str(root),
                 input=rows)
    assert result.exit_code == 0, result.output
    people = {item["name"]: item for item in listed(run, root, "contacts")}
    assert people["А"]["source"] == "website" and people["А"]["client_type"] == "end_customer"
    assert people["Б"]["client_type"] == "engineering_company"
    assert {item["equipment_preference"] for item in people.values()} == {"no_preference"}


def test_a_column_mapped_to_id_keeps_valid_ids_and_refuses_others(workspace, run):
    root = workspace({})
    rows = "id," + HEADER + "c-kept0001,A,a@example.ru,website,domestic,end_customer\n"
    assert run("import", "contacts", "--root", str(root), input=rows).exit_code == 0
    assert (root / "contacts" / "c-kept0001.md").is_file()
    again = run("import", "contacts", "--root", str(root), input=rows)
    assert again.exit_code == 1 and "stdin:2: id: 'c-kept0001' is already used by contacts/c-kept0001.md" \
        in again.stderr
    bad = run("import", "contacts", "--root", str(root), input=rows.replace("c-kept0001", "C_Bad"))
    assert bad.exit_code == 1 and "stdin:2: id: 'C_Bad' is not a funnel id" in bad.stderr


# -- history and --historical ------------------------------------------------------------------------------------

DEAL_HEADER = "title,contact,owner,stage,lead_on,needs_on,won_on,lost_on\n"


def test_history_takes_only_stages_the_deal_reached(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    later = DEAL_HEADER + "A,c-ivanov01,ivanov,lead,2026-01-10,2026-01-12,,\n"
    result = run("import", "deals", "--root", str(root), "--history", "lead=lead_on", "--history",
                 "needs=needs_on", input=later)
    assert result.exit_code == 1
    assert "stdin:2: history: needs_on gives a date for stage 'needs', later than the deal's stage 'lead'" \
        in result.stderr
    same_day = DEAL_HEADER + "B,c-ivanov01,ivanov,lead,2026-01-10T09:00:00+03:00,,2026-01-05,2026-01-05\n"
    ok = run("import", "deals", "--root", str(root), "--history", "lead=lead_on", "--history", "won=won_on",
             "--history", "lost=lost_on", input=same_day)
    assert ok.exit_code == 0, ok.output
    deal = listed(run, root, "deals")[0]
    assert deal["history"] == [{"stage": "lead", "at": "2026-01-10T09:00:00+03:00"}]  # terminal dates: not in it
    assert deal["created"] == "2026-01-10"


def test_historical_exempts_the_gates_a_deal_lived_elsewhere_in_import_and_check(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    rows = DEAL_HEADER + "Old win,c-ivanov01,ivanov,won,2019-02-01,2019-02-03,2019-06-30,\n"
    args = ("import", "deals", "--root", str(root), "--history", "lead=lead_on", "--history", "needs=needs_on",
            "--history", "won=won_on", "--history", "lost=lost_on")
    strict = run(*args, input=rows)
    assert strict.exit_code == 1 and "gate of stage 'won'" in strict.stderr and "stdin:2: " in strict.stderr
    result = run(*args, "--historical", input=rows)
    assert result.exit_code == 0, result.output
    deal = listed(run, root, "deals")[0]
    assert deal["imported_from"] == "stdin" and deal["imported_at"] >= "2026"
    assert [entry["stage"] for entry in deal["history"]] == ["lead", "needs", "won"]
    assert deal["created"] == "2019-02-01"
    check = run("check", "--root", str(root))
    assert check.exit_code == 0, check.output
    refused = run("set", deal["id"], "imported_at=2020-01-01T00:00:00+00:00", "--root", str(root))
    assert refused.exit_code != 0 and "cannot be set directly" in refused.stderr


def test_a_historical_open_deal_is_gated_as_usual_from_its_next_stage(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    rows = "title,contact,owner,stage\nOpen,c-ivanov01,ivanov,needs\n"
    result = run("import", "deals", "--historical", "--root", str(root), input=rows)
    assert result.exit_code == 0, result.output
    assert run("check", "--root", str(root)).exit_code == 0  # needs and categories: exempt at needs
    deal_id = listed(run, root, "deals")[0]["id"]
    moved = run("move", deal_id, "approval", "--root", str(root))
    assert moved.exit_code == 0, moved.output  # approval has no gate of its own; needs' stays exempt
    gated = run("move", deal_id, "proposal", "--root", str(root))
    assert gated.exit_code == 1 and "finance_check" in gated.stderr


def test_hand_written_imported_at_on_a_deal_without_history_exempts_nothing(workspace, run):
    text = full_deal("d-hand0001", "contract", drop=("install_address",), history="")
    text = text.replace("history:\n", "imported_at: 2026-01-01T00:00:00+00:00\n")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-hand0001.md": text})
    result = run("check", "--root", str(root))
    assert result.exit_code == 1 and "install_address" in result.stdout


# -- exports and the round trip ------------------------------------------------------------------------------------

def test_list_body_and_excel_safe(workspace, run):
    body = "Заметки: =не формула\n"
    root = workspace({"contacts/c-ivanov01.md": CONTACT + body})
    item = listed(run, root, "contacts")[0]
    assert item["body"] == body
    run("set", "c-ivanov01", "company==SUM(A1:A9)", "--root", str(root))
    plain = run("list", "contacts", "--format", "csv", "--fields", "id,company", "--root", str(root))
    safe = run("list", "contacts", "--format", "csv", "--fields", "id,company", "--excel-safe", "--root", str(root))
    assert plain.stdout.splitlines()[1] == "c-ivanov01,=SUM(A1:A9)"
    assert safe.stdout.splitlines()[1] == "c-ivanov01,'=SUM(A1:A9)"
    wrong = run("list", "contacts", "--body", "--root", str(root))
    assert wrong.exit_code == 2


def test_round_trip_export_import_gives_the_same_front_matter(workspace, run, tmp_path):
    proposals = full_deal("d-trip0002", "decision")
    root = workspace({"contacts/c-ivanov01.md": CONTACT + "Звонить после обеда.\n",
                      "deals/d-trip0001.md": full_deal("d-trip0001", "postpayment", body="Заметки\n\nещё\n"),
                      "deals/d-trip0002.md": proposals})
    scan = tmp_path / "akt.pdf"
    scan.write_bytes(b"%PDF- signed acceptance")
    assert run("attach", "d-trip0001", str(scan), "--root", str(root)).exit_code == 0
    assert run("check", "--root", str(root)).exit_code == 0
    exports = {}
    for kind in ("contacts", "deals"):
        result = run("list", kind, "--format", "jsonl", "--body", "--root", str(root))
        exports[kind] = tmp_path / f"{kind}.jsonl"
        exports[kind].write_text(result.stdout, encoding="utf-8")
    target = tmp_path / "copy"
    (target / "deals").mkdir(parents=True)
    (target / "schema.yaml").write_bytes((root / "schema.yaml").read_bytes())
    (target / "deals" / "d-trip0001").mkdir()
    for path in (root / "deals" / "d-trip0001").iterdir():  # the attached files travel alongside
        (target / "deals" / "d-trip0001" / path.name).write_bytes(path.read_bytes())
    for kind in ("contacts", "deals"):
        result = run("import", kind, str(exports[kind]), "--root", str(target))
        assert result.exit_code == 0, result.output
    for kind in ("contacts", "deals"):
        assert listed(run, target, kind) == listed(run, root, kind)
    copied = listed(run, target, "deals")[0]
    assert copied["id"] == "d-trip0001" and copied["acceptance_docs"][0]["path"].startswith("deals/d-trip0001/")
    assert copied["history"][-1]["at"] == "2026-03-20T10:00:00+03:00"
    assert run("check", "--root", str(target)).exit_code == 0
    again = run("import", "deals", str(exports["deals"]), "--key", "id", "--root", str(target))
    assert again.stdout == "0 created, 0 updated, 2 unchanged\n"


# -- the Maven sample ----------------------------------------------------------------------------------------------

MAVEN = Path(__file__).parent / "data" / "maven"
MAVEN_SCHEMA = Path(__file__).parent.parent / "examples" / "maven" / "schema.yaml"
MAVEN_DEALS = ("--key", "opportunity", "--map", "deal_stage=stage", "--value", "product:GTXPro=gtx_pro",
               "--contact-key", "name", "--date-format", "%m/%d/%Y", "--history", "engaging=engage_date",
               "--history", "won=close_date", "--history", "lost=close_date", "--historical")


def test_the_maven_slice_imports_and_its_funnel_report_is_right(workspace, run):
    root = workspace({}, schema=MAVEN_SCHEMA)
    accounts = run("import", "contacts", str(MAVEN / "accounts.csv"), "--key", "name", "--root", str(root))
    assert (accounts.exit_code, accounts.stdout) == (0, "85 created, 0 updated, 0 unchanged\n"), accounts.output
    deals = run("import", "deals", str(MAVEN / "sales_pipeline.csv"), *MAVEN_DEALS, "--root", str(root))
    assert deals.exit_code == 0, deals.output
    with open(MAVEN / "sales_pipeline.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    stages = [row["deal_stage"] for row in rows]
    assert deals.stdout == f"{len(rows)} created, 0 updated, 0 unchanged\n"
    assert deals.stderr == ""  # every column feeds a field or the history
    report = json.loads(run("report", "funnel", "--format", "json", "--root", str(root)).stdout)
    won, lost = stages.count("Won"), stages.count("Lost")
    engaged = sum(1 for row in rows if row["engage_date"])  # every deal past Prospecting has an engage date
    assert [(s["stage"], s["reached"]) for s in report["stages"]] == [("prospecting", len(rows)),
                                                                     ("engaging", engaged)]
    assert (report["won"], report["lost"]) == (won, lost)
    assert report["win_rate"] == pytest.approx(won / (won + lost))
    assert report["stages"][1]["conversion"] == pytest.approx(engaged / len(rows))
    assert run("check", "--root", str(root)).exit_code == 0
    by_opportunity = {item["opportunity"]: item for item in listed(run, root, "deals")}
    sample = next(row for row in rows if row["deal_stage"] == "Won" and row["product"] == "GTXPro")
    deal = by_opportunity[sample["opportunity_id"]]
    month, day, year = (int(part) for part in sample["close_date"].split("/"))
    assert deal["product"] == "gtx_pro" and deal["amount"] == sample["close_value"]
    assert deal["history"][-1] == {"stage": "won", "at": f"{year:04}-{month:02}-{day:02}T00:00:00+00:00"}
    assert deal["close_date"] == f"{year:04}-{month:02}-{day:02}"
    lost_deal = by_opportunity[next(row for row in rows if row["deal_stage"] == "Lost")["opportunity_id"]]
    assert lost_deal["lost_at"] == "engaging" and [e["stage"] for e in lost_deal["history"]] == ["engaging", "lost"]
    again = run("import", "deals", str(MAVEN / "sales_pipeline.csv"), *MAVEN_DEALS, "--root", str(root))
    assert again.stdout == f"0 created, 0 updated, {len(rows)} unchanged\n"


def test_a_later_export_moves_a_deal_on_through_its_key(workspace, run):
    root = workspace({}, schema=MAVEN_SCHEMA)
    run("import", "contacts", str(MAVEN / "accounts.csv"), "--root", str(root))
    header = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    first = header + "OPP1,Moses Frase,GTX Basic,Cancity,Engaging,10/20/2016,,\n"
    args = ("import", "deals", *MAVEN_DEALS, "--root", str(root))
    assert run(*args, input=first).exit_code == 0
    later = header + "OPP1,Moses Frase,GTX Basic,Cancity,Won,10/20/2016,3/1/2017,1054\n"
    result = run(*args, input=later)
    assert (result.exit_code, result.stdout) == (0, "0 created, 1 updated, 0 unchanged\n"), result.output
    deal = listed(run, root, "deals")[0]
    assert deal["stage"] == "won" and deal["amount"] == "1054"
    assert deal["history"] == [{"stage": "engaging", "at": "2016-10-20T00:00:00+00:00"},
                               {"stage": "won", "at": "2017-03-01T00:00:00+00:00"}]


def test_a_large_import_in_a_pipeline_is_silent_on_stderr(workspace, run):
    root = workspace({})
    result = run("import", "contacts", "--key", "email", "--root", str(root), input=HEADER + contact_rows(2500))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "2500 created, 0 updated, 0 unchanged\n", "")


def _git(root: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def test_commit_commits_exactly_the_files_the_import_wrote(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    _git(root, "init", "-q")
    _git(root, "config", "user.name", "Тест")
    _git(root, "config", "user.email", "test@example.ru")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "start")
    rows = HEADER + contact_rows(3) + "Иванов Пётр Сергеевич,ivanov@vodokanal.ru,referral,domestic,end_customer\n"
    (root / "clients.csv").write_text(rows, encoding="utf-8")  # untracked: never swept into the commit
    result = run("import", "contacts", str(root / "clients.csv"), "--key", "email", "--commit", "--root", str(root))
    assert (result.exit_code, result.stdout) == (0, "3 created, 1 updated, 0 unchanged\n"), result.output
    assert "committed" in result.stderr
    assert _git(root, "log", "-1", "--format=%s%n%b").startswith(
        "import contacts from clients.csv: 3 created, 1 updated\n")
    assert "Funnel-Import: clients.csv" in _git(root, "log", "-1", "--format=%b")
    assert len(_git(root, "show", "--name-only", "--format=", "HEAD").split()) == 4
    assert _git(root, "status", "--porcelain") == "?? clients.csv\n"
    # an uncommitted edit in a record the import would update: refused, nothing written
    path = root / "contacts" / "c-ivanov01.md"
    path.write_text(path.read_text(encoding="utf-8") + "Заметка.\n", encoding="utf-8")
    before = record_files(root)
    changed = rows.replace("referral", "exhibition") + "Новый,new@example.ru,website,domestic,end_customer\n"
    refused = run("import", "contacts", "--key", "email", "--commit", "--root", str(root), input=changed)
    assert refused.exit_code == 1 and "contacts/c-ivanov01.md has uncommitted edits" in refused.stderr
    assert record_files(root) == before


def test_an_import_that_would_make_an_existing_deal_a_repeat_clients_is_refused(workspace, run):
    live = full_deal("d-live0001", "proposal", drop=("debt_check",))
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-live0001.md": live})
    assert run("check", "--root", str(root)).exit_code == 0
    rows = "title,contact,owner,started\nСтарая сделка,c-ivanov01,ivanov,2025-01-10\n"
    result = run("import", "deals", "--history", "lead=started", "--root", str(root), input=rows)
    assert result.exit_code == 1
    assert "stdin:2: deals/d-live0001.md: debt_check" in result.stderr
    assert sorted(path.name for path in (root / "deals").glob("*.md")) == ["d-live0001.md"]
