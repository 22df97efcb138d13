"""Measure `funnel import` against a cold `funnel check` of what it wrote (the issue's bar: at most 3×).

    python benchmarks/import_bench.py [--deals 10000] [--repeat 3]
    python benchmarks/import_bench.py --maven ../shared/data/maven-crm      # the whole Maven file, timed

Generates a rich workspace (generate_workspace.py), exports it with `list --format jsonl --body`, and per run
imports the contacts (untimed) and then the deals (timed) into an empty workspace with the same schema, then
times `check` with funnel's own directory emptied (cold). Each pair runs back to back, so both meet the same
load of a shared machine; the medians and the median of the per-run ratios are printed. With --maven, imports
accounts and the 8,800 opportunities as the README's recipe does and prints the time and `report funnel`.
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import clear_caches, run, subprocess_env  # noqa: E402
from generate_workspace import generate  # noqa: E402

FUNNEL = [sys.executable, "-m", "funnel"]
MAVEN_DEALS = ["--key", "opportunity", "--map", "deal_stage=stage", "--value", "product:GTXPro=gtx_pro",
               "--contact-key", "name", "--date-format", "%m/%d/%Y", "--history", "engaging=engage_date",
               "--history", "won=close_date", "--history", "lost=close_date", "--historical"]


def fresh(target: Path, schema: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    (target / "contacts").mkdir(parents=True)
    (target / "deals").mkdir()
    shutil.copyfile(schema, target / "schema.yaml")
    subprocess.run(["git", "init", "-q", str(target)], check=True)


def must(result: tuple[float, int, int, str], what: str) -> float:
    seconds, code, _, stderr = result
    if code:
        raise SystemExit(f"{what} failed ({code}):\n{stderr[-2000:]}")
    return seconds


def imports(deals: int, repeat: int, work: Path) -> None:
    source = work / "source"
    generate(source, deals, attachments=False)
    cache_home = work / "cache"
    cache_home.mkdir()
    env = subprocess_env(cache_home)
    exports = {}
    for kind in ("contacts", "deals"):
        exports[kind] = work / f"{kind}.jsonl"
        with open(exports[kind], "wb") as handle:
            subprocess.run(FUNNEL + ["list", kind, "--format", "jsonl", "--body", "--root", str(source)],
                           env=env, stdout=handle, check=True)
    target = work / "target"
    imported, checked = [], []
    for _ in range(repeat):
        fresh(target, source / "schema.yaml")
        must(run(FUNNEL + ["import", "contacts", str(exports["contacts"]), "--root", str(target)], env),
             "import contacts")
        imported.append(must(run(FUNNEL + ["import", "deals", str(exports["deals"]), "--root", str(target)], env),
                             "import deals"))
        clear_caches(target, cache_home)
        checked.append(must(run(FUNNEL + ["check", "--root", str(target)], env), "check"))
    ratios = [a / b for a, b in zip(imported, checked)]
    print(f"{deals} deals, {repeat} runs (seconds, each pair back to back)")
    print(f"  import deals   median {statistics.median(imported):6.2f}  runs {', '.join(f'{s:.2f}' for s in imported)}")
    print(f"  check (cold)   median {statistics.median(checked):6.2f}  runs {', '.join(f'{s:.2f}' for s in checked)}")
    print(f"  import / check median of ratios {statistics.median(ratios):.2f}  (target <= 3)")


def maven(data: Path, work: Path) -> None:
    target = work / "maven"
    fresh(target, HERE.parent / "examples" / "maven" / "schema.yaml")
    cache_home = work / "cache-maven"
    cache_home.mkdir()
    env = subprocess_env(cache_home)
    accounts = must(run(FUNNEL + ["import", "contacts", str(data / "accounts.csv"), "--key", "name",
                                  "--root", str(target)], env), "import accounts")
    deals = must(run(FUNNEL + ["import", "deals", str(data / "sales_pipeline.csv"), *MAVEN_DEALS,
                               "--root", str(target)], env), "import deals")
    again = must(run(FUNNEL + ["import", "deals", str(data / "sales_pipeline.csv"), *MAVEN_DEALS,
                               "--root", str(target)], env), "import deals again")
    clear_caches(target, cache_home)
    checked = must(run(FUNNEL + ["check", "--root", str(target)], env), "check")
    print(f"Maven: accounts {accounts:.2f} s, 8,800 opportunities {deals:.2f} s, the same again (0 created) "
          f"{again:.2f} s, cold check {checked:.2f} s")
    env.pop("FUNNEL_TODAY")
    subprocess.run(FUNNEL + ["report", "funnel", "--root", str(target)], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--maven", type=Path, help="the folder holding accounts.csv and sales_pipeline.csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="funnel-import-bench-") as work:
        if args.maven:
            maven(args.maven, Path(work))
        else:
            imports(args.deals, args.repeat, Path(work))


if __name__ == "__main__":
    main()
