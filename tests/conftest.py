"""Shared helpers: real workspaces in temp directories, the real CLI through click's CliRunner."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnel.cli import main

REPO = Path(__file__).resolve().parent.parent
REFERENCE_SCHEMA = REPO / "schema.yaml"

CONTACT = """\
---
id: c-ivanov01
name: Иванов Пётр Сергеевич
company: ООО «Водоканал-Сервис»
phone: +7 (912) 345-67-89
email: ivanov@vodokanal.ru
source: website
equipment_preference: domestic
client_type: end_customer
---
"""

# A deal that meets every gate up to `won`; tests cut it down to the stage they need.
FULL_DEAL_FIELDS = """\
title: Насосная станция, ЖК «Северный»
contact: c-ivanov01
owner: ivanov
created: 2026-03-14
amount: 1250000
categories: [small, standard]
needs: |
  Трёхнасосная станция повышения давления.
finance_check: approved
legal_check: passed
debt_check: clear
proposals:
  - {option: economy, equipment: Wilo COR-3, price: 890000}
  - {option: standard, equipment: Grundfos Hydro MPC-E, price: 1250000}
  - {option: premium, equipment: KSB Hya-Solo, price: 1600000}
equipment: Grundfos Hydro MPC-E
install_address: г. Казань, ул. Баумана, д. 12
contract_type: standard
contract_signed_on: 2026-04-02
prepayment_invoice: СЧ-2026-041
prepayment_amount: 625000
prepayment_paid_on: 2026-04-10
commissioned_on: 2026-05-20
accepted_on: 2026-05-25
postpayment_amount: 625000
postpayment_paid_on: 2026-06-01
"""


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if content.startswith("\n") else content, encoding="utf-8",
                            newline="")


def benchmark_generators():
    """(generate, generate_plain): the benchmark's two workspace generators (rich, and the plainer independent
    one), imported from benchmarks/ without leaving it on sys.path."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate_workspace import generate
        from plain_workspace import generate_plain
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return generate, generate_plain


def age_all(root: Path, seconds: int = 10) -> None:
    """Pretend every record file was written `seconds` ago (outside the cache's racy window)."""
    moment = time.time() - seconds
    for folder in ("contacts", "deals"):
        for path in (root / folder).glob("*.md"):
            os.utime(path, (moment, moment))


@pytest.fixture(autouse=True)
def own_cache_home(tmp_path_factory, monkeypatch):
    """Tests never write the real user's cache directory (funnel's own directory outside git): XDG_CACHE_HOME
    and HOME (for ~/.cache) point at a fresh temp folder per test, for this process and every funnel it
    starts. A HOME of its own hides ~/.gitconfig, so git gets its identity from the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for variable, value in (("GIT_AUTHOR_NAME", "Funnel Tests"), ("GIT_COMMITTER_NAME", "Funnel Tests"),
                            ("GIT_AUTHOR_EMAIL", "tests@funnel.invalid"),
                            ("GIT_COMMITTER_EMAIL", "tests@funnel.invalid")):
        if variable not in os.environ:
            monkeypatch.setenv(variable, value)
    return home / ".cache"


@pytest.fixture
def workspace(tmp_path):
    """A function making a workspace with the reference schema (or another) and the given files."""

    def make(files: dict[str, str | bytes] | None = None, schema: str | Path | None = None) -> Path:
        root = tmp_path / "ws"
        (root / "contacts").mkdir(parents=True, exist_ok=True)
        (root / "deals").mkdir(exist_ok=True)
        if schema is None:
            shutil.copy(REFERENCE_SCHEMA, root / "schema.yaml")
        elif isinstance(schema, Path):
            shutil.copy(schema, root / "schema.yaml")
        else:
            (root / "schema.yaml").write_text(schema, encoding="utf-8")
        write_files(root, files or {})
        return root

    return make


@pytest.fixture
def run():
    """Invoke the CLI as a user would; returns click's Result (exit_code, stdout, stderr)."""

    def invoke(*args: str, env: dict | None = None, input: str | bytes | None = None):
        runner = CliRunner()
        # a terminal 80 columns wide unless a test says otherwise, wherever the tests run
        return runner.invoke(main, list(args), env={"COLUMNS": "80", **(env or {})}, input=input,
                             catch_exceptions=False)

    return invoke


def deal(deal_id: str, stage: str, fields: str = "", history: str | None = None, body: str = "") -> str:
    """A deal file: id, stage, the given field lines, and a history reaching `stage`."""
    if history is None:
        history = f"  - {{stage: lead, at: 2026-03-14T10:02:00+03:00}}\n  - {{stage: {stage}, at: 2026-03-20T10:00:00+03:00}}\n"
        if stage == "lead":
            history = "  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n"
    return f"---\nid: {deal_id}\nstage: {stage}\n{fields}history:\n{history}---\n{body}"


def full_deal(deal_id: str, stage: str, drop: tuple[str, ...] = (), extra: str = "", **kwargs) -> str:
    """A deal at `stage` holding every field of FULL_DEAL_FIELDS except the top-level keys in `drop`."""
    kept, skipping = [], False
    for line in FULL_DEAL_FIELDS.splitlines(keepends=True):
        if not line.startswith(" "):
            skipping = line.split(":", 1)[0] in drop
        if not skipping:
            kept.append(line)
    return deal(deal_id, stage, "".join(kept) + extra, **kwargs)
