"""funnel check: every problem of the workspace, or of the given files, as path:line:col lines or JSON."""

from __future__ import annotations

from pathlib import Path

import click

from .. import output
from .base import Context, format_option, main, root_option, shown_path


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--staged", is_flag=True,
              help="Judge what is staged for the next commit (the index, not the working files), reporting only "
                   "what the commit changes or causes; for the pre-commit hook and CI.")
@root_option
@format_option("text", "json")
def check(paths, staged, root, output_format):
    """Validate records against schema.yaml; every problem as path:line:col: severity: message [code].

    Exit status 1 when any error is found (warnings alone exit 0). With PATHs, only those files (or
    the records under those directories) are reported, still judged against the whole workspace.

    \b
    Examples:
      funnel check
      funnel check deals/d-7k3m9x2q.md --format json
      funnel check --staged
    """
    from ..views.checking import check_root

    root_dir = Context(root).root()
    if staged:
        if paths:
            raise click.UsageError("--staged judges what is staged; it takes no PATH")
        from ..git.staged import check_staged

        outcome, what = check_staged(root_dir), "staged file"
    else:
        outcome, what = check_root(root_dir, paths), "file"
    _print_diagnostics(root_dir, outcome.diagnostics, output_format)
    if output_format == "text" and outcome.checked is not None:
        output.note(f"{output.plural(outcome.checked, what)} checked: {output.plural(outcome.errors, 'error')}, "
                    f"{output.plural(outcome.warnings, 'warning')}")
    raise SystemExit(1 if outcome.errors else 0)


def _print_diagnostics(root: Path, diagnostics: list[Diagnostic], output_format: str) -> None:
    from ..model.checks import Diagnostic

    if output_format == "json":
        # for scripts: always relative to the workspace root, wherever the command ran
        output.write_json([d.as_json() for d in diagnostics])
    else:
        output.write_lines(Diagnostic(shown_path(root, d.path), d.line, d.column, d.severity, d.code,
                                      d.message).format() for d in diagnostics)
