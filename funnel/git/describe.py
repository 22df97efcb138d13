"""Which revision a page or report was made from, in the words git uses for it (`git describe`)."""

from __future__ import annotations

from pathlib import Path

from .repo import find_repository


def describe(directory: Path, revision: str | None = None) -> str | None:
    """`git describe --tags --always` of `revision` (a verified commit), or of the checked-out commit with
    "-dirty" when the working tree has changes; None outside a repository or before its first commit."""
    repository = find_repository(directory)
    if repository is None:
        return None
    if revision is None:
        done = repository.git("describe", "--tags", "--always", "--dirty", check=False)
    else:
        done = repository.git("describe", "--tags", "--always", repository.verify_commit(revision), check=False)
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip() or None
