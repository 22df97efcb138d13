"""The writing commands: contact add, deal add, set, move, win, lose, attach, init."""

from __future__ import annotations

from pathlib import Path

import click

from .. import output
from .base import Context, format_option, main, root_option
from ..model.schema import DEAL_BUILTIN_FIELDS, SchemaError, load_schema
from ..store.workspace import WorkspaceError


# -- writing commands -----------------------------------------------------------------------------------------

# fields only the CLI maintains: stages change with move, win and lose, which append the history
PROTECTED_FIELDS = DEAL_BUILTIN_FIELDS


def write_options(function):
    return click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
                        help="A field value, read by the field's type (repeatable).")(function)


def run_write(action):
    """Run a model write, turning refusals and bad values into one clear message and exit 1."""
    from ..model.values import AssignmentSyntaxError, InvalidValue
    from ..writing.writes import Refused

    try:
        return action()
    except AssignmentSyntaxError as exc:
        raise click.UsageError(str(exc))
    except (Refused, InvalidValue, WorkspaceError) as exc:
        raise click.ClickException(str(exc))
    except SchemaError as exc:
        raise click.ClickException(f"{exc} (run 'funnel check')")
    except OSError as exc:
        # a read-only workspace, a full disk, an unreadable file: nothing was written (writes are atomic)
        where = f"{exc.filename}: " if exc.filename else ""
        raise click.ClickException(f"{where}{exc.strerror or exc}; nothing was written")


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
    _report_written(written, output_format, written.record.id)


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
    _report_written(written, output_format, written.record.id)


def _add(root_dir: Path, kind: str, assignments):
    from ..model.values import parse_assignments
    from ..writing.writes import add_record, new_deal_values

    schema = load_schema(root_dir / "schema.yaml")
    changes = parse_assignments(schema.kind(kind), list(assignments), PROTECTED_FIELDS)
    return add_record(root_dir, kind, changes, new_deal_values if kind == "deal" else None)


def _report_written(written, output_format: str, text_line: str | None) -> None:
    from ..model.records import record_data

    if output_format == "json":
        output.write_json(record_data(written.record, written.schema))
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
    from ..model.values import parse_assignments
    from ..writing.writes import update_record

    root_dir = Context(root).root()
    if not assignments and not unsets:
        raise click.UsageError("nothing to change: give FIELD=VALUE or --unset FIELD")

    def plan(tx, record):
        kind = tx.schema.kind(record.kind)
        changes = parse_assignments(kind, list(assignments), PROTECTED_FIELDS)
        changes.update(parse_assignments(kind, [f"{name}=" for name in unsets], PROTECTED_FIELDS))
        return changes, None, f"{record.kind} {record.id}"

    def action():
        return update_record(root_dir, record_id, plan)

    written, before = run_write(action)
    changed = ", ".join(list(dict.fromkeys([a.partition("=")[0].strip() for a in assignments] + list(unsets))))
    line = f"{written.record.id}: {changed}" if written.changed else f"{written.record.id}: unchanged"
    _report_written(written, output_format, line)


# -- moving deals through the pipeline ---------------------------------------------------------------------------

def _stage_changes(tx, record, assignments) -> dict:
    from ..model.values import parse_assignments
    from ..writing.writes import resolve_references

    changes = parse_assignments(tx.schema.kind(record.kind), list(assignments), PROTECTED_FIELDS)
    resolve_references(tx, record.kind, changes)
    return changes


def _run_stage_plan(root_dir: Path, deal_id: str, make_plan, output_format: str) -> None:
    from ..writing.writes import update_record

    written, before = run_write(lambda: update_record(root_dir, deal_id, make_plan, kind="deal"))
    old, new = before.fields.get("stage"), written.record.fields.get("stage")
    line = f"{written.record.id}: {old} → {new}" if old != new else f"{written.record.id}: stays in {new}"
    _report_written(written, output_format, line)


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
    from ..writing.lifecycle import move_plan

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
    from ..writing.lifecycle import win_plan

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
    from ..writing.lifecycle import lose_plan
    from ..model.schema import LOSS_REASON
    from ..model.values import InvalidValue, field_spec, parse_value

    root_dir = Context(root).root()

    def plan(tx, record):
        try:
            parsed_reason = parse_value(field_spec(tx.schema.kind("deal"), LOSS_REASON), reason)
        except InvalidValue as exc:
            raise InvalidValue(f"--reason: {exc}") from None
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
    from ..writing.attachments import attach as attach_file

    root_dir = Context(root).root()
    written, stored = run_write(lambda: attach_file(root_dir, deal_id, file, field))
    _report_written(written, output_format, f"{written.record.id}: {field} + {stored}")


@main.command()
@click.argument("directory", metavar="[DIR]", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--root", "root", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Where to make the workspace (same as DIR).")
@format_option("text", "json")
def init(directory, root, output_format):
    """Make a new workspace: the reference schema.yaml, contacts/, deals/, a .gitignore for the local cache,
    and a git repository when DIR is not inside one. Refuses a directory that already holds schema.yaml.

    \b
    Examples:
      funnel init pipeline && cd pipeline && funnel board
      funnel init .
    """
    from ..writing.scaffold import init_workspace

    target = directory or root or Path(".")
    try:
        made = init_workspace(target)
    except (WorkspaceError, OSError) as exc:
        raise click.ClickException(str(exc))
    if made.git_problem:
        output.note(f"warning: {made.git_problem}")
    if output_format == "json":
        output.write_json({"root": str(target), "created": made.created, "git_init": made.git_initialised})
        return
    lines = [f"funnel workspace in {target}: {', '.join(made.created)}"]
    if made.git_initialised:
        lines.append("git repository initialised")
    lines.append("next: funnel contact add --set name=… (see funnel --help)")
    output.write_lines(lines)
