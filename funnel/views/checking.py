"""`funnel check`: every problem of a workspace, or of the records some paths name, as Diagnostics."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ..model.checks import Diagnostic, StreamingCheck, from_problem
from ..model.schema import SchemaError
from ..store.schematree import workspace_schema
from ..store.paths import SCHEMA_FILE, folder_problems, record_files, stray_files
from ..store.recordfiles import record_from_file
from ..store.workspace import finish_pending_batch, select_paths
from ..valueclass import valueclass


@valueclass(frozen=True)
class CheckOutcome:
    diagnostics: list[Diagnostic]  # sorted by place
    checked: int | None  # files judged; None when schema.yaml itself could not be read (nothing else was)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


def check_root(root: Path, paths: Iterable[str | os.PathLike] = ()) -> CheckOutcome:
    """Every problem of the workspace at `root`, or of the records `paths` name (files, or folders meaning
    the records under them), still judged against the whole workspace. A schema.yaml that cannot be read is
    reported alone, as its own diagnostics."""
    from ..store.cache import HashCache

    try:
        schema = workspace_schema(root)
    except SchemaError as exc:
        return CheckOutcome([from_problem(SCHEMA_FILE, problem) for problem in exc.problems], None)
    finish_pending_batch(root)
    files = list(record_files(root))
    paths = list(paths)
    only = select_paths(root, {relative for _, relative, _ in files}, paths) if paths else None
    hashes = HashCache(root)  # an attachment is read again only when its stat changed
    # one record at a time: what is kept of each is its problems and the little that judging the others needs
    checking = StreamingCheck(root, schema, only, hashes.sha256)
    for kind, relative, entry in files:
        checking.add(record_from_file(schema, kind, relative, entry))
    deal_ids = {relative.rsplit("/", 1)[-1][:-3] for kind, relative, _ in files if kind == "deal"}
    diagnostics = checking.finish(folder_problems(root) + stray_files(root, deal_ids))
    hashes.save()
    return CheckOutcome(diagnostics, len(only) if only is not None else len(files))
