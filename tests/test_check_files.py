"""`funnel check` on broken files: every kind of problem, in one run, with exact positions and codes."""

from __future__ import annotations

import time

from conftest import CONTACT, full_deal


def check(run, root, *args):
    result = run("check", "--root", str(root), *args)
    return result.exit_code, result.stdout.splitlines()


def test_valid_workspace_exits_zero(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "acceptance")})
    result = run("check", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "2 files checked: 0 errors, 0 warnings" in result.stderr


def test_broken_files_are_all_reported_in_one_run(workspace, run, monkeypatch):
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "deals/d-empty001.md": "",
        "deals/d-nofm0001.md": "title: no front matter\n",
        "deals/d-open0001.md": "---\nid: d-open0001\ntitle: never closed\n",
        "deals/d-yaml0001.md": "---\nid: d-yaml0001\ntitle: [unclosed\nstage: lead\n---\n",
        "deals/d-dupl0001.md": "---\nid: d-dupl0001\nstage: lead\nowner: a\nowner: b\n---\n",
        "deals/d-conf0001.md": "---\nid: d-conf0001\n<<<<<<< HEAD\nstage: needs\n=======\nstage: lead\n>>>>>>> other\n---\n",
        "deals/d-utf80001.md": b"---\nid: d-utf80001\ntitle: caf\xe9\n---\n",
        "deals/d-list0001.md": "---\n- a\n- b\n---\n",
    })
    monkeypatch.chdir(root)
    code, lines = check(run, root)
    assert code == 1
    structural = [line for line in lines if not line.endswith(("[gate]", "[missing-history]", "[missing-id]"))]
    # the record with a duplicate key is still checked for everything else
    assert "deals/d-dupl0001.md:3:1: error: contact (Contact): required (gate of stage 'lead') [gate]" in lines
    assert structural == [
        "deals/d-conf0001.md:3:1: error: merge-conflict marker '<<<<<<<': resolve the conflict [conflict-marker]",
        "deals/d-conf0001.md:5:1: error: merge-conflict marker '=======': resolve the conflict [conflict-marker]",
        "deals/d-conf0001.md:7:1: error: merge-conflict marker '>>>>>>>': resolve the conflict [conflict-marker]",
        "deals/d-dupl0001.md:5:1: error: duplicate key 'owner' (first on line 4) [duplicate-key]",
        "deals/d-empty001.md:1:1: error: empty file: a record needs front matter between '---' lines [empty-file]",
        "deals/d-list0001.md:2:1: error: front matter must be a mapping of field: value [not-a-mapping]",
        "deals/d-nofm0001.md:1:1: error: missing front matter: the first line must be '---' [no-front-matter]",
        "deals/d-open0001.md:1:1: error: front matter is not closed: no '---' line after the opening one "
        "[unterminated-front-matter]",
        "deals/d-utf80001.md:3:11: error: not valid UTF-8 (byte 0xe9) [encoding]",
        "deals/d-yaml0001.md:4:6: error: malformed YAML: did not find expected ',' or ']' (while parsing a "
        "flow sequence started on line 3) [yaml-syntax]",
    ]


def test_bom_and_crlf_are_valid_and_positions_count_from_the_opening_line(workspace, run, monkeypatch):
    text = "\ufeff" + CONTACT.replace("source: website", "source: webside").replace("\n", "\r\n")
    root = workspace({"contacts/c-ivanov01.md": text.encode("utf-8")})
    monkeypatch.chdir(root)
    code, lines = check(run, root)
    assert lines == ["contacts/c-ivanov01.md:7:9: error: source: 'webside' is not one of website, referral, "
                     "exhibition, advertising, cold_call, repeat, other; did you mean 'website'? [choice]"]
    assert code == 1


def test_alias_bomb_is_refused_fast(workspace, run, monkeypatch):
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for index, name in enumerate("bcdefghij"):
        previous = "abcdefghij"[index]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    root = workspace({"deals/d-bomb0001.md": "---\nid: d-bomb0001\n" + "\n".join(levels) + "\n---\n"})
    monkeypatch.chdir(root)
    started = time.perf_counter()
    code, lines = check(run, root)
    elapsed = time.perf_counter() - started
    assert code == 1
    assert lines == ["deals/d-bomb0001.md:2:1: error: YAML aliases expand to far more values than the file holds "
                     "(alias bomb) [alias-bomb]"]
    assert elapsed < 30  # a guard against hanging, not a speed measurement


def test_deep_nesting_is_refused_not_crashing(workspace, run, monkeypatch):
    root = workspace({
        "deals/d-deep0001.md": "---\nid: d-deep0001\ntitle: " + "[" * 100000 + "]" * 100000 + "\n---\n",
        "deals/d-deep0002.md": "---\nid: d-deep0002\ntitle:\n  " + "- " * 5000 + "x\n---\n",
    })
    monkeypatch.chdir(root)
    code, lines = check(run, root)
    assert code == 1
    assert lines == [
        "deals/d-deep0001.md:3:1: error: values nested more than 64 levels deep [too-deep]",
        "deals/d-deep0002.md:4:1: error: values nested more than 64 levels deep [too-deep]",
    ]


def test_yaml_11_traps_stay_strings_and_types_come_from_the_schema(workspace, run, monkeypatch):
    contact = """\
---
id: c-traps001
name: no
company: 0123
phone: 0123 456 789
email: on@example.com
source: other
equipment_preference: no_preference
client_type: end_customer
notes: 1:30
---
"""
    root = workspace({"contacts/c-traps001.md": contact})
    monkeypatch.chdir(root)
    code, lines = check(run, root)
    assert (code, lines) == (0, [])
    from funnel.store.workspace import load_workspace

    record = load_workspace(root).records[0]
    assert record.fields["name"] == "no"
    assert record.fields["company"] == "0123"
    assert record.fields["notes"] == "1:30"


def test_wrong_types_choices_stages_and_unknown_fields(workspace, run, monkeypatch):
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "deals/d-type0001.md": """\
---
id: d-type0001
title: Котельная
contact: c-ivanov01
stage: lead
owner: ivanov
created: 2026-02-30
amount: 12,5
categories: [small, huge]
finance_check: maybe
next_action_due: tomorrow
titel: typo
history:
  - {stage: lead, at: 2026-03-14T10:02:00+03:00}
  - {stage: leed, at: 2026-03-15}
---
""",
        "deals/d-stage001.md": """\
---
id: d-stage001
title: Котельная
contact: c-ivanov01
stage: shipping
owner: ivanov
created: 2026-02-03
history:
  - {stage: lead, at: 2026-03-14T10:02:00+03:00}
---
""",
    })
    monkeypatch.chdir(root)
    code, lines = check(run, root)
    assert code == 1
    assert lines == [
        "deals/d-stage001.md:5:8: error: stage: 'shipping' is not one of lead, needs, approval, proposal, decision, "
        "contract, negotiation, invoice, delivery, acceptance, postpayment, won, lost [unknown-stage]",
        "deals/d-type0001.md:5:1: warning: stage is 'lead' but the last history entry is 'leed' [history-stage]",
        "deals/d-type0001.md:7:10: error: created: expected a date YYYY-MM-DD, not '2026-02-30' [type]",
        "deals/d-type0001.md:8:9: error: amount: expected a decimal number like 1250000.50, not '12,5' [type]",
        "deals/d-type0001.md:9:21: error: categories: 'huge' is not one of ultra_small, small, standard, large "
        "[choice]",
        "deals/d-type0001.md:10:16: error: finance_check: 'maybe' is not one of pending, approved, banned [choice]",
        "deals/d-type0001.md:11:18: error: next_action_due: expected a date YYYY-MM-DD, not 'tomorrow' [type]",
        "deals/d-type0001.md:12:1: error: unknown field 'titel' (not declared for deals in schema.yaml); "
        "did you mean 'title'? [unknown-field]",
        "deals/d-type0001.md:15:13: error: history[2]: unknown stage 'leed' [unknown-stage]",
        "deals/d-type0001.md:15:23: error: history[2]: 'at' must be an ISO 8601 timestamp with offset, like "
        "2026-03-14T10:02:00+03:00, not '2026-03-15' [type]",
    ]


def test_ids_file_names_duplicates_and_dangling_references(workspace, run, monkeypatch):
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "contacts/c-copy0001.md": CONTACT.replace("id: c-ivanov01", "id: c-copy0001"),
        "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead").replace("c-ivanov01", "c-nobody00"),
        "deals/d-bbbb0001.md": full_deal("d-c-ivanov01", "lead").replace("id: d-c-ivanov01", "id: c-ivanov01"),
        "deals/Bad_Id.md": full_deal("Bad_Id", "lead"),
        "deals/d-noid0001.md": "---\ntitle: x\nstage: lead\n---\n",
    })
    monkeypatch.chdir(root)
    code, lines = check(run, root)
    assert code == 1
    assert lines[:2] == [
        "contacts/c-ivanov01.md:2:1: error: id 'c-ivanov01' is also used by deals/d-bbbb0001.md [duplicate-id]",
        "deals/Bad_Id.md:2:1: error: id 'Bad_Id' must be 3 to 40 lowercase letters, digits or '-' [bad-id]",
    ]
    assert "deals/d-aaaa0001.md:5:10: error: contact: no contact with id 'c-nobody00' [dangling-reference]" in lines
    assert "deals/d-bbbb0001.md:2:1: error: id 'c-ivanov01' differs from the file name 'd-bbbb0001.md' " \
           "[id-mismatch]" in lines
    assert "deals/d-bbbb0001.md:2:1: error: id 'c-ivanov01' is also used by contacts/c-ivanov01.md " \
           "[duplicate-id]" in lines
    assert "deals/d-noid0001.md:1:1: error: id: required (the file name says 'd-noid0001') [missing-id]" in lines
    assert "deals/d-noid0001.md:3:1: error: contact (Contact): required (gate of stage 'lead') [gate]" in lines
    assert "deals/d-noid0001.md:1:1: error: created (Created): required [gate]" in lines


def test_attachments_escaping_missing_and_changed(workspace, run, monkeypatch, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("outside")
    digest = "a" * 64
    import hashlib

    good = hashlib.sha256(b"scan").hexdigest()
    docs = (
        "acceptance_docs:\n"
        f"  - {{path: deals/d-docs0001/akt.pdf, sha256: {good}}}\n"
        f"  - {{path: ../secret.txt, sha256: {digest}}}\n"
        f"  - {{path: /etc/passwd, sha256: {digest}}}\n"
        f"  - {{path: deals/d-docs0001/gone.pdf, sha256: {digest}}}\n"
        f"  - {{path: deals/d-docs0001/changed.pdf, sha256: {digest}}}\n"
        f"  - {{path: deals/d-docs0001/link.pdf, sha256: {digest}}}\n"
    )
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "deals/d-docs0001.md": full_deal("d-docs0001", "won", extra=docs),
        "deals/d-docs0001/akt.pdf": b"scan",
        "deals/d-docs0001/changed.pdf": b"edited later",
    })
    (root / "deals/d-docs0001/link.pdf").symlink_to(outside)
    monkeypatch.chdir(root)
    code, lines = check(run, root)
    assert code == 1
    assert lines == [
        "deals/d-docs0001.md:32:5: error: acceptance_docs[2]: path '../secret.txt' must be relative to the "
        "workspace and stay inside it [attachment-escapes]",
        "deals/d-docs0001.md:33:5: error: acceptance_docs[3]: path '/etc/passwd' must be relative to the "
        "workspace and stay inside it [attachment-escapes]",
        "deals/d-docs0001.md:34:5: error: acceptance_docs[4]: file 'deals/d-docs0001/gone.pdf' is missing "
        "[attachment-missing]",
        "deals/d-docs0001.md:35:5: error: acceptance_docs[5]: file 'deals/d-docs0001/changed.pdf' does not match "
        "its sha256 (changed since it was attached) [attachment-hash]",
        "deals/d-docs0001.md:36:5: error: acceptance_docs[6]: path 'deals/d-docs0001/link.pdf' leads outside "
        "the workspace [attachment-escapes]",
    ]


def test_an_alias_inside_itself_is_refused(workspace, run, monkeypatch):
    root = workspace({"deals/d-self0001.md": "---\nid: d-self0001\nloop: &a [*a]\n---\n",
                      "deals/d-self0002.md": "---\nid: d-self0002\nhistory:\n  - &b {stage: [*b]}\n---\n"})
    monkeypatch.chdir(root)
    code, lines = check(run, root)
    assert code == 1
    assert lines == [
        "deals/d-self0001.md:2:1: error: values nested more than 64 levels deep (an alias inside itself?) [too-deep]",
        "deals/d-self0002.md:2:1: error: values nested more than 64 levels deep (an alias inside itself?) [too-deep]",
    ]
