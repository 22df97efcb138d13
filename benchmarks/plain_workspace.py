"""A plainer workspace than generate_workspace.py's, written independently of it: few fields, short histories.

    python benchmarks/plain_workspace.py DIR --deals 10000 [--contacts 3000] [--seed 0]

Richer records (proposals, long texts, many dates) make the naive parser slower per file than funnel's cache,
which flatters the ratios; this shape is what a team that keeps little per deal would have. Every deal is in
one of the first three stages with what their gates need, so the workspace checks clean. Deterministic for a
seed. Importable: `generate_plain(root, deals, contacts=None, seed=0)`.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

SCHEMA = Path(__file__).resolve().parent.parent / "schema.yaml"
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
OWNERS = ("ivanov", "petrova", "sidorov", "kuznetsova")
SOURCES = ("website", "referral", "exhibition", "advertising", "cold_call", "other")
CATEGORIES = ("ultra_small", "small", "standard", "large")
STAGES = ("lead", "needs", "approval")
NAMES = ("Иванов Пётр", "Смирнова Анна", "Кузнецов Олег", "Попова Мария", "Соколов Илья", "Лебедева Ольга")
COMPANIES = ("ООО «Вектор»", "АО «Гидросистемы»", "ИП Орлов", "ООО «Теплоресурс»", "", "")


def _id(rng: random.Random, prefix: str, used: set[str]) -> str:
    while True:
        candidate = prefix + "".join(rng.choice(ALPHABET) for _ in range(8))
        if candidate not in used:
            used.add(candidate)
            return candidate


def _contact(rng: random.Random, used: set[str]) -> tuple[str, str]:
    contact_id = _id(rng, "c-", used)
    company = rng.choice(COMPANIES)
    lines = ["---", f"id: {contact_id}", f"name: {rng.choice(NAMES)}"]
    if company:
        lines.append(f"company: {company}")
    lines += [f"phone: +7 9{rng.randrange(10, 99)} {rng.randrange(100, 999)}-{rng.randrange(10, 99)}-"
              f"{rng.randrange(10, 99)}", f"source: {rng.choice(SOURCES)}",
              "equipment_preference: no_preference", "client_type: end_customer", "---", ""]
    return contact_id, "\n".join(lines)


def _deal(rng: random.Random, used: set[str], contacts: list[str]) -> tuple[str, str]:
    deal_id = _id(rng, "d-", used)
    stage = rng.choice(STAGES)
    created = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
    lines = ["---", f"id: {deal_id}", f"title: Насосная станция №{rng.randrange(1, 999)}",
             f"contact: {rng.choice(contacts)}", f"stage: {stage}", f"owner: {rng.choice(OWNERS)}",
             f"created: {created.isoformat()}", f"amount: {rng.randrange(100, 5000) * 1000}"]
    if stage != "lead":
        lines += ["needs: Замена насосов", f"categories: [{rng.choice(CATEGORIES)}]"]
    lines.append("history:")
    day = created
    for reached in STAGES[:STAGES.index(stage) + 1]:
        lines.append(f"  - {{stage: {reached}, at: '{day.isoformat()}T10:00:00+03:00'}}")
        day += timedelta(days=rng.randrange(1, 5))
    lines += ["---", "Позвонить после праздников." if rng.random() < 0.3 else "", ""]
    return deal_id, "\n".join(lines)


def generate_plain(root: Path, deals: int, contacts: int | None = None, seed: int = 0) -> None:
    root = Path(root)
    contacts = max(1, round(deals * 0.3)) if contacts is None else contacts
    rng = random.Random(seed)
    used: set[str] = set()
    (root / "contacts").mkdir(parents=True, exist_ok=True)
    (root / "deals").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SCHEMA, root / "schema.yaml")
    contact_ids = []
    for _ in range(contacts):
        contact_id, text = _contact(rng, used)
        contact_ids.append(contact_id)
        (root / "contacts" / f"{contact_id}.md").write_bytes(text.encode())
    for _ in range(deals):
        deal_id, text = _deal(rng, used, contact_ids)
        (root / "deals" / f"{deal_id}.md").write_bytes(text.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--deals", type=int, required=True)
    parser.add_argument("--contacts", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    generate_plain(args.root, args.deals, args.contacts, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
