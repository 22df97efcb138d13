"""Measure funnel against the naive floor: parsing every record file with python-frontmatter.

    python benchmarks/bench.py [--deals 10000] [--contacts 3000] [--repeat 3] [--scale]

Generates a workspace in a temporary directory (no attachments, as the speed bar says), then runs each
command as a fresh subprocess --repeat times and keeps the best time:
  naive                 a python process that frontmatter.load()s every contacts/*.md and deals/*.md
  check (cold)          `funnel check`, with .funnel/ deleted before every run          target <= 1.3 x naive
  board, list, report   on the unchanged workspace, after one untimed warm-up run        target <= 0.15 x naive
A command that does not exist yet (usage error, exit 2) is skipped with a note. `--scale` repeats the run at
2,500, 5,000 and 10,000 deals and prints the cost per 1,000 records, so growth can be seen to be linear.
Timings are printed, never asserted: they belong to this script, not to the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate_workspace import generate  # noqa: E402

NAIVE = """
import pathlib, sys
import frontmatter
root = pathlib.Path(sys.argv[1])
for kind in ("contacts", "deals"):
    for path in sorted((root / kind).glob("*.md")):
        frontmatter.load(path)
"""

# (label, funnel arguments, cold, target ratio to naive)
COMMANDS = [
    ("funnel check (cold)", ["check"], True, 1.3),
    ("funnel board", ["board"], False, 0.15),
    ("funnel list deals", ["list", "deals"], False, 0.15),
    ("funnel report funnel", ["report", "funnel"], False, 0.15),
]


@dataclass
class Timing:
    label: str
    runs: list[float] = field(default_factory=list)
    target: float | None = None
    exit_code: int = 0
    note: str = ""

    @property
    def best(self) -> float:
        return min(self.runs)


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    # the repository's funnel package, whether or not it is installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("FUNNEL_TODAY", "2026-11-27")
    return env


def funnel_launcher(env: dict[str, str]) -> list[str] | None:
    """`python -m funnel` if it runs, else the `funnel` console script, else None."""
    probe = subprocess.run([sys.executable, "-m", "funnel", "--help"], env=env, capture_output=True, text=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "funnel"]
    script = shutil.which("funnel")
    if script and subprocess.run([script, "--help"], env=env, capture_output=True).returncode == 0:
        return [script]
    return None


def timed_run(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - start, done.returncode, done.stderr


def usage_error(code: int, stderr: str) -> bool:
    return code == 2 or "No such command" in stderr


def measure(root: Path, repeat: int) -> tuple[list[Timing], int]:
    env = subprocess_env()
    files = sum(1 for kind in ("contacts", "deals") for _ in (root / kind).glob("*.md"))
    naive = Timing("naive frontmatter.load", target=None)
    for _ in range(repeat):
        seconds, code, stderr = timed_run([sys.executable, "-c", NAIVE, str(root)], env)
        if code:
            raise SystemExit(f"the naive script failed:\n{stderr}")
        naive.runs.append(seconds)
    timings = [naive]
    launcher = funnel_launcher(env)
    for label, args, cold, target in COMMANDS:
        timing = Timing(label, target=target)
        timings.append(timing)
        if launcher is None:
            timing.note = "skipped: neither `python -m funnel` nor a `funnel` script runs"
            continue
        argv = launcher + args + ["--root", str(root)]
        if not cold:  # warm the cache, untimed
            _, code, stderr = timed_run(argv, env)
            if usage_error(code, stderr):
                timing.note = f"skipped: usage error (exit {code}): {last_line(stderr)}"
                continue
        for _ in range(repeat):
            if cold:
                shutil.rmtree(root / ".funnel", ignore_errors=True)
            seconds, code, stderr = timed_run(argv, env)
            if usage_error(code, stderr):
                timing.note = f"skipped: usage error (exit {code}): {last_line(stderr)}"
                break
            timing.runs.append(seconds)
            timing.exit_code = code
        if timing.runs and timing.exit_code not in (0, 1):
            timing.note = f"exit {timing.exit_code}: {last_line(stderr)}"
        elif timing.runs and timing.exit_code == 1:
            timing.note = "problems reported: the generated workspace should be valid"
    return timings, files


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:100] if lines else ""


def print_table(timings: list[Timing], files: int) -> None:
    naive = timings[0].best
    print(f"{'command':<24} {'best s':>8} {'ratio':>7} {'target':>7} {'meets':>6} {'s/1000':>8} {'exit':>4}  runs")
    for timing in timings:
        if not timing.runs:
            print(f"{timing.label:<24} {'-':>8} {'-':>7} {fmt_target(timing):>7} {'-':>6} {'-':>8} {'-':>4}  "
                  f"{timing.note}")
            continue
        ratio = timing.best / naive
        meets = "-" if timing.target is None else ("yes" if ratio <= timing.target else "NO")
        runs = " ".join(f"{run:.3f}" for run in timing.runs)
        note = f"  ({timing.note})" if timing.note else ""
        print(f"{timing.label:<24} {timing.best:>8.3f} {ratio:>7.3f} {fmt_target(timing):>7} {meets:>6} "
              f"{timing.best / files * 1000:>8.4f} {timing.exit_code:>4}  {runs}{note}")


def fmt_target(timing: Timing) -> str:
    return "-" if timing.target is None else f"<={timing.target}"


def run_once(deals: int, contacts: int | None, repeat: int, seed: int) -> tuple[list[Timing], int]:
    with tempfile.TemporaryDirectory(prefix="funnel-bench-") as tmp:
        root = Path(tmp) / "ws"
        start = time.perf_counter()
        generate(root, deals, contacts, seed=seed, attachments=False)
        generated = time.perf_counter() - start
        timings, files = measure(root, repeat)
    print(f"\nworkspace: {deals} deals + {files - deals} contacts = {files} files "
          f"(generated in {generated:.2f} s), best of {repeat}")
    print_table(timings, files)
    return timings, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="example: python benchmarks/bench.py --deals 10000 --repeat 3")
    parser.add_argument("--deals", type=int, default=10000)
    parser.add_argument("--contacts", type=int, default=None, help="default: 30%% of deals")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", action="store_true", help="also run at 2,500 and 5,000 deals (and --deals)")
    args = parser.parse_args(argv)
    if args.deals < 1 or args.repeat < 1:
        parser.error("--deals and --repeat must be at least 1")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, funnel from {REPO}")
    sizes = sorted({2500, 5000, args.deals}) if args.scale else [args.deals]
    results = []
    for deals in sizes:
        contacts = args.contacts if (args.contacts is not None and deals == args.deals) else None
        results.append(run_once(deals, contacts, args.repeat, args.seed))
    if args.scale:
        print("\nseconds per 1,000 records (flat across sizes = linear growth)")
        labels = [t.label for t in results[0][0]]
        print(f"{'command':<24} " + " ".join(f"{files:>9}" for _, files in results))
        for i, label in enumerate(labels):
            cells = []
            for timings, files in results:
                timing = timings[i]
                cells.append(f"{timing.best / files * 1000:>9.4f}" if timing.runs else f"{'-':>9}")
            print(f"{label:<24} " + " ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
