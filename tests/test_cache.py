"""The record cache: never stale (changed, added, removed files; a git checkout; a new schema or version), never
where a clone can reach it, never fooled into writing through a link, running code or hanging."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import CONTACT, REFERENCE_SCHEMA, age_all, benchmark_generators, deal, full_deal, write_files
from funnel.store.cache import DB_FILE, CachedFields, HashCache, schema_key
from funnel.store.owndir import own_directory
from funnel.store.workspace import load_workspace


def age(path, seconds=10):
    """Pretend the file was written `seconds` ago (outside the racy window)."""
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


def cached(root):
    return load_workspace(root, cached=True)


def db_path(root):
    return own_directory(root) / DB_FILE


def git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}).stdout


def test_cached_records_equal_fresh_ones_and_live_outside_the_working_tree(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "won")})
    age_all(root)
    first = cached(root)
    assert db_path(root).is_file()
    assert not (root / ".funnel").exists()
    assert not str(db_path(root)).startswith(str(root))
    second = cached(root)
    assert all(isinstance(record.fields, CachedFields) for record in second.records)
    fresh = load_workspace(root)
    for from_cache, from_file in zip(second.records, fresh.records):
        assert dict(from_cache.fields) == from_file.fields
        assert from_cache.unknown == from_file.unknown
        assert from_cache.path == from_file.path and from_cache.kind == from_file.kind
    assert [dict(r.fields) for r in first.records] == [r.fields for r in fresh.records]


def test_changed_added_and_removed_files_are_seen(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    deal = root / "deals/d-aaaa0001.md"
    age_all(root)
    assert cached(root).records[1].fields["owner"] == "ivanov"
    # same size, same mtime second: only the racy-window rule or the ctime can tell
    deal.write_text(deal.read_text(encoding="utf-8").replace("owner: ivanov", "owner: petrov"), encoding="utf-8")
    assert cached(root).records[1].fields["owner"] == "petrov"
    (root / "deals/d-bbbb0001.md").write_text(full_deal("d-bbbb0001", "lead"), encoding="utf-8")
    assert [r.id for r in cached(root).records] == ["c-ivanov01", "d-aaaa0001", "d-bbbb0001"]
    deal.unlink()
    assert [r.id for r in cached(root).records] == ["c-ivanov01", "d-bbbb0001"]


def test_a_file_changed_within_the_racy_window_is_read_again(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    contact = root / "contacts/c-ivanov01.md"
    stat = contact.stat()
    cached(root)  # written right after the file: the entry is racy
    contact.write_text(CONTACT.replace("Иванов", "Сидоров"), encoding="utf-8")
    os.utime(contact, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # an editor that keeps the mtime
    assert cached(root).records[0].fields["name"].startswith("Сидоров")


def test_a_racy_file_costs_itself_only_not_the_whole_cache(workspace):
    files = {f"deals/d-aaaa{n:04d}.md": full_deal(f"d-aaaa{n:04d}", "lead") for n in range(5)}
    root = workspace({"contacts/c-ivanov01.md": CONTACT, **files})
    age_all(root)
    cached(root)
    assert all(isinstance(r.fields, CachedFields) for r in cached(root).records)
    edited = root / "deals/d-aaaa0002.md"
    edited.write_text(full_deal("d-aaaa0002", "lead").replace("owner: ivanov", "owner: sidorov"), encoding="utf-8")
    first = cached(root)  # reads the edited file; its row is racy now
    second = cached(root)  # re-checks that one file by content; the rest still from the snapshot
    for records in (first, second):
        by_path = {r.path: r for r in records.records}
        assert by_path["deals/d-aaaa0002.md"].fields["owner"] == "sidorov"
        assert all(isinstance(r.fields, CachedFields) for path, r in by_path.items() if path != str(
            edited.relative_to(root)))
    with sqlite3.connect(db_path(root)) as db:
        snapped = dict(db.execute("SELECT path, snap FROM files"))
    assert snapped["deals/d-aaaa0002.md"] is None  # outside the snapshot, read as its own row
    assert sum(value is not None for value in snapped.values()) == 5  # nothing rebuilt for one edit


def test_invalid_files_are_never_cached_and_a_schema_change_invalidates(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-bad00001.md": "---\nid: [\n---\n"})
    age_all(root)
    cached(root)
    again = cached(root)
    assert isinstance(again.records[0].fields, CachedFields)
    assert not isinstance(again.records[1].fields, CachedFields)
    assert again.records[1].problems[0].code == "yaml-syntax"
    with sqlite3.connect(db_path(root)) as db:
        assert [row[0] for row in db.execute("SELECT path FROM files")] == ["contacts/c-ivanov01.md"]
    checked_before = row_checked(root)
    schema = root / "schema.yaml"
    schema.write_text(schema.read_text(encoding="utf-8").replace("label: Full name", "label: ФИО"), encoding="utf-8")
    after = cached(root)
    assert after.records[0].fields["name"] == "Иванов Пётр Сергеевич"
    with sqlite3.connect(db_path(root)) as db:  # every row was read again under the new schema
        assert db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()[0] == schema_key(schema.read_bytes())
    assert row_checked(root) > checked_before


def test_a_new_funnel_version_invalidates(workspace, monkeypatch):
    import funnel.store.cache as cache

    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    age_all(root)
    cached(root)
    assert isinstance(cached(root).records[0].fields, CachedFields)
    before = row_checked(root)
    monkeypatch.setattr(cache, "__version__", "99.0")
    assert cached(root).records[0].fields["name"] == "Иванов Пётр Сергеевич"
    assert row_checked(root) > before  # read again by the new version, not taken from the old one's row


def row_checked(root) -> int:
    """When the one row of the cache was taken (every row is read again after the cache's key changed)."""
    with sqlite3.connect(db_path(root)) as db:
        (checked,), = db.execute("SELECT checked_ns FROM files").fetchall()
    return checked


def test_a_git_checkout_is_seen_and_git_status_shows_nothing_funnel_made(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    deal = root / "deals/d-aaaa0001.md"
    deal.write_text(deal.read_text(encoding="utf-8").replace("owner: ivanov", "owner: petrov"), encoding="utf-8")
    git(root, "commit", "-qam", "two")
    age_all(root)
    monkeypatch.chdir(root)
    assert "petrov" in run("show", "d-aaaa0001").stdout
    assert own_directory(root).parent.parent == root / ".git"
    assert db_path(root).is_file()
    git(root, "checkout", "-q", "HEAD~1")  # same size, maybe the same second
    assert cached(root).records[1].fields["owner"] == "ivanov"
    for args in (("board",), ("list", "deals"), ("report", "funnel"), ("check",),
                 ("set", "d-aaaa0001", "next_action=Позвонить"), ("show", "d-aaaa0001")):
        assert run(*args).exit_code in (0, 1), args
    assert git(root, "status", "--porcelain", "--ignored") == " M deals/d-aaaa0001.md\n"


def test_writes_update_their_own_row(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    age_all(root)
    monkeypatch.chdir(root)
    cached(root)
    assert run("set", "d-aaaa0001", "next_action=Позвонить").exit_code == 0
    data = (root / "deals/d-aaaa0001.md").read_bytes()
    with sqlite3.connect(db_path(root)) as db:
        blob, row = db.execute("SELECT blob, data FROM files WHERE path = 'deals/d-aaaa0001.md'").fetchone()
    assert blob == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git hash-object
    assert "Позвонить" in row
    assert run("show", "d-aaaa0001").stdout.count("Позвонить") == 1


def test_a_damaged_cache_is_rebuilt(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    age_all(root)
    cached(root)
    db_path(root).write_bytes(b"\x00garbage" * 100)
    assert cached(root).records[0].id == "c-ivanov01"
    assert isinstance(cached(root).records[0].fields, CachedFields)


# -- a hostile clone ---------------------------------------------------------------------------------------------

PAYLOAD_MARK = "pwned-by-pickle"


class _Payload:
    def __init__(self, mark):
        self.mark = mark

    def __reduce__(self):
        return (open, (self.mark, "w"))


def hostile_funnel_dir(root, victim):
    """What a repository could ship in .funnel/: links to a victim file, /dev/zero and a FIFO, and pickles
    that create a file when unpickled."""
    own = root / ".funnel"
    own.mkdir()
    payload = pickle.dumps(_Payload(str(root.parent / PAYLOAD_MARK)))
    for name in ("schema.cache", "hashes.cache"):
        (own / name).write_bytes(b"\0" * 32 + payload)
    (own / "records.cache").symlink_to(victim)
    (own / "lock").symlink_to(victim)
    (own / "zero").symlink_to("/dev/zero")
    os.mkfifo(own / "fifo")


def test_a_hostile_funnel_directory_in_a_clone_is_never_read_or_written(workspace, run, monkeypatch, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    hostile_funnel_dir(root, victim)
    before = sorted(os.listdir(root / ".funnel"))
    monkeypatch.chdir(root)
    for args in (("board",), ("report", "funnel"), ("list", "deals"), ("show", "d-aaaa0001"), ("check",),
                 ("contact", "add", "--set", "name=Петров", "--set", "phone=+7 912 000-00-00", "--set",
                  "source=website", "--set", "equipment_preference=domestic", "--set", "client_type=end_customer"),
                 ("set", "d-aaaa0001", "next_action=Позвонить"), ("board",)):
        result = run(*args)
        assert result.exit_code in (0, 1), (args, result.output)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (tmp_path / PAYLOAD_MARK).exists()
    assert sorted(os.listdir(root / ".funnel")) == before


@pytest.mark.parametrize("name", [DB_FILE, DB_FILE + "-wal", DB_FILE + "-journal", "lock"])
def test_links_fifos_and_devices_in_funnels_own_directory_are_replaced_not_followed(workspace, run, monkeypatch,
                                                                                    tmp_path, name):
    """A `.git/funnel/` unpacked from an archive (no clone carries one): a link is replaced, never followed."""
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    own = own_directory(root)
    for target in (victim, "/dev/zero", None):
        own.mkdir(parents=True, exist_ok=True)
        for leftover in own.iterdir():
            leftover.unlink()
        if target is None:
            os.mkfifo(own / name)
        else:
            (own / name).symlink_to(target)
        monkeypatch.chdir(root)
        assert run("board").exit_code == 0
        assert run("set", "d-aaaa0001", f"next_action=Позвонить {target}").exit_code == 0
        assert run("board").exit_code == 0
        assert victim.read_text(encoding="utf-8") == "precious"
        assert not (own / name).is_symlink()


def test_a_git_file_naming_no_git_directory_puts_nothing_there(workspace, run, monkeypatch, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    (root / ".git").write_text(f"gitdir: {elsewhere}\n", encoding="utf-8")
    monkeypatch.chdir(root)
    assert run("board").exit_code == 0
    assert list(elsewhere.iterdir()) == []


# -- two commands at once ----------------------------------------------------------------------------------------

def test_parallel_writes_and_reads_keep_the_cache_true(workspace, tmp_path):
    deals = {f"deals/d-par{n:05d}.md": full_deal(f"d-par{n:05d}", "lead") for n in range(6)}
    root = workspace({"contacts/c-ivanov01.md": CONTACT, **deals})
    age_all(root)
    cached(root)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    processes = []
    for n in range(6):
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "funnel", "set", f"d-par{n:05d}", f"next_action=Звонок {n}", "--root", str(root)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        processes.append(subprocess.Popen([sys.executable, "-m", "funnel", "board", "--root", str(root)],
                                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    fresh = {r.path: r.fields for r in load_workspace(root).records}
    for _ in range(2):
        for record in cached(root).records:
            assert dict(record.fields) == fresh[record.path]
    assert {fresh[f"deals/d-par{n:05d}.md"]["next_action"] for n in range(6)} == {f"Звонок {n}" for n in range(6)}


# -- attachment hashes -------------------------------------------------------------------------------------------

def test_attachment_hashes_are_cached_by_stat_and_a_changed_file_is_seen(workspace, run, monkeypatch):
    digest = hashlib.sha256(b"scan").hexdigest()
    docs = f"acceptance_docs:\n  - {{path: deals/d-docs0001/akt.pdf, sha256: {digest}}}\n"
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-docs0001.md": full_deal("d-docs0001", "won", extra=docs),
                      "deals/d-docs0001/akt.pdf": b"scan"})
    scan = root / "deals/d-docs0001/akt.pdf"
    age(scan)
    monkeypatch.chdir(root)
    assert run("check").exit_code == 0
    entries = HashCache(root).entries
    assert [entry[-1] for entry in entries.values()] == [digest]
    scan.write_bytes(b"SCAN")  # same size, new content
    result = run("check")
    assert result.exit_code == 1 and "[attachment-hash]" in result.stdout


def test_tests_never_write_the_real_user_cache(own_cache_home, workspace, run):
    """A workspace outside git keeps its cache in the user's cache directory: here, the test's own."""
    import os
    from pathlib import Path

    from funnel.store.owndir import own_directory, user_cache_home

    root = workspace({})
    assert user_cache_home() == own_cache_home
    assert Path(os.environ["HOME"]) == own_cache_home.parent
    assert run("board", "--root", str(root)).exit_code == 0
    assert own_directory(root).is_relative_to(own_cache_home)  # the temp workspace is not inside git
    assert own_directory(root).is_dir()  # the board's cache went there


# -- show ID reads the deal and its contact, not every record ---------------------------------------------------

def test_show_reads_fresh_values_and_still_sees_duplicate_ids(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead"),
                      "deals/d-bbbb0001.md": full_deal("d-bbbb0001", "lead")})
    age_all(root)
    monkeypatch.chdir(root)
    assert run("board").exit_code == 0  # every row cached
    deal = root / "deals/d-aaaa0001.md"
    deal.write_text(deal.read_text(encoding="utf-8").replace("owner: ivanov", "owner: petrov"), encoding="utf-8")
    shown = run("show", "d-aaaa")
    assert shown.exit_code == 0 and "petrov" in shown.stdout and "ООО «Водоканал-Сервис»" in shown.stdout
    (root / "deals/d-cccc0001.md").write_text(full_deal("d-aaaa0001", "lead"), encoding="utf-8")  # a copy
    assert run("board").exit_code == 0
    result = run("show", "d-aaaa0001")
    assert result.exit_code == 1 and "is used by 2 files" in result.output
    assert run("show", "d-").exit_code == 1  # ambiguous: several deals


def test_funnel_help_imports_the_cli_only():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "funnel", "--help"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    ours = {name for name in imported if name.startswith("funnel")}
    assert "funnel.cli" in ours
    assert not {name for name in ours if name.split(".")[1:2] in (["model"], ["store"], ["views"], ["writing"],
                                                                   ["frontmatter"], ["git"])}


def test_a_cache_made_by_another_format_is_remade(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    age_all(root)
    cached(root)
    with sqlite3.connect(db_path(root)) as db:
        db.execute("PRAGMA user_version = 1")
        db.execute("DROP TABLE files")
        db.execute("CREATE TABLE files (path TEXT)")
    assert cached(root).records[0].id == "c-ivanov01"
    assert isinstance(cached(root).records[0].fields, CachedFields)


def test_a_cache_whose_tables_differ_under_the_same_format_number_is_remade(workspace, run):
    """A FORMAT not bumped when the tables changed (it happened while this format was made): the cache's
    version also holds a checksum of the statements that make its tables, so such a cache is remade, not
    queried for a column it lacks (which made every command fall back to reading every file, for good)."""
    from funnel.model.schema import load_schema
    from funnel.store.cache import FORMAT
    from funnel.store.lookup import Lookup

    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    age_all(root)
    cached(root)
    with sqlite3.connect(db_path(root)) as db:
        db.execute(f"PRAGMA user_version = {FORMAT}")
        db.execute("DROP TABLE listing_times")
    assert run("show", "c-ivanov01", "--root", str(root)).exit_code == 0
    with Lookup(root, load_schema(root / "schema.yaml")) as lookup:  # answers from its index: no fallback
        assert lookup.paths_for_prefix("c-ivanov")


# -- deal summaries: what views read of a history, kept in the cache --------------------------------------------

def generated(tmp_path, deals=150):
    """A workspace from the benchmark's rich generator: every stage, won and lost deals, reopened ones."""
    generate, _ = benchmark_generators()
    root = tmp_path / "generated"
    generate(root, deals, None, seed=3, attachments=False)
    age_all(root)
    return root


def test_cached_summaries_are_what_the_timeline_rules_compute_from_each_record(tmp_path):
    from funnel.model.timeline import SUMMARY_ITEMS, Pipeline, Timeline, entered_current_stage, summarize
    from funnel.store.cache import summaries, summary_values

    root = generated(tmp_path)
    cached(root)
    workspace = cached(root)  # from the snapshot
    deals = workspace.deals
    assert deals and all(isinstance(deal.fields, CachedFields) for deal in deals)
    fresh = {record.path: record for record in load_workspace(root).deals}
    pipeline = Pipeline(workspace.schema)
    kept = summaries(deals)
    for deal, summary in zip(deals, kept):
        expected = summarize(fresh[deal.path], pipeline)
        assert {name: summary[name] for name in SUMMARY_ITEMS} == expected
        # and a Timeline reading the summary says what one reading the history says
        from_summary, from_history = Timeline(deal, pipeline, summary), Timeline(fresh[deal.path], pipeline)
        assert from_summary.runs == from_history.runs
        assert from_summary.reach == from_history.reach
        assert from_summary.closed_at == from_history.closed_at
        assert from_summary.lost_from == from_history.lost_from
        assert from_summary.reach_depth == from_history.reach_depth == len(from_history.reach[0])
        assert set(from_summary.optional_reached) == set(from_history.reach[1])
    entered = summary_values(deals, "entered", workspace.schema)
    assert [None if text is None else text for text in entered] == \
        [None if (day := entered_current_stage(fresh[deal.path])) is None else day.isoformat() for deal in deals]
    outcomes = {Timeline(deal, pipeline).outcome for deal in fresh.values()}
    assert {"lost", None} <= outcomes  # the data exercises closed and open deals


def whole_columns_snapshot(db, schema):
    """The reference for the snapshot: every row's values gathered into one list per column, each list written
    as JSON once (how funnel rebuilt it before it held only JSON text, chunk by chunk)."""
    from funnel.model.timeline import SUMMARY_ITEMS
    from funnel.store.cache import PATHS, SUMMARY, UNKNOWN

    db.execute("DELETE FROM columns")
    for kind_name, kind in (("contact", schema.contacts), ("deal", schema.deals)):
        rows = db.execute("SELECT path, data FROM files WHERE kind = ? ORDER BY path", (kind_name,)).fetchall()
        plains = [json.loads(data) for _, data in rows]
        paths = [path for path, _ in rows]
        db.executemany("UPDATE files SET snap = ? WHERE path = ?", list(enumerate(paths)))
        columns = {name: [plain["f"].get(name) for plain in plains] for name in kind.fields}
        stored = {PATHS: paths, UNKNOWN: [plain.get("u") for plain in plains],
                  **{name: column for name, column in columns.items() if any(v is not None for v in column)},
                  **{SUMMARY + name: [(plain.get("s") or {}).get(name) for plain in plains]
                     for name in (SUMMARY_ITEMS if kind_name == "deal" else ())}}
        db.executemany("INSERT INTO columns VALUES (?, ?, ?)",
                       [(kind_name, name, json.dumps(column, ensure_ascii=False, separators=(",", ":")))
                        for name, column in stored.items()])


def test_the_snapshot_rebuilt_chunk_by_chunk_is_byte_for_byte_the_whole_columns_one(tmp_path):
    """The rebuild holds each column as JSON text a chunk of rows at a time (100,000 deals' values as objects
    took 400 MB): whatever the chunk, the table it writes is the reference's, text for text — paths in order,
    `snap` numbers, columns of nulls only left out, unicode, escapes, unknown keys and summaries as they are."""
    from funnel.model.schema import load_schema
    from funnel.store.cache import PATHS, UNKNOWN, _rebuild_snapshot

    root = generated(tmp_path, deals=60)
    write_files(root, {
        "contacts/c-odd00001.md": '---\nid: c-odd00001\nname: "Ё \\"q\\" \\\\ \\t \\x01 \\u2028 😀"\n'
                                  'rating: 4.5\nextra: {вложено: [1, 2.5, true, null], "k\\"ey": x}\n---\n',
        "contacts/c-odd00002.md": "---\nid: c-odd00002\nname: 名前\ncompany:\n---\n"})
    age_all(root)
    cached(root)  # the first command reads every file and makes the snapshot
    schema = load_schema(root / "schema.yaml")

    def table(db):
        return (db.execute("SELECT kind, name, data FROM columns ORDER BY rowid").fetchall(),
                db.execute("SELECT path, snap FROM files ORDER BY path").fetchall())

    def rebuilt(db, rebuild, *args):
        db.execute("BEGIN")
        try:
            rebuild(db, schema, *args)
            return table(db)
        finally:
            db.execute("ROLLBACK")

    db = sqlite3.connect(db_path(root), isolation_level=None)
    try:
        made = table(db)
        assert rebuilt(db, whole_columns_snapshot) == made
        # rows written again since are stored after the others: the snapshot still follows the paths' order
        for path in sorted((root / "deals").iterdir())[:3] + [root / "contacts/c-odd00001.md"]:
            path.write_text(path.read_text(encoding="utf-8").replace("\n---\n", "\nnote: ещё\n---\n", 1),
                            encoding="utf-8")
            age(path)
        cached(root)
        assert db.execute("SELECT count(*) FROM files WHERE snap IS NULL").fetchone()[0] == 4
        expected = rebuilt(db, whole_columns_snapshot)
        assert expected != made
        for chunk_rows in (1, 7, 100_000):
            assert rebuilt(db, _rebuild_snapshot, chunk_rows) == expected
    finally:
        db.close()
    # the data exercises what the comparison is about
    columns = {(kind, name): json.loads(data) for kind, name, data in made[0]}
    assert len(columns["deal", PATHS]) == 60 and all(snap is not None for _, snap in made[1])
    assert {"notes", "imported_from"}.isdisjoint(name for kind, name in columns if kind == "contact")
    assert None in columns["contact", "company"] and None in columns["deal", "proposals"]
    assert {"rating": "4.5", "extra": {"вложено": ["1", "2.5", "true", None], 'k"ey': "x"}} in \
        columns["contact", UNKNOWN]
    assert "Ё \"q\" \\ \t \x01 \u2028 😀" in columns["contact", "name"]
    assert '\\u0001' in dict(((kind, name), data) for kind, name, data in made[0])["contact", "name"]


def test_views_say_the_same_from_cached_summaries_as_from_the_files(tmp_path, run):
    root = generated(tmp_path, deals=200)
    env = {"FUNNEL_TODAY": "2026-11-27", "COLUMNS": "120"}
    commands = [["board", "--all", "--format", "json"], ["list", "deals", "--stale", "--due", "--format", "json"],
                *[["report", name, "--format", "json"] for name in ("funnel", "losses", "velocity", "payments")],
                ["report", "funnel", "--since", "2026-06-01", "--format", "json"]]
    first = [run(*command, "--root", str(root), env=env).stdout for command in commands]  # the cache is made
    warm = [run(*command, "--root", str(root), env=env).stdout for command in commands]  # from the snapshot
    assert first == warm
    assert all(output.strip() for output in warm)


def test_a_changed_history_is_seen_by_the_board_at_once(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "needs"),
                      "deals/d-aaaa0002.md": full_deal("d-aaaa0002", "needs")})
    age_all(root)
    env = {"FUNNEL_TODAY": "2026-04-01"}
    run("board", "--root", str(root), "--format", "json", env=env)
    before = run("board", "--root", str(root), "--format", "json", env=env).stdout
    assert '"days_in_stage": 12' in before
    path = root / "deals/d-aaaa0002.md"
    stat = path.stat()
    # the same size, the same mtime: only the entered date of the last visit changes
    path.write_text(path.read_text(encoding="utf-8").replace("2026-03-20T10:00", "2026-03-25T10:00"),
                    encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    after = run("board", "--root", str(root), "--format", "json", env=env).stdout
    assert '"days_in_stage": 7' in after


def test_a_view_merges_snapshot_rows_edited_rows_invalid_files_and_links_in_path_order(workspace, tmp_path):
    files = {"contacts/c-ivanov01.md": CONTACT,
             **{f"deals/d-aaaa000{n}.md": full_deal(f"d-aaaa000{n}", "lead") for n in range(1, 7)}}
    root = workspace(files)
    age_all(root)
    cached(root)
    cached(root)  # the snapshot holds every file now
    (root / "deals/d-aaaa0002.md").write_text(full_deal("d-aaaa0002", "lead").replace("owner: ivanov", "owner: petrov"),
                                               encoding="utf-8")  # its row leaves the snapshot
    (root / "deals/d-aaaa0003.md").write_text("---\nid: [\n---\n", encoding="utf-8")  # invalid: no row
    (root / "deals/d-aaaa0004.md").unlink()  # still named by the snapshot's paths
    outside = tmp_path / "outside.md"
    outside.write_text(full_deal("d-aaaa0005", "lead"), encoding="utf-8")
    (root / "deals/d-aaaa0005.md").unlink()
    (root / "deals/d-aaaa0005.md").symlink_to(outside)  # a link where a snapshot row was: never read
    (root / "deals/d-aaaa0000.md").write_text(full_deal("d-aaaa0000", "lead"), encoding="utf-8")  # new, sorts first
    for _ in range(2):  # as the edits are seen, and once their rows are written
        view, fresh = cached(root), load_workspace(root)
        assert [(r.path, r.kind, r.id, r.broken) for r in view.records] == \
               [(r.path, r.kind, r.id, r.broken) for r in fresh.records]
        assert [dict(r.fields) for r in view.records if not r.broken] == \
               [r.fields for r in fresh.records if not r.broken]
        assert [r.problems[0].code for r in view.records if r.broken] == ["yaml-syntax", "link"]


def test_rows_changed_since_the_snapshot_join_its_store_even_with_a_field_no_snapshot_row_holds(workspace):
    files = {"contacts/c-ivanov01.md": CONTACT,
             **{f"deals/d-aaaa000{n}.md": full_deal(f"d-aaaa000{n}", "lead") for n in range(1, 5)}}
    root = workspace(files)
    age_all(root)
    cached(root)
    snapshot = cached(root)
    assert all(record.fields.get("next_action") is None for record in snapshot.records)  # no such column
    edited = root / "deals/d-aaaa0002.md"
    edited.write_text(full_deal("d-aaaa0002", "lead").replace("owner: ivanov", "owner: petrov\nnext_action: Позвонить"),
                      encoding="utf-8")
    (root / "deals/d-aaaa0009.md").write_text(full_deal("d-aaaa0009", "lead"), encoding="utf-8")  # a new file
    age_all(root)
    for _ in range(2):
        view, fresh = cached(root), load_workspace(root)
        stores = {record.fields._store for record in view.records if record.kind == "deal"}
        assert len(stores) == 1  # every deal from one store: the snapshot's rows, then the two changed since
        assert [(r.path, dict(r.fields), dict(r.unknown)) for r in view.records] == \
               [(r.path, r.fields, r.unknown) for r in fresh.records]
        assert view.records[2].fields["next_action"] == "Позвонить" and view.records[2].fields["owner"] == "petrov"


def test_fields_named_with_dots_brackets_quotes_or_cyrillic_are_read_from_the_cache(workspace, run):
    """A schema may name a field anything; the cache's SQL reads each by its whole name (cache.field_sql)."""
    from funnel.store.cache import remembered_values

    names = ["a.b", "x[0]", "ключ", 'q"t', "back\\slash", "two words"]
    schema = REFERENCE_SCHEMA.read_text(encoding="utf-8").replace(
        "deals:\n  fields:\n", "deals:\n  fields:\n" + "".join(
            f"    {json.dumps(name, ensure_ascii=False)}: string\n" for name in names), 1)
    extra = "".join(f"{json.dumps(name, ensure_ascii=False)}: value {index}\n" for index, name in enumerate(names))
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-aaaa0000.md": deal("d-aaaa0000", "lead", "title: x\ncontact: c-ivanov01\nowner: a\ncreated: 2026-03-14\n" + extra)},
                     schema=schema)
    checked = run("check", "--root", str(root))
    assert checked.exit_code == 0, checked.output + checked.stderr
    assert run("board", "--root", str(root)).exit_code == 0  # fills the cache
    for index, name in enumerate(names):
        assert remembered_values(root, "deal", name) == [f"value {index}"], name
