"""Measure funnel against the naive floor: parsing every record file with python-frontmatter.

    pip install -e '.[bench]'      # python-frontmatter, for the naive baseline only (funnel never imports it)
    python benchmarks/bench.py [--deals 10000] [--contacts N] [--repeat 5] [--shape rich|plain|both]
    python benchmarks/bench.py --deals 100000 --repeat 3 --shape plain      # the slower, separate run
    python benchmarks/bench.py --deals 100000 --shape plain --git --only show set move "deal add"

Generates a workspace in a temporary directory (no attachments) in one or both shapes — `rich`
(generate_workspace.py: every stage, proposals, long texts) and `plain` (plain_workspace.py, written
independently: few fields, which flatters nothing) — then runs each command below as a fresh subprocess
--repeat times and prints the median, its ratio to the naive script's median beside the target, and the
command's peak memory (the child's maximum resident set, from wait4). Each write command runs once untimed
first and then back to back, as a person would type them: a write that leaves the cache stale pays for it in
the next one. Timings are printed, never asserted: they belong to this script, not to the test suite.
`--git` makes the workspace a git repository with everything committed before measuring (as funnel is meant
to be used: the cache then takes git's index's word for unchanged files); without it, no git at all.
`--only` times only the commands whose label starts with one of the words given.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
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
from plain_workspace import generate_plain  # noqa: E402

NAIVE = """
import pathlib, sys
import frontmatter
root = pathlib.Path(sys.argv[1])
for kind in ("contacts", "deals"):
    for path in sorted((root / kind).glob("*.md")):
        frontmatter.load(path)
"""

SHOW_LIMIT_100K = 0.5  # seconds: show, set and move at 100,000 deals
MEMORY_LIMIT_MB = 300  # every command at 100,000 deals


@dataclass
class Command:
    label: str
    args: list[str]
    target: float | None  # ratio to naive
    setup: str = "warm"  # warm: one untimed run first; cold: no cache before each run; touch: one file changed
    absolute: float | None = None  # seconds, checked at 100,000 deals


def commands(deal_id: str, contact_id: str, moving_id: str) -> list[Command]:
    return [
        Command("check (cold)", ["check"], 0.80, setup="cold"),
        Command("board", ["board"], 0.10),
        *[Command(f"report {name}", ["report", name], 0.10)
          for name in ("funnel", "losses", "velocity", "forecast", "payments")],
        Command("list deals", ["list", "deals"], 0.10),
        Command("list deals csv", ["list", "deals", "--format", "csv"], 0.10),
        Command("list deals json", ["list", "deals", "--format", "json"], 0.15),
        Command("board, one file changed", ["board"], 0.12, setup="touch"),
        Command("show ID", ["show", deal_id], 0.07, absolute=SHOW_LIMIT_100K),
        Command("set ID", ["set", deal_id, "next_action=Позвонить {n}"], 0.10, absolute=SHOW_LIMIT_100K),
        Command("move ID", ["move", moving_id, "{stage}"], 0.10, absolute=SHOW_LIMIT_100K),
        Command("deal add", ["deal", "add", "--contact", contact_id, "--set", "title=Новая сделка {n}",
                             "--set", "owner=ivanov"], 0.10),
    ]


@dataclass
class Timing:
    label: str
    target: float | None = None
    absolute: float | None = None
    runs: list[float] = field(default_factory=list)
    peaks_kb: list[int] = field(default_factory=list)
    exit_code: int = 0
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def subprocess_env(cache_home: Path, checkout: Path = REPO) -> dict[str, str]:
    env = dict(os.environ)
    # the repository's funnel package (or another checkout's), whether or not it is installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(checkout), env.get("PYTHONPATH", "")) if p)
    env["FUNNEL_TODAY"] = "2026-11-27"
    env["XDG_CACHE_HOME"] = str(cache_home)  # funnel's own directory outside git; emptied for cold runs
    env["COLUMNS"] = "120"
    return env


def run(argv: list[str], env: dict[str, str]) -> tuple[float, int, int, str]:
    """(seconds, exit code, peak resident KB, stderr) of one subprocess."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        # from the checkout itself: `python -m` puts the current directory before PYTHONPATH
        checkout = env["PYTHONPATH"].split(os.pathsep)[0]
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=checkout)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return seconds, process.returncode, usage.ru_maxrss, err.read().decode("utf-8", "replace")


def clear_caches(root: Path, cache_home: Path) -> None:
    shutil.rmtree(root / ".funnel", ignore_errors=True)  # where funnel kept its caches before issue 10
    shutil.rmtree(root / ".git" / "funnel", ignore_errors=True)  # and keeps them in a repository since
    shutil.rmtree(cache_home, ignore_errors=True)
    cache_home.mkdir()


def pick_ids(root: Path) -> tuple[str, str, str]:
    """A deal to show and set, a contact for deal add, and a deal in `needs` to move to approval and back."""
    deals = sorted((root / "deals").glob("*.md"))
    moving = next(path.stem for path in deals if "\nstage: needs\n" in path.read_text("utf-8"))
    shown = deals[len(deals) // 2].stem
    contact = sorted((root / "contacts").glob("*.md"))[0].stem
    return shown, contact, moving


def commit_all(root: Path) -> None:
    """`git init` and one commit of the whole workspace (an identity of the benchmark's own)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env, stdout=subprocess.DEVNULL)


def measure(root: Path, repeat: int, cache_home: Path, against: Path | None = None,
            only: list[str] | None = None) -> list[Timing]:
    """The naive script and every command; with `against` (another checkout of funnel), each timed run of a
    command is followed by the same run of that funnel, so both meet the same load of a shared machine."""
    env = subprocess_env(cache_home)
    # the other checkout keeps a cache of its own: an older cache format would rebuild this one's every run
    other_cache = cache_home.with_name(cache_home.name + "-against")
    other_cache.mkdir(exist_ok=True)
    other_env = subprocess_env(other_cache, against) if against is not None else None
    launcher = [sys.executable, "-m", "funnel"]
    naive = Timing("naive frontmatter.load")
    for _ in range(repeat):
        seconds, code, peak, stderr = run([sys.executable, "-c", NAIVE, str(root)], env)
        if code:
            raise SystemExit(f"the naive script failed:\n{stderr}")
        naive.runs.append(seconds)
        naive.peaks_kb.append(peak)
    timings = [naive]
    deal_id, contact_id, moving_id = pick_ids(root)
    touched = root / "deals" / f"{deal_id}.md"
    counter = 0
    for command in commands(deal_id, contact_id, moving_id):
        if only and not any(command.label.startswith(word) for word in only):
            continue
        timing = Timing(command.label, command.target, command.absolute)
        timings.append(timing)
        other = Timing(f"  {against.name if against else ''}")
        if other_env is not None:
            timings.append(other)
        stage = "approval"

        def argv() -> list[str]:
            return launcher + [arg.format(n=counter, stage=stage) for arg in command.args] + ["--root", str(root)]

        if command.setup != "cold":
            _, code, _, stderr = run(argv(), env)
            if code == 2:
                timing.note = f"skipped: usage error: {last_line(stderr)}"
                continue
            stage = "needs"
            if other_env is not None:  # the other's cache warmed too (a move goes back, as the loop expects)
                run(argv(), other_env)
                stage = "approval"
        for _ in range(repeat):
            counter += 1
            if command.setup == "cold":
                clear_caches(root, cache_home)
            elif command.setup == "touch":
                with open(touched, "ab") as handle:  # one more line in the notes: a real edit
                    handle.write(f"Заметка {counter}\n".encode())
            seconds, code, peak, stderr = run(argv(), env)
            stage = "approval" if stage == "needs" else "needs"
            if other_env is not None:
                if command.setup == "cold":
                    clear_caches(root, other_cache)
                elif command.setup == "touch":
                    with open(touched, "ab") as handle:
                        handle.write(f"Заметка {counter}b\n".encode())
                counter += 1  # its own value: a `set` of the value just set would time a no-op for the other
                other_seconds, _, other_peak, _ = run(argv(), other_env)
                stage = "approval" if stage == "needs" else "needs"
                other.runs.append(other_seconds)
                other.peaks_kb.append(other_peak)
            timing.runs.append(seconds)
            timing.peaks_kb.append(peak)
            timing.exit_code = code
            if code not in (0, 1):
                timing.note = f"exit {code}: {last_line(stderr)}"
            elif code == 1 and not timing.note:
                timing.note = f"exit 1: {last_line(stderr)}"
    return timings


def help_imports(cache_home: Path) -> str:
    """Which funnel modules `funnel --help` imports (python -X importtime)."""
    env = subprocess_env(cache_home)
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "funnel", "--help"], env=env,
                          capture_output=True, text=True)
    modules = sorted({match.group(1) for match in re.finditer(r"\|\s+(funnel[\w.]*)\s*$", done.stderr, re.M)})
    outside = [name for name in modules if not (name in ("funnel", "funnel.__main__", "funnel.errors")
                                                 or name.startswith("funnel.cli"))]
    return (f"funnel --help imports {len(modules)} funnel modules"
            + (f"; beyond the CLI: {', '.join(outside)}" if outside else ": the CLI only"))


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:100] if lines else ""


def print_table(timings: list[Timing], files: int, deals: int) -> None:
    naive = timings[0].median
    big = deals >= 100000
    print(f"{'command':<26} {'median s':>9} {'ratio':>7} {'target':>7} {'meets':>5} {'peak MB':>8}  runs")
    for timing in timings:
        if not timing.runs:
            print(f"{timing.label:<26} {'-':>9} {'-':>7} {fmt_target(timing.target):>7} {'-':>5} {'-':>8}  "
                  f"{timing.note}")
            continue
        ratio = timing.median / naive
        peak_mb = max(timing.peaks_kb) / 1024
        verdicts = []
        if timing.target is not None:
            verdicts.append(ratio <= timing.target)
        if big and timing is not timings[0]:
            verdicts.append(peak_mb <= MEMORY_LIMIT_MB)
            if timing.absolute is not None:
                verdicts.append(timing.median <= timing.absolute)
        meets = "-" if not verdicts else ("yes" if all(verdicts) else "NO")
        runs = " ".join(f"{run:.3f}" for run in timing.runs)
        note = f"  ({timing.note})" if timing.note else ""
        print(f"{timing.label:<26} {timing.median:>9.3f} {ratio:>7.3f} {fmt_target(timing.target):>7} "
              f"{meets:>5} {peak_mb:>8.0f}  {runs}{note}")
    if big:
        print(f"(at {deals} deals 'meets' also asks peak <= {MEMORY_LIMIT_MB} MB, and show/set/move <= "
              f"{SHOW_LIMIT_100K} s)")


def fmt_target(target: float | None) -> str:
    return "-" if target is None else f"<={target:g}"


def run_shape(shape: str, deals: int, contacts: int | None, repeat: int, seed: int,
              against: Path | None = None, git: bool = False, only: list[str] | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="funnel-bench-") as tmp:
        root = Path(tmp) / "ws"
        cache_home = Path(tmp) / "cache-home"
        cache_home.mkdir()
        start = time.perf_counter()
        if shape == "rich":
            generate(root, deals, contacts, seed=seed, attachments=False)
        else:
            generate_plain(root, deals, contacts, seed=seed)
        generated = time.perf_counter() - start
        if against is not None:  # a schema both funnels read: the older one's (a newer funnel reads it too)
            shutil.copyfile(against / "schema.yaml", root / "schema.yaml")
        if git:
            commit_all(root)
        files = sum(1 for kind in ("contacts", "deals") for _ in (root / kind).glob("*.md"))
        timings = measure(root, repeat, cache_home, against, only)
        print(f"\n{shape} workspace{' (committed in git)' if git else ''}: {deals} deals + {files - deals} contacts "
              f"= {files} files (generated in {generated:.1f} s), median of {repeat}")
        print_table(timings, files, deals)
        print(help_imports(cache_home))
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=10000)
    parser.add_argument("--contacts", type=int, default=None, help="default: 30%% of deals")
    parser.add_argument("--repeat", type=int, default=5, help="runs per command; the median is kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shape", choices=("rich", "plain", "both"), default="both")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="another checkout of funnel (e.g. a worktree of an older commit): each command runs "
                             "there right after it runs here, a line below, for a comparison a busy machine "
                             "cannot skew")
    parser.add_argument("--git", action="store_true",
                        help="git init and commit the generated workspace before measuring")
    parser.add_argument("--only", nargs="+", metavar="WORD",
                        help="time only the commands whose label starts with one of these (e.g. show set)")
    args = parser.parse_args(argv)
    if args.deals < 10 or args.repeat < 1:
        parser.error("--deals must be at least 10 and --repeat at least 1")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, funnel from {REPO}")
    for shape in (("rich", "plain") if args.shape == "both" else (args.shape,)):
        run_shape(shape, args.deals, args.contacts, args.repeat, args.seed, args.against, args.git, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
