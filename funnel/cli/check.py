"""funnel check: every problem of the workspace, or of the given files, as path:line:col lines or JSON."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .. import output
from .base import Context, format_option, main, root_option, shown_path


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@root_option
@format_option("text", "json")
def check(paths, root, output_format):
    """Validate records against schema.yaml; every problem as path:line:col: severity: message [code].

    Exit status 1 when any error is found (warnings alone exit 0). With PATHs, only those files (or
    the records under those directories) are reported, still judged against the whole workspace.

    \b
    Examples:
      funnel check
      funnel check deals/d-7k3m9x2q.md --format json
    """
    from ..model.checks import check_workspace, from_problem
    from ..model.schema import SchemaError, load_schema
    from ..store.paths import stray_files
    from ..store.workspace import load_workspace, select_paths

    root_dir = Context(root).root()
    try:
        schema = load_schema(root_dir / "schema.yaml")
    except SchemaError as exc:
        diagnostics = [from_problem("schema.yaml", problem) for problem in exc.problems]
        _print_diagnostics(root_dir, diagnostics, output_format)
        raise SystemExit(1)
    workspace = load_workspace(root_dir, schema)
    workspace.strays.extend(stray_files(root_dir, {record.stem for record in workspace.deals}))
    only = select_paths(workspace, paths) if paths else None
    from ..store.cache import HashCache

    hashes = HashCache(root_dir)  # an attachment is read again only when its stat changed
    diagnostics = check_workspace(workspace, only, hashes.sha256)
    hashes.save()
    _print_diagnostics(root_dir, diagnostics, output_format)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    if output_format == "text":
        checked = len(only) if only is not None else len(workspace.records)
        warnings = len(diagnostics) - errors
        output.note(f"{output.plural(checked, 'file')} checked: {output.plural(errors, 'error')}, "
                    f"{output.plural(warnings, 'warning')}")
    raise SystemExit(1 if errors else 0)


def _print_diagnostics(root: Path, diagnostics: list[Diagnostic], output_format: str) -> None:
    from ..model.checks import Diagnostic

    if output_format == "json":
        # for scripts: always relative to the workspace root, wherever the command ran
        output.write_json([d.as_json() for d in diagnostics])
    else:
        output.write_lines(Diagnostic(shown_path(root, d.path), d.line, d.column, d.severity, d.code,
                                      d.message).format() for d in diagnostics)
