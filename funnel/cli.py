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


# -- writing commands -----------------------------------------------------------------------------------------

def write_options(function):
    function = click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
                            help="A field value, read by the field's type (repeatable).")(function)
    return function


def refusal(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def run_write(action):
    """Run a model write, turning refusals and bad values into one clear message and exit 1."""
    from .values import ValueError_
    from .writes import Refused

    try:
        return action()
    except (Refused, ValueError_, WorkspaceError) as exc:
        raise refusal(exc)


@main.group()
def contact():
    """Contacts: `funnel contact add`.

    \b
    Example:
      funnel contact add --set name="Иванов Пётр" --set phone="+7 912 345-67-89" \\
        --set source=website --set equipment_preference=domestic --set client_type=end_customer
    """


@main.group()
def deal():
    """Deals: `funnel deal add`.

    \b
    Example:
      funnel deal add --contact c-4f8h --set title="Насосная станция" --set owner=ivanov
    """


@contact.command("add")
@write_options
@root_option
@format_option("text", "json")
def contact_add(assignments, root, output_format):
    """Add a contact; prints only its new id.

    \b
    Example:
      id=$(funnel contact add --set name="Иванов Пётр" --set email=ivanov@example.ru \\
             --set source=referral --set equipment_preference=no_preference --set client_type=end_customer)
    """
    root_dir = Context(root).root()
    written = run_write(lambda: _add(root_dir, "contact", assignments))
    _report_written(root_dir, written, output_format, written.record.id)


@deal.command("add")
@click.option("--contact", "contact_id", required=True, metavar="ID", help="The deal's contact (id or prefix).")
@write_options
@root_option
@format_option("text", "json")
def deal_add(contact_id, assignments, root, output_format):
    """Add a deal in the first stage; prints only its new id.

    \b
    Example:
      id=$(funnel deal add --contact c-4f8h --set title="Котельная, ЖК «Север»" --set owner=ivanov)
    """
    root_dir = Context(root).root()
    written = run_write(lambda: _add(root_dir, "deal", assignments + (f"contact={contact_id}",)))
    _report_written(root_dir, written, output_format, written.record.id)


def _add(root_dir: Path, kind: str, assignments):
    from .values import parse_assignments
    from .writes import add_record, new_deal_values

    schema = load_schema(root_dir / "schema.yaml")
    protected = ("id", "stage", "history")
    changes = parse_assignments(schema.kind(kind), list(assignments), protected)
    return add_record(root_dir, kind, changes, new_deal_values if kind == "deal" else None)


def _report_written(root_dir: Path, written, output_format: str, text_line: str | None) -> None:
    from .records import record_data

    if output_format == "json":
        output.write_json(record_data(written.record, load_schema(root_dir / "schema.yaml")))
    elif text_line is not None:
        output.write_lines([text_line])
    for note in written.notes:
        output.note(f"warning: {note}")


@main.command("set")
@click.argument("record_id", metavar="ID")
@click.argument("assignments", nargs=-1, metavar="FIELD=VALUE…")
@click.option("--unset", "unsets", multiple=True, metavar="FIELD", help="Remove a field (repeatable).")
@root_option
@format_option("text", "json")
def set_command(record_id, assignments, unsets, root, output_format):
    """Change fields of a deal or a contact, validated; stages change only with move, win and lose.

    Refused, writing nothing, when a value does not fit its field or the result would break a gate or rule
    of the deal's current stage.

    \b
    Examples:
      funnel set d-7k3m amount=1250000.50 install_address="г. Казань, ул. Баумана, д. 12"
      funnel set d-7k3m categories=small,standard --unset next_action_due
    """
    from .values import parse_assignments
    from .writes import update_record

    root_dir = Context(root).root()
    if not assignments and not unsets:
        raise click.UsageError("nothing to change: give FIELD=VALUE or --unset FIELD")

    def plan(tx, record):
        kind = tx.schema.kind(record.kind)
        protected = ("id", "stage", "history")
        changes = parse_assignments(kind, list(assignments), protected)
        changes.update(parse_assignments(kind, [f"{name}=" for name in unsets], protected))
        return changes, None, f"{record.kind} {record.id}"

    def action():
        return update_record(root_dir, record_id, plan)

    written, before = run_write(action)
    changed = ", ".join(list(dict.fromkeys([a.partition("=")[0].strip() for a in assignments] + list(unsets))))
    line = f"{written.record.id}: {changed}" if written.changed else f"{written.record.id}: unchanged"
    _report_written(root_dir, written, output_format, line)


# -- moving deals through the pipeline ---------------------------------------------------------------------------

def _stage_changes(tx, record, assignments) -> dict:
    from .values import parse_assignments

    return parse_assignments(tx.schema.kind(record.kind), list(assignments), ("id", "stage", "history"))


def _run_stage_plan(root_dir: Path, deal_id: str, make_plan, output_format: str) -> None:
    from .writes import update_record

    written, before = run_write(lambda: update_record(root_dir, deal_id, make_plan, kind="deal"))
    old, new = before.fields.get("stage"), written.record.fields.get("stage")
    line = f"{written.record.id}: {old} → {new}" if old != new else f"{written.record.id}: stays in {new}"
    _report_written(root_dir, written, output_format, line)


@main.command()
@click.argument("deal_id", metavar="DEAL")
@click.argument("stage", required=False)
@click.option("--next", "step", flag_value="next", help="The next stage on the main path (optional stages "
                                                        "are entered by name).")
@click.option("--prev", "step", flag_value="prev", help="The previous stage on the main path.")
@click.option("--reopen", is_flag=True, help="Allow moving a won or lost deal back into an active stage.")
@write_options
@root_option
@format_option("text", "json")
def move(deal_id, stage, step, reopen, assignments, root, output_format):
    """Move a deal to STAGE through its gate, setting the given fields in the same step.

    On refusal every unmet requirement is named and nothing is written. Backward moves are allowed and
    recorded in history; a closed deal goes back only with --reopen.

    \b
    Examples:
      funnel move d-7k3m contract
      funnel move d-7k3m --next --set install_address="г. Казань, ул. Баумана, д. 12"
      funnel move d-7k3m proposal --reopen
    """
    from .lifecycle import move_plan

    if bool(stage) == bool(step):
        raise click.UsageError("give either STAGE or one of --next / --prev")
    root_dir = Context(root).root()

    def plan(tx, record):
        return move_plan(stage, step, _stage_changes(tx, record, assignments), reopen)(tx, record)

    _run_stage_plan(root_dir, deal_id, plan, output_format)


@main.command()
@click.argument("deal_id", metavar="DEAL")
@click.option("--reopen", is_flag=True, help="Allow winning a deal that was lost.")
@write_options
@root_option
@format_option("text", "json")
def win(deal_id, reopen, assignments, root, output_format):
    """Close a deal as won, through the gate of the won stage.

    \b
    Example:
      funnel win d-7k3m --set postpayment_paid_on=2026-06-01
    """
    from .lifecycle import win_plan

    root_dir = Context(root).root()

    def plan(tx, record):
        return win_plan(_stage_changes(tx, record, assignments), reopen)(tx, record)

    _run_stage_plan(root_dir, deal_id, plan, output_format)


@main.command()
@click.argument("deal_id", metavar="DEAL")
@click.option("--reason", required=True, help="A loss reason from schema.yaml's list.")
@click.option("--comment", required=True, help="Why the deal was lost, in words (required, non-blank).")
@write_options
@root_option
@format_option("text", "json")
def lose(deal_id, reason, comment, assignments, root, output_format):
    """Close an open deal as lost, with a reason from the list and a comment; records the stage it was lost at.

    \b
    Examples:
      funnel lose d-7k3m --reason price --comment "Выбрали поставщика дешевле на 15%"
      funnel lose d-7k3m --reason finance_ban --comment "Долг по прошлому договору" --set finance_check=banned
    """
    from .lifecycle import LOSS_REASON, lose_plan
    from .values import ValueError_, field_spec, parse_value

    root_dir = Context(root).root()

    def plan(tx, record):
        try:
            parsed_reason = parse_value(field_spec(tx.schema.kind("deal"), LOSS_REASON), reason)
        except ValueError_ as exc:
            raise ValueError_(f"--reason: {exc}") from None
        return lose_plan(parsed_reason, comment, _stage_changes(tx, record, assignments))(tx, record)

    _run_stage_plan(root_dir, deal_id, plan, output_format)


@main.command()
@click.argument("deal_id", metavar="DEAL")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--field", default="acceptance_docs", show_default=True, help="The attachments field to record it in.")
@root_option
@format_option("text", "json")
def attach(deal_id, file, field, root, output_format):
    """Copy FILE under deals/<id>/ and record its path and sha256 in the deal.

    \b
    Example:
      funnel attach d-7k3m ~/scans/akt-priemki.pdf
    """
    from .attachments import attach as attach_file

    root_dir = Context(root).root()
    written, stored = run_write(lambda: attach_file(root_dir, deal_id, file, field))
    _report_written(root_dir, written, output_format, f"{written.record.id}: {field} + {stored}")
