"""The record cache is never stale: changed, added and removed files are always seen."""

from __future__ import annotations

import os
import time

from conftest import CONTACT, full_deal
from funnel.store.cache import CACHE_FILE, CachedFields
from funnel.store.workspace import load_workspace


def age(path, seconds=10):
    """Pretend the file was written `seconds` ago (outside the racy window)."""
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


def cached(root):
    return load_workspace(root, cached=True)


def test_cached_records_equal_fresh_ones(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "won")})
    for path in (root / "contacts").iterdir():
        age(path)
    for path in (root / "deals").glob("*.md"):
        age(path)
    first = cached(root)
    assert (root / CACHE_FILE).exists()
    second = cached(root)
    assert all(isinstance(record.fields, CachedFields) for record in second.records)
    fresh = load_workspace(root)
    for from_cache, from_file in zip(second.records, fresh.records):
        assert dict(from_cache.fields) == from_file.fields
        assert from_cache.path == from_file.path and from_cache.kind == from_file.kind
    assert [dict(r.fields) for r in first.records] == [r.fields for r in fresh.records]


def test_changed_added_and_removed_files_are_seen(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    deal = root / "deals/d-aaaa0001.md"
    age(deal)
    age(root / "contacts/c-ivanov01.md")
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


def test_invalid_files_are_never_cached_and_a_schema_change_invalidates(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-bad00001.md": "---\nid: [\n---\n"})
    for path in list((root / "contacts").iterdir()) + list((root / "deals").iterdir()):
        age(path)
    cached(root)
    again = cached(root)
    assert isinstance(again.records[0].fields, CachedFields)
    assert not isinstance(again.records[1].fields, CachedFields)
    assert again.records[1].problems[0].code == "yaml-syntax"
    schema = root / "schema.yaml"
    schema.write_text(schema.read_text(encoding="utf-8").replace("label: Full name", "label: ФИО"), encoding="utf-8")
    after = cached(root)
    assert not isinstance(after.records[0].fields, CachedFields)


def test_a_corrupt_cache_is_ignored(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    (root / ".funnel").mkdir()
    (root / CACHE_FILE).write_bytes(b"\x00garbage")
    assert cached(root).records[0].id == "c-ivanov01"


def test_a_cache_written_by_someone_else_is_never_decoded(workspace):
    """A repository could ship a crafted .funnel/: only files carrying this user's token are read back."""
    from funnel.store import private

    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    age(root / "contacts/c-ivanov01.md")
    cached(root)
    assert isinstance(cached(root).records[0].fields, CachedFields)
    data = (root / CACHE_FILE).read_bytes()
    assert data.startswith(private.token())
    (root / CACHE_FILE).write_bytes(b"x" * private.TOKEN_BYTES + data[private.TOKEN_BYTES:])
    assert not isinstance(cached(root).records[0].fields, CachedFields)


def test_a_field_name_shared_by_contacts_and_deals_keeps_each_type(workspace):
    from decimal import Decimal

    from conftest import REFERENCE_SCHEMA

    schema = REFERENCE_SCHEMA.read_text(encoding="utf-8").replace(
        "    notes: {type: text, label: Notes}\n", "    notes: {type: text, label: Notes}\n    amount: {type: integer}\n")
    root = workspace({"contacts/c-ivanov01.md": CONTACT + "", "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "won")},
                     schema=schema)
    (root / "contacts/c-ivanov01.md").write_text(CONTACT.replace("---\n", "amount: 3\n---\n", 2).replace(
        "amount: 3\n---\nid", "---\nid"), encoding="utf-8")
    for path in list((root / "contacts").iterdir()) + list((root / "deals").glob("*.md")):
        age(path)
    cached(root)
    again = cached(root)
    assert isinstance(again.records[1].fields, CachedFields)
    assert again.records[1].fields["amount"] == Decimal("1250000")
    assert again.records[0].fields["amount"] == 3


def test_attachment_hashes_are_cached_by_stat_and_a_changed_file_is_seen(workspace, run, monkeypatch):
    import hashlib

    from funnel.store.cache import HASH_CACHE_FILE, HashCache

    digest = hashlib.sha256(b"scan").hexdigest()
    docs = f"acceptance_docs:\n  - {{path: deals/d-docs0001/akt.pdf, sha256: {digest}}}\n"
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-docs0001.md": full_deal("d-docs0001", "won", extra=docs),
                      "deals/d-docs0001/akt.pdf": b"scan"})
    scan = root / "deals/d-docs0001/akt.pdf"
    age(scan)
    monkeypatch.chdir(root)
    assert run("check").exit_code == 0
    assert (root / HASH_CACHE_FILE).exists()
    assert HashCache(root).entries[str(scan.resolve())][1] == digest
    scan.write_bytes(b"SCAN")  # same size, new content
    result = run("check")
    assert result.exit_code == 1 and "[attachment-hash]" in result.stdout
