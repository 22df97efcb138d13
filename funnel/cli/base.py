"""The command group and what every command shares: --root, --format, the workspace root, paths for people."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .. import __version__
from ..store.workspace import WorkspaceError, find_root


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


def at_option(function):
    """`--at REV`: a view as committed at REV, read from git objects (see funnel.git.snapshot)."""
    return click.option("--at", "at", metavar="REV",
                        help="The view as committed at REV (a commit, tag, branch, or YYYY-MM-DD: the last commit "
                             "on HEAD before that day ends), read from git; the working tree is not touched. "
                             "Today is the commit's date unless FUNNEL_TODAY is set.")(function)


def shown_path(root: Path, relative: str) -> str:
    """A path for people: relative to the current directory when that is inside the workspace (as git shows
    paths, so an editor opened there can jump to it), else relative to the workspace root."""
    here = Path.cwd().resolve()
    resolved_root = root.resolve()
    if here == resolved_root or not here.is_relative_to(resolved_root):
        return relative
    return os.path.relpath(resolved_root / relative, here)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="funnel")
def main():
    """funnel: a sales funnel that lives in git.

    Contacts and deals are Markdown files with YAML front matter; schema.yaml declares the pipeline.

    \b
    Example:
      funnel check                 validate the whole workspace
    """
