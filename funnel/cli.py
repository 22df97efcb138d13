"""The command line: parse arguments, call the model, print. Nothing else lives here."""

from __future__ import annotations

import os
from pathlib import Path

import click

from . import __version__, output
from .checks import Diagnostic, check_workspace, from_problem
from .records import WorkspaceError, find_root, kind_of_path, load_workspace
from .schema import SchemaError, load_schema


class Context:
    def __init__(self, root_option: str | None):
        self.root_option = root_option

    def root(self) -> Path:
        try:
            return find_root(explicit=self.root_option)
        except WorkspaceError as exc:
            raise click.ClickException(str(exc))


def root_option(function):
    return click.option("--root", "root", metavar="DIR", type=click.Path(file_okay=False),
                        help="Workspace root (default: FUNNEL_ROOT, else the nearest directory upwards "
                             "holding schema.yaml).")(function)


def format_option(*choices: str):
    def decorate(function):
        return click.option("--format", "output_format", type=click.Choice(choices), default="text",
                            show_default=True, help="Output format.")(function)
    return decorate


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def shown_path(root: Path, relative: str) -> str:
    """A path an editor opened in the current directory can jump to."""
    absolute = root / relative
    try:
        return os.path.relpath(absolute)
    except ValueError:  # another drive on Windows
        return str(absolute)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="funnel")
def main():
    """funnel: a sales funnel that lives in git.

    Contacts and deals are Markdown files with YAML front matter; schema.yaml declares the pipeline.

    \b
    Example:
      funnel check                 validate the whole workspace
    """


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
    root_dir = Context(root).root()
    try:
        schema = load_schema(root_dir / "schema.yaml")
    except SchemaError as exc:
        diagnostics = [from_problem("schema.yaml", problem) for problem in exc.problems]
        _print_diagnostics(root_dir, diagnostics, output_format)
        raise SystemExit(1)
    workspace = load_workspace(root_dir, schema)
    only = _selected_paths(root_dir, paths, workspace) if paths else None
    diagnostics = check_workspace(workspace, only)
    _print_diagnostics(root_dir, diagnostics, output_format)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    if output_format == "text":
        checked = len(only) if only is not None else len(workspace.records)
        warnings = len(diagnostics) - errors
        output.note(f"{plural(checked, 'file')} checked: {plural(errors, 'error')}, {plural(warnings, 'warning')}")
    raise SystemExit(1 if errors else 0)


def _selected_paths(root: Path, paths, workspace) -> set[str]:
    selected: set[str] = set()
    known = {record.path for record in workspace.records}
    resolved_root = root.resolve()
    for given in paths:
        absolute = Path(given).resolve()
        if not absolute.exists():
            raise click.ClickException(f"{given}: no such file or directory")
        if not absolute.is_relative_to(resolved_root):
            raise click.ClickException(f"{given}: not inside the workspace {root}")
        relative = absolute.relative_to(resolved_root).as_posix()
        if absolute.is_dir():
            prefix = "" if relative == "." else relative + "/"
            selected.update(path for path in known if path.startswith(prefix))
        elif relative in known or relative == "schema.yaml":
            selected.add(relative)
        elif kind_of_path(relative) is None:
            raise click.ClickException(f"{given}: not a record file (records are contacts/*.md and deals/*.md)")
    return selected


def _print_diagnostics(root: Path, diagnostics: list[Diagnostic], output_format: str) -> None:
    shown = [Diagnostic(shown_path(root, d.path), d.line, d.column, d.severity, d.code, d.message)
             for d in diagnostics]
    if output_format == "json":
        output.write_json([d.as_json() for d in shown])
    else:
        output.write_lines(d.format() for d in shown)
