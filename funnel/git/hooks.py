"""`funnel hooks install`: the clone's hooks, drivers and attributes that make git the team's engine.

- a `pre-commit` and a `pre-merge-commit` hook that run `funnel check --staged` with the very funnel that
  installed them (an absolute command), in the hooks directory git uses (`core.hooksPath` honoured); a hook
  already there is kept and run first (renamed `<hook>.funnel-chained`);
- the merge driver (`merge.funnel.driver`) and, when this funnel has `textconv`, the diff driver
  (`diff.funnel.textconv`), in the clone's own git config;
- attributes mapping `contacts/*.md` and `deals/*.md` to them, in `.git/info/attributes` (this clone only) or,
  `--shared`, in the workspace's committed `.gitattributes` — a clone without the drivers configured falls back
  to git's own text merge and diff.

Installing again changes nothing that is already right; `uninstall` takes back exactly what install wrote.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from ..errors import FunnelError
from .repo import Repository, find_repository
from ..valueclass import field, valueclass

HOOKS = ("pre-commit", "pre-merge-commit")
HOOK_MARK = "# funnel hook: installed by `funnel hooks install` (`funnel hooks install --uninstall` removes it)"
CHAINED = ".funnel-chained"
BEGIN = "# funnel: begin (written by `funnel hooks install`)"
END = "# funnel: end"
RECORD_PATTERNS = ("contacts/*.md", "deals/*.md")
DRIVER = "funnel"


class HooksError(FunnelError):
    """The hooks cannot be installed or removed as asked; one line for the person."""


@valueclass
class HookReport:
    changed: list[str] = field(default_factory=list)  # what was written or removed, one line each

    def add(self, line: str) -> None:
        self.changed.append(line)


def repository_for(root: Path) -> Repository:
    repository = find_repository(root)
    if repository is None:
        raise HooksError(f"{root}: not inside a git repository; run 'git init' first")
    return repository


def install(root: Path, funnel_command: list[str], textconv: bool, shared: bool) -> HookReport:
    """Install everything for the workspace at `root`; `funnel_command` runs this funnel (absolute)."""
    repository = repository_for(root)
    report = HookReport()
    command = " ".join(shlex.quote(part) for part in funnel_command)
    for name in HOOKS:
        _install_hook(repository, name, _hook_script(command, repository.prefix), report)
    _set_config(repository, f"merge.{DRIVER}.name", "funnel: record files merged field by field", report)
    _set_config(repository, f"merge.{DRIVER}.driver", f"{command} merge-driver %O %A %B %P", report)
    if textconv:
        _set_config(repository, f"diff.{DRIVER}.textconv", f"{command} textconv", report)
    attributes = " ".join(([f"diff={DRIVER}"] if textconv else []) + [f"merge={DRIVER}"])
    local = _git_path(repository, "info/attributes")
    if shared:
        _write_block(root / ".gitattributes", [f"{pattern} {attributes}" for pattern in RECORD_PATTERNS], report)
        _remove_block(local, report)
    else:
        _write_block(local, [f"{_glob_escape(repository.prefix)}{pattern} {attributes}" for pattern in RECORD_PATTERNS],
                     report)
    return report


def uninstall(root: Path) -> HookReport:
    repository = repository_for(root)
    report = HookReport()
    for name in HOOKS:
        _uninstall_hook(repository, name, report)
    for section in (f"merge.{DRIVER}", f"diff.{DRIVER}"):
        done = repository.git("config", "--local", "--remove-section", section, check=False)
        if done.returncode == 0:
            report.add(f"removed the git config section {section}")
    _remove_block(_git_path(repository, "info/attributes"), report)
    _remove_block(root / ".gitattributes", report, delete_if_empty=True)
    return report


# -- hooks ----------------------------------------------------------------------------------------------------

def _hook_script(command: str, prefix: str) -> str:
    workspace = shlex.quote("./" + prefix.rstrip("/")) if prefix else "."
    return (
        "#!/bin/sh\n"
        f"{HOOK_MARK}\n"
        "# a hook that was here before runs first; its refusal stands\n"
        f'chained="$0{CHAINED}"\n'
        'if [ -x "$chained" ]; then "$chained" "$@" || exit $?; fi\n'
        f"exec {command} check --staged --root {workspace}\n"
    )


def _hooks_directory(repository: Repository) -> Path:
    return _git_path(repository, "hooks")


def _git_path(repository: Repository, name: str) -> Path:
    """Where git keeps `name` for this clone (`--git-path`: core.hooksPath and linked worktrees honoured)."""
    done = repository.git("rev-parse", "--git-path", name)
    path = Path(os.fsdecode(done.stdout.rstrip(b"\n")))
    return path if path.is_absolute() else repository.top / path


def _is_ours(path: Path) -> bool:
    try:
        return HOOK_MARK in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _install_hook(repository: Repository, name: str, script: str, report: HookReport) -> None:
    directory = _hooks_directory(repository)
    hook = directory / name
    chained = directory / (name + CHAINED)
    if hook.is_symlink() or (hook.exists() and not hook.is_file()):
        raise HooksError(f"{hook}: not a regular file; remove it or chain it by hand")
    if hook.exists() and not _is_ours(hook):
        if chained.exists():
            raise HooksError(f"{hook}: a hook is there and {chained.name} too; remove one of them first")
        hook.rename(chained)
        report.add(f"kept the {name} hook that was there: it runs first, as {chained}")
    if hook.exists() and hook.read_text(encoding="utf-8") == script:
        return
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{name}.funnel-new"
    temporary.write_text(script, encoding="utf-8")
    temporary.chmod(0o755)
    temporary.replace(hook)
    report.add(f"installed the {name} hook: {hook}")


def _uninstall_hook(repository: Repository, name: str, report: HookReport) -> None:
    directory = _hooks_directory(repository)
    hook = directory / name
    chained = directory / (name + CHAINED)
    if _is_ours(hook) and not hook.is_symlink():
        hook.unlink()
        report.add(f"removed the {name} hook: {hook}")
        if chained.exists() and not hook.exists():
            chained.rename(hook)
            report.add(f"put back the {name} hook that was there before")


# -- config and attributes ------------------------------------------------------------------------------------

def _set_config(repository: Repository, key: str, value: str, report: HookReport) -> None:
    done = repository.git("config", "--local", "--get", key, check=False)
    if done.returncode == 0 and done.stdout.decode("utf-8", "replace").rstrip("\n") == value:
        return
    repository.git("config", "--local", key, value)
    report.add(f"git config {key} = {value}")


def _glob_escape(prefix: str) -> str:
    return "".join("\\" + ch if ch in "*?[\\ " else ch for ch in prefix)


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def _without_block(lines: list[str]) -> list[str]:
    out, inside = [], False
    for line in lines:
        if line == BEGIN:
            inside = True
        elif inside and line == END:
            inside = False
        elif not inside:
            out.append(line)
    return out


def _write_block(path: Path, entries: list[str], report: HookReport) -> None:
    lines = _read_lines(path)
    kept = _without_block(lines)
    new = kept + [BEGIN, *entries, END]
    if new == lines:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(new) + "\n", encoding="utf-8")
    report.add(f"mapped {', '.join(RECORD_PATTERNS)} to the funnel drivers in {path}")


def _remove_block(path: Path, report: HookReport, delete_if_empty: bool = False) -> None:
    lines = _read_lines(path)
    kept = _without_block(lines)
    if kept == lines:
        return
    if delete_if_empty and not any(line.strip() for line in kept):
        path.unlink()
    else:
        path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    report.add(f"removed the funnel attributes from {path}")
