"""`--commit`: a writing command commits exactly the files it wrote, with a message a reviewer reads.

Everything that could make the commit wrong is refused *before* the write, so a refusal writes nothing:
outside a repository, git not knowing who the author is, other changes already staged (they would be swept into
this commit), or uncommitted edits in the file the command would write (someone's work would be). The commit
itself comes after the write has released the workspace lock, so the pre-commit hook's own `check --staged`
never waits on it. The author is git's own configuration. It works in a repository with no commits yet.

The message: a subject in words (`deal d-7k3m: Proposal sent → Contract in preparation`,
`deal d-7k3m lost at approval: finance_ban`, `contact c-4f8h: phone, email`) and trailers a script reads
(`Funnel-Record: d-7k3m`, `Funnel-Stage: contract`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import FunnelError
from ..model.schema import KIND_OF_DIR
from .repo import GitError, Repository, find_repository
from ..valueclass import valueclass

CONFIG_KEY = "funnel.commit"


class CommitRefused(FunnelError):
    """--commit cannot commit safely; nothing was written. One line for the person."""


def commit_wanted(root: Path, flag: bool | None) -> bool:
    """--commit / --no-commit, else git's `funnel.commit` (per clone or global); off outside a repository
    unless asked for (then `prepare` says why it cannot)."""
    if flag is not None:
        return flag
    repository = find_repository(root)
    if repository is None:
        return False
    done = repository.git("config", "--type=bool", "--get", CONFIG_KEY, check=False)
    return done.returncode == 0 and done.stdout.strip() == b"true"


@valueclass
class Committer:
    """A commit made ready before the write (every refusal already said) and made after it."""

    repository: Repository

    @classmethod
    def prepare(cls, root: Path, target: str | None = None) -> "Committer":
        """Refuse now, before anything is written, whatever would make the commit wrong. `target`: the id (or
        the unique prefix) of the record the command will change, whose file must hold no uncommitted edits."""
        repository = find_repository(root)
        if repository is None:
            raise CommitRefused(f"--commit: {root} is not inside a git repository; nothing was written")
        for variable in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
            if repository.git("var", variable, check=False).returncode != 0:
                raise CommitRefused("--commit: git does not know who you are; set `git config user.name` and "
                                    "`git config user.email`; nothing was written")
        staged = _staged_paths(repository)
        if staged:
            raise CommitRefused(f"--commit: other changes are already staged ({_listing(staged)}); commit or "
                                f"unstage them first (git restore --staged); nothing was written")
        if target is not None:
            dirty = [path for path in _dirty_record_paths(repository) if _names(path, target)]
            if dirty:
                raise CommitRefused(f"--commit: {dirty[0]} has uncommitted edits; commit or stash them first, so "
                                    f"they are not swept into this commit; nothing was written")
        return cls(repository)

    def refuse_dirty(self, paths: Iterable[str]) -> None:
        """Refuse when a record file among `paths` (relative to the workspace root: what a command is about to
        overwrite, known only once it has planned, as an import's updates) holds uncommitted edits."""
        wanted = set(paths)
        dirty = [path for path in _dirty_record_paths(self.repository) if path in wanted]
        if dirty:
            raise CommitRefused(f"--commit: {dirty[0]} has uncommitted edits; commit or stash them first, so they "
                                f"are not swept into this commit; nothing was written")

    def commit(self, paths: Iterable[str], subject: str, trailers: dict[str, str], body: str = "") -> str:
        """Commit exactly `paths` (relative to the workspace root); the new commit's id."""
        prefix = self.repository.prefix
        paths = [prefix + path for path in paths]
        self.repository.git("add", "--", *paths)
        message = subject + "\n\n" + (body + "\n\n" if body else "") + \
            "".join(f"{key}: {value}\n" for key, value in trailers.items())
        done = self.repository.git("commit", "--quiet", "--file=-", "--", *paths, input=message.encode("utf-8"),
                                   check=False)
        if done.returncode != 0:
            # a hook (or git) refused: the files stay written, but not staged, so the next --commit is not
            # refused for "other changes staged" and nothing half-committed is left in the index
            if self.repository.head() is not None:
                self.repository.git("reset", "--quiet", "--", *paths, check=False)
            else:
                self.repository.git("rm", "--cached", "--quiet", "--", *paths, check=False)
            said = (done.stdout + done.stderr).decode("utf-8", "replace").strip().splitlines()
            reasons = "".join(f"\n  {line}" for line in said[-20:]) or "\n  git commit failed"
            raise GitError(f"written but not committed: git (or its pre-commit hook) refused:{reasons}\n"
                           f"the change is in the working tree, unstaged")
        return self.repository.git("rev-parse", "HEAD").stdout.decode().strip()


def _staged_paths(repository: Repository) -> list[str]:
    if repository.head() is None:
        files, unmerged = repository.index_files([])
        return sorted(set(files) | unmerged)
    done = repository.git("diff", "--cached", "--name-only", "-z", "--no-renames", check=False)
    return [name.decode("utf-8", "replace") for name in done.stdout.split(b"\0") if name]


def _dirty_record_paths(repository: Repository) -> list[str]:
    """Record files of the workspace (relative to its root) that differ from HEAD or are untracked."""
    specs = [repository.prefix + directory for directory in KIND_OF_DIR]
    done = repository.git("status", "--porcelain", "-z", "--untracked-files=all", "--no-renames", "--", *specs)
    paths = []
    for entry in done.stdout.split(b"\0"):
        if len(entry) > 3:
            path = entry[3:].decode("utf-8", "replace")
            if path.startswith(repository.prefix):
                paths.append(path[len(repository.prefix):])
    return paths


def _names(path: str, target: str) -> bool:
    """Whether the record file `path` may be the one `target` (an id or its unique prefix) names: a record's
    file is named after its id."""
    parts = path.split("/")
    return len(parts) == 2 and parts[1].endswith(".md") and parts[1].startswith(target)


def _listing(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


# -- the message ----------------------------------------------------------------------------------------------

def write_message(result) -> tuple[str, dict[str, str], str]:
    """(subject, trailers, body) for a WriteResult of the write API."""
    schema = result.schema
    name = f"{result.kind} {result.id}"

    def label(stage_id: str | None) -> str:
        stage = schema.stage(stage_id) if stage_id else None
        return stage.label if stage is not None else str(stage_id)

    also = [field for field in result.changed_fields if field not in ("stage", "history")]
    if result.action == "add":
        title = result.after.fields.get("title") or result.after.fields.get("name")
        subject = f"{name} added" + (f": {title}" if title else "")
        also = []
    elif result.action == "lose":
        lost_at = result.after.fields.get("lost_at") or result.old_stage
        subject = f"{name} lost at {lost_at}: {result.loss_reason}"
        also = [field for field in also if field not in ("loss_reason", "loss_comment", "lost_at")]
    elif result.action in ("move", "win") and result.old_stage != result.new_stage:
        subject = f"{name}: {label(result.old_stage)} → {label(result.new_stage)}"
    elif result.action == "attach":
        subject = f"{name}: attached {result.attached}"
        also = []
    else:
        subject = f"{name}: {', '.join(also)}"
        also = []
    trailers = {"Funnel-Record": result.id}
    if result.kind == "deal" and result.new_stage:
        trailers["Funnel-Stage"] = result.new_stage
    body = f"Also set: {', '.join(also)}." if also else ""
    if result.action == "lose" and result.loss_comment:
        body = (str(result.loss_comment).strip() + ("\n\n" + body if body else ""))
    return subject, trailers, body
