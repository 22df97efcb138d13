"""The writing commands: contact add, deal add, set, move, win, lose, attach, init."""

from __future__ import annotations

from pathlib import Path

import click

from .. import output
from .base import Context, WritingCommand, format_option, main, root_option


# -- writing commands -----------------------------------------------------------------------------------------

def write_options(function):
    return click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
                        help="A field value, read by the field's type (repeatable).")(function)


def commit_option(function):
    return click.option("--commit/--no-commit", "commit", default=None,
                        help="Commit exactly the files this command writes, with a message in words and "
                             "Funnel-Record/Funnel-Stage trailers (default: git config funnel.commit).")(function)


def prepare_commit(commit: bool | None, root: Path, target: str | None = None):
    """The commit to make after the write, or None; whatever would make it wrong is refused before writing."""
    from ..git.commit import Committer, commit_wanted

    return Committer.prepare(root, target) if commit_wanted(root, commit) else None


def finish_commit(committer, result) -> None:
    """Commit what the write wrote (the write has released the workspace lock by now)."""
    from ..git.commit import write_message

    if committer is None:
        return
    if not result.changed:
        output.note("nothing changed, nothing to commit")
        return
    subject, trailers, body = write_message(result)
    commit_id = committer.commit(result.written, subject, trailers, body)
    output.note(f"committed {commit_id[:12]}: {subject}")


def print_result(result, output_format: str, text_line: str) -> None:
    """What a write prints: the record as `show --format json` shows it, or one line; warnings on stderr."""
    from ..model.records import record_data

    if output_format == "json":
        output.write_json(record_data(result.after, result.schema))
    else:
        output.write_lines([text_line])
    for note in result.notes:
        output.note(f"warning: {note}")


def stage_line(result) -> str:
    if result.old_stage == result.new_stage:
        return f"{result.id}: stays in {result.new_stage}"
    return f"{result.id}: {result.old_stage} → {result.new_stage}"


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


@contact.command("add", cls=WritingCommand)
@write_options
@commit_option
@root_option
@format_option("text", "json")
def contact_add(assignments, root, output_format, commit):
    """Add a contact; prints only its new id.

    \b
    Example:
      id=$(funnel contact add --set name="Иванов Пётр" --set email=ivanov@example.ru \\
             --set source=referral --set equipment_preference=no_preference --set client_type=end_customer)
    """
    from ..writing import api

    root_dir = Context(root).root()
    committer = prepare_commit(commit, root_dir)
    result = api.add_contact(root_dir, assignments)
    print_result(result, output_format, result.id)
    finish_commit(committer, result)


@deal.command("add", cls=WritingCommand)
@click.option("--contact", "contact_id", required=True, metavar="ID", help="The deal's contact (id or prefix).")
@write_options
@commit_option
@root_option
@format_option("text", "json")
def deal_add(contact_id, assignments, root, output_format, commit):
    """Add a deal in the first stage; prints only its new id.

    Without --set owner=…, the owner is FUNNEL_OWNER, else git's user.name (when either is set).

    \b
    Example:
      id=$(funnel deal add --contact c-4f8h --set title="Котельная, ЖК «Север»" --set owner=ivanov)
    """
    from ..git.repo import default_owner
    from ..writing import api

    root_dir = Context(root).root()
    if not any(text.partition("=")[0].strip() == "owner" for text in assignments):
        owner = default_owner(root_dir)
        assignments = assignments + ((f"owner={owner}",) if owner else ())
    committer = prepare_commit(commit, root_dir)
    result = api.add_deal(root_dir, contact_id, assignments)
    print_result(result, output_format, result.id)
    finish_commit(committer, result)


@main.command("set", cls=WritingCommand)
@click.argument("record_id", metavar="ID")
@click.argument("assignments", nargs=-1, metavar="FIELD=VALUE…")
@click.option("--unset", "unsets", multiple=True, metavar="FIELD", help="Remove a field (repeatable).")
@commit_option
@root_option
@format_option("text", "json")
def set_command(record_id, assignments, unsets, root, output_format, commit):
    """Change fields of a deal or a contact, validated; stages change only with move, win and lose.

    Refused, writing nothing, when a value does not fit its field or the result would break a gate or rule
    of the deal's current stage.

    \b
    Examples:
      funnel set d-7k3m amount=1250000.50 install_address="г. Казань, ул. Баумана, д. 12"
      funnel set d-7k3m categories=small,standard --unset next_action_due
    """
    from ..writing import api

    root_dir = Context(root).root()
    committer = prepare_commit(commit, root_dir, record_id)
    result = api.set_fields(root_dir, record_id, assignments, unsets)
    line = f"{result.id}: {', '.join(result.changed_fields)}" if result.changed else f"{result.id}: unchanged"
    print_result(result, output_format, line)
    finish_commit(committer, result)


# -- moving deals through the pipeline ---------------------------------------------------------------------------

@main.command(cls=WritingCommand)
@click.argument("deal_id", metavar="DEAL")
@click.argument("stage", required=False)
@click.option("--next", "step_next", is_flag=True, help="The next stage on the main path (optional stages "
                                                           "are entered by name).")
@click.option("--prev", "step_prev", is_flag=True, help="The previous stage on the main path.")
@click.option("--reopen", is_flag=True, help="Allow moving a won or lost deal back into an active stage.")
@write_options
@commit_option
@root_option
@format_option("text", "json")
def move(deal_id, stage, step_next, step_prev, reopen, assignments, root, output_format, commit):
    """Move a deal to STAGE through its gate, setting the given fields in the same step.

    On refusal every unmet requirement is named and nothing is written. Backward moves are allowed and
    recorded in history; a closed deal goes back only with --reopen.

    \b
    Examples:
      funnel move d-7k3m contract
      funnel move d-7k3m --next --set install_address="г. Казань, ул. Баумана, д. 12"
      funnel move d-7k3m proposal --reopen
    """
    from ..writing import api

    if step_next and step_prev:  # two flags, one meaning each: neither may silently win
        raise click.UsageError("--next and --prev contradict each other; give one of them")
    step = "next" if step_next else "prev" if step_prev else None
    root_dir = Context(root).root()
    committer = prepare_commit(commit, root_dir, deal_id)
    result = api.move(root_dir, deal_id, stage, step=step, assignments=assignments, reopen=reopen)
    print_result(result, output_format, stage_line(result))
    finish_commit(committer, result)


@main.command(cls=WritingCommand)
@click.argument("deal_id", metavar="DEAL")
@click.option("--reopen", is_flag=True, help="Allow winning a deal that was lost.")
@write_options
@commit_option
@root_option
@format_option("text", "json")
def win(deal_id, reopen, assignments, root, output_format, commit):
    """Close a deal as won, through the gate of the won stage.

    \b
    Example:
      funnel win d-7k3m --set postpayment_paid_on=2026-06-01
    """
    from ..writing import api

    root_dir = Context(root).root()
    committer = prepare_commit(commit, root_dir, deal_id)
    result = api.win(root_dir, deal_id, assignments=assignments, reopen=reopen)
    print_result(result, output_format, stage_line(result))
    finish_commit(committer, result)


@main.command(cls=WritingCommand)
@click.argument("deal_id", metavar="DEAL")
@click.option("--reason", required=True, help="A loss reason from schema.yaml's list.")
@click.option("--comment", required=True, help="Why the deal was lost, in words (required, non-blank).")
@write_options
@commit_option
@root_option
@format_option("text", "json")
def lose(deal_id, reason, comment, assignments, root, output_format, commit):
    """Close an open deal as lost, with a reason from the list and a comment; records the stage it was lost at.

    \b
    Examples:
      funnel lose d-7k3m --reason price --comment "Выбрали поставщика дешевле на 15%"
      funnel lose d-7k3m --reason finance_ban --comment "Долг по прошлому договору" --set finance_check=banned
    """
    from ..writing import api

    root_dir = Context(root).root()
    committer = prepare_commit(commit, root_dir, deal_id)
    result = api.lose(root_dir, deal_id, reason, comment, assignments=assignments)
    print_result(result, output_format, stage_line(result))
    finish_commit(committer, result)


@main.command(cls=WritingCommand)
@click.argument("deal_id", metavar="DEAL")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--field", default="acceptance_docs", show_default=True, help="The attachments field to record it in.")
@commit_option
@root_option
@format_option("text", "json")
def attach(deal_id, file, field, root, output_format, commit):
    """Copy FILE under deals/<id>/ and record its path and sha256 in the deal.

    \b
    Example:
      funnel attach d-7k3m ~/scans/akt-priemki.pdf
    """
    from ..writing import api

    root_dir = Context(root).root()
    committer = prepare_commit(commit, root_dir, deal_id)
    result = api.attach(root_dir, deal_id, file, field)
    print_result(result, output_format, f"{result.id}: {field} + {result.attached}")
    finish_commit(committer, result)


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
    made = init_workspace(target)
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
