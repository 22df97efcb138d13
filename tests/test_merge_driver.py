"""The merge driver on real repositories: two branches, `git merge`, the driver git runs itself."""

from __future__ import annotations

import pytest

from conftest import CONTACT, full_deal
from gitrepo import commit_all, configure_merge_driver, git, isolated_git, make_repo  # noqa: F401

DEAL = "deals/d-merge001.md"


def edit(root, relative, old, new, count=1):
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, count), encoding="utf-8", newline="")


@pytest.fixture
def repo(workspace):
    """A workspace at `proposal` with a hand comment, committed on main, the driver configured."""
    deal = full_deal("d-merge001", "proposal", drop=("equipment", "install_address", "contract_type",
                                                     "contract_signed_on", "prepayment_invoice",
                                                     "prepayment_amount", "prepayment_paid_on", "commissioned_on",
                                                     "accepted_on", "postpayment_amount", "postpayment_paid_on"),
                     )
    deal = deal.replace("owner: ivanov\n", "owner: ivanov  # передан от Петрова в марте\n")
    deal = deal.replace("amount: 1250000\n", "amount: 1250000\nnext_action: позвонить в отдел снабжения\n")
    root = workspace({"contacts/c-ivanov01.md": CONTACT, DEAL: deal})
    make_repo(root)
    configure_merge_driver(root)
    return root


def branch(root, name, *edits, start="main"):
    git(root, "checkout", "-q", "-b", name, start)
    for old, new in edits:
        edit(root, DEAL, old, new)
    commit_all(root, name)
    git(root, "checkout", "-q", "main")


def merge(root, *branches):
    return git(root, "merge", "--no-edit", *branches, check=False)


def test_without_the_driver_adjacent_fields_conflict_and_with_it_they_merge(repo, run):
    branch(repo, "next", ("next_action: позвонить в отдел снабжения\n",
                          "next_action: отправить КП до пятницы\n"))
    branch(repo, "amount", ("amount: 1250000\n", "amount: 1310000\n"))
    git(repo, "checkout", "-q", "-b", "plain", "main")
    git(repo, "config", "--unset", "merge.funnel.driver")
    git(repo, "merge", "-q", "next")
    assert merge(repo, "amount").returncode != 0  # git's own text merge: the two lines touch
    git(repo, "merge", "--abort")
    git(repo, "checkout", "-q", "main")
    configure_merge_driver(repo)
    git(repo, "merge", "-q", "next")
    done = merge(repo, "amount")
    assert done.returncode == 0, done.stdout + done.stderr
    text = (repo / DEAL).read_text(encoding="utf-8")
    assert "next_action: отправить КП до пятницы\n" in text and "amount: 1310000\n" in text
    assert run("check", "--root", str(repo)).exit_code == 0


def test_two_branches_move_and_edit_one_deal(repo, run):
    # one branch moves the deal to decision (stage + history), the other edits fields next to it
    branch(repo, "move", ("stage: proposal\n", "stage: decision\n"),
           ("  - {stage: proposal, at: 2026-03-20T10:00:00+03:00}\n",
            "  - {stage: proposal, at: 2026-03-20T10:00:00+03:00}\n"
            "  - {stage: decision, at: 2026-03-25T12:00:00+03:00}\n"))
    branch(repo, "edit", ("amount: 1250000\n", "amount: 1300000.50\n"),
           ("next_action: позвонить в отдел снабжения\n", "next_action: согласовать скидку\n"),
           ("title: Насосная", "title: Насосная станция"))
    git(repo, "merge", "-q", "move")
    done = merge(repo, "edit")
    assert done.returncode == 0, done.stdout + done.stderr
    text = (repo / DEAL).read_text(encoding="utf-8")
    for line in ("stage: decision\n", "  - {stage: decision, at: 2026-03-25T12:00:00+03:00}\n",
                 "amount: 1300000.50\n", "next_action: согласовать скидку\n", "title: Насосная станция станция"):
        assert line in text
    assert "owner: ivanov  # передан от Петрова в марте\n" in text  # the hand comment survives
    result = run("check", "--root", str(repo))
    assert result.exit_code == 0, result.stdout + result.stderr


def test_the_same_field_two_ways_conflicts_on_that_field_only(repo, run):
    branch(repo, "ours", ("amount: 1250000\n", "amount: 1400000\n"),
           ("next_action: позвонить в отдел снабжения\n", "next_action: ждать ответа\n"))
    branch(repo, "theirs", ("amount: 1250000\n", "amount: 1350000\n"), ("owner: ivanov", "owner: petrov"))
    git(repo, "merge", "-q", "ours")
    done = merge(repo, "theirs")
    assert done.returncode != 0 and "CONFLICT" in done.stdout
    text = (repo / DEAL).read_text(encoding="utf-8")
    assert "<<<<<<< ours\namount: 1400000\n=======\namount: 1350000\n>>>>>>> theirs\n" in text
    assert text.count("<<<<<<<") == 1
    assert "next_action: ждать ответа\n" in text and "owner: petrov  # передан от Петрова в марте\n" in text
    result = run("check", "--root", str(repo))
    assert result.exit_code == 1 and "[conflict-marker]" in result.stdout


def test_moved_to_two_different_stages_is_a_conflict_on_stage(repo):
    decision = "  - {stage: decision, at: 2026-03-25T12:00:00+03:00}\n"
    lost = "  - {stage: lost, at: 2026-03-26T09:00:00+03:00}\n"
    last = "  - {stage: proposal, at: 2026-03-20T10:00:00+03:00}\n"
    branch(repo, "decide", ("stage: proposal\n", "stage: decision\n"), (last, last + decision))
    branch(repo, "lose", ("stage: proposal\n", "stage: lost\n"), (last, last + lost))
    git(repo, "merge", "-q", "decide")
    assert merge(repo, "lose").returncode != 0
    text = (repo / DEAL).read_text(encoding="utf-8")
    assert "<<<<<<< ours\nstage: decision\n=======\nstage: lost\n>>>>>>> theirs\n" in text
    assert last + decision + lost in text  # history: both additions, in time order, no markers
    assert text.count("<<<<<<<") == 1


def test_history_keeps_deletions_and_identical_entries_once(repo):
    first = "  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n"
    last = "  - {stage: proposal, at: 2026-03-20T10:00:00+03:00}\n"
    later = "  - {stage: proposal, at: 2026-03-29T10:00:00+03:00}\n"
    early = "  - {stage: proposal, at: 2026-03-21T10:00:00+03:00}\n"
    branch(repo, "a", (first, ""), (last, last + later))  # deletes the first entry, adds a later one
    branch(repo, "b", (last, last + early + later))  # adds an earlier one and the same later one
    git(repo, "merge", "-q", "a")
    assert merge(repo, "b").returncode == 0
    text = (repo / DEAL).read_text(encoding="utf-8")
    assert first not in text
    assert "history:\n" + last + early + later + "---" in text


def test_lists_of_objects_merge_by_item(repo):
    economy = "  - {option: economy, equipment: Wilo COR-3, price: 890000}\n"
    premium = "  - {option: premium, equipment: KSB Hya-Solo, price: 1600000}\n"
    branch(repo, "cheaper", (economy, economy.replace("890000", "850000")))
    branch(repo, "more", (premium, premium + "  - {option: budget, equipment: Калининец, price: 600000}\n"))
    git(repo, "merge", "-q", "cheaper")
    assert merge(repo, "more").returncode == 0
    text = (repo / DEAL).read_text(encoding="utf-8")
    assert "price: 850000}" in text and "option: budget" in text and "890000" not in text


def test_the_same_item_edited_two_ways_conflicts(repo):
    economy = "  - {option: economy, equipment: Wilo COR-3, price: 890000}\n"
    branch(repo, "a", (economy, economy.replace("890000", "850000")))
    branch(repo, "b", (economy, economy.replace("890000", "870000")))
    git(repo, "merge", "-q", "a")
    assert merge(repo, "b").returncode != 0
    text = (repo / DEAL).read_text(encoding="utf-8")
    assert text.index("<<<<<<< ours\nproposals:") < text.index(">>>>>>> theirs")


def test_a_new_key_on_each_side_goes_in_schema_order(repo):
    branch(repo, "a", ("next_action: позвонить в отдел снабжения\n",
                       "next_action: позвонить в отдел снабжения\nnext_action_due: 2026-04-01\n"))
    branch(repo, "b", ("amount: 1250000\n", "amount: 1250000\nequipment: Grundfos Hydro MPC-E\n"))
    git(repo, "merge", "-q", "a")
    assert merge(repo, "b").returncode == 0
    text = (repo / DEAL).read_text(encoding="utf-8")
    keys = [line.split(":")[0] for line in text.split("---")[1].splitlines() if line and not line.startswith(" ")]
    # schema order: equipment after proposals; next_action_due right after next_action
    assert keys.index("proposals") < keys.index("equipment")
    assert keys.index("next_action_due") == keys.index("next_action") + 1


def test_bodies_merge_textually_and_conflict_there_only(repo):
    edit(repo, DEAL, "---\n", "---\nПервая строка.\n\nВторая строка.\n", count=0)
    path = repo / DEAL
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "Первая строка.\n\nВторая строка.\n", encoding="utf-8")
    commit_all(repo, "body")
    git(repo, "checkout", "-q", "-b", "a")
    edit(repo, DEAL, "Первая строка.", "Первая строка, исправлена.")
    commit_all(repo, "a")
    git(repo, "checkout", "-q", "-b", "b", "main")
    edit(repo, DEAL, "Вторая строка.", "Вторая строка, дополнена.")
    edit(repo, DEAL, "amount: 1250000\n", "amount: 1000000\n")
    commit_all(repo, "b")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "a")
    assert merge(repo, "b").returncode == 0
    text = path.read_text(encoding="utf-8")
    assert "Первая строка, исправлена.\n\nВторая строка, дополнена.\n" in text and "amount: 1000000\n" in text


def test_a_file_added_on_both_sides_merges_against_empty_front_matter(repo):
    contact = CONTACT.replace("c-ivanov01", "c-both0001")
    git(repo, "checkout", "-q", "-b", "a")
    (repo / "contacts/c-both0001.md").write_text(contact.replace("source: website\n", ""), encoding="utf-8")
    commit_all(repo, "a")
    git(repo, "checkout", "-q", "-b", "b", "main")
    (repo / "contacts/c-both0001.md").write_text(contact.replace("email: ivanov@vodokanal.ru\n", ""),
                                                 encoding="utf-8")
    commit_all(repo, "b")
    assert merge(repo, "a").returncode == 0
    text = (repo / "contacts/c-both0001.md").read_text(encoding="utf-8")
    assert "email: ivanov@vodokanal.ru\n" in text and "source: website\n" in text


def test_line_endings_and_bom_follow_our_side(repo):
    path = repo / DEAL
    data = path.read_bytes()
    git(repo, "checkout", "-q", "-b", "windows")
    path.write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n").replace(b"amount: 1250000", b"amount: 1"))
    commit_all(repo, "windows")
    git(repo, "checkout", "-q", "-b", "unix", "main")
    path.write_bytes(data.replace("next_action: позвонить".encode(), "next_action: написать".encode()))
    commit_all(repo, "unix")
    git(repo, "checkout", "-q", "windows")
    assert merge(repo, "unix").returncode == 0
    merged = path.read_bytes()
    assert merged.startswith(b"\xef\xbb\xbf---\r\n") and b"\n" not in merged.replace(b"\r\n", b"")
    assert "next_action: написать".encode() in merged and b"amount: 1\r\n" in merged


def test_a_side_that_does_not_parse_merges_as_plain_text(repo):
    branch(repo, "broken", ("stage: proposal\n", "stage: [proposal\n"))
    branch(repo, "fine", ("amount: 1250000\n", "amount: 1\n"))
    git(repo, "merge", "-q", "broken")
    done = merge(repo, "fine")
    assert done.returncode == 0, done.stderr  # the lines are far apart: git's own text merge succeeds
    text = (repo / DEAL).read_text(encoding="utf-8")
    assert "stage: [proposal\n" in text and "amount: 1\n" in text
    assert "Traceback" not in done.stdout + done.stderr


def test_the_driver_never_loses_a_side_it_cannot_read(tmp_path, run):
    ours, theirs, base = tmp_path / "ours", tmp_path / "theirs", tmp_path / "base"
    base.write_bytes(b"---\nid: x\n---\nbody\n")
    ours.write_bytes(b"\xff\xfe not text\n")
    theirs.write_bytes(b"---\nid: y\n---\nbody\n")
    result = run("merge-driver", str(base), str(ours), str(theirs), "deals/x.md")
    assert result.exit_code == 1  # a textual conflict, both sides in the file
    merged = ours.read_bytes()
    assert b"\xff\xfe not text" in merged and b"id: y" in merged
