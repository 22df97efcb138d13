"""The command line: parse arguments, call the model, print. Nothing else lives here."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import click

from . import __version__

from . import output
from .model.checks import Diagnostic, check_workspace, from_problem
from .store.paths import kind_of_path
from .store.workspace import WorkspaceError, find_root, load_workspace
from .model.schema import DEAL_BUILTIN_FIELDS, SchemaError, load_schema


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
    from .store.cache import HashCache

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
    if output_format == "json":
        # for scripts: always relative to the workspace root, wherever the command ran
        output.write_json([d.as_json() for d in diagnostics])
    else:
        output.write_lines(Diagnostic(shown_path(root, d.path), d.line, d.column, d.severity, d.code,
                                      d.message).format() for d in diagnostics)


# -- writing commands -----------------------------------------------------------------------------------------

# fields only the CLI maintains: stages change with move, win and lose, which append the history
PROTECTED_FIELDS = DEAL_BUILTIN_FIELDS


def write_options(function):
    return click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
                        help="A field value, read by the field's type (repeatable).")(function)


def run_write(action):
    """Run a model write, turning refusals and bad values into one clear message and exit 1."""
    from .model.values import AssignmentSyntaxError, ValueError_
    from .writing.writes import Refused

    try:
        return action()
    except AssignmentSyntaxError as exc:
        raise click.UsageError(str(exc))
    except (Refused, ValueError_, WorkspaceError) as exc:
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
    from .model.values import parse_assignments
    from .writing.writes import add_record, new_deal_values

    schema = load_schema(root_dir / "schema.yaml")
    changes = parse_assignments(schema.kind(kind), list(assignments), PROTECTED_FIELDS)
    return add_record(root_dir, kind, changes, new_deal_values if kind == "deal" else None)


def _report_written(written, output_format: str, text_line: str | None) -> None:
    from .model.records import record_data

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
    from .model.values import parse_assignments
    from .writing.writes import update_record

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
    from .model.values import parse_assignments
    from .writing.writes import resolve_references

    changes = parse_assignments(tx.schema.kind(record.kind), list(assignments), PROTECTED_FIELDS)
    resolve_references(tx, record.kind, changes)
    return changes


def _run_stage_plan(root_dir: Path, deal_id: str, make_plan, output_format: str) -> None:
    from .writing.writes import update_record

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
    from .writing.lifecycle import move_plan

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
    from .writing.lifecycle import win_plan

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
    from .writing.lifecycle import lose_plan
    from .model.schema import LOSS_REASON
    from .model.values import ValueError_, field_spec, parse_value

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
    from .writing.attachments import attach as attach_file

    root_dir = Context(root).root()
    written, stored = run_write(lambda: attach_file(root_dir, deal_id, file, field))
    _report_written(written, output_format, f"{written.record.id}: {field} + {stored}")


# -- views: show, list, board; init ----------------------------------------------------------------------------

WHERE_HELP = ("A condition FIELD OP VALUE, OP one of = != < <= > >= (repeatable, all must hold): typed by the "
              "field (amount>=1000000, created<2026-04-01); stage and choices follow the schema's order "
              "(stage>=contract); on a multi-choice field = means contains (categories=small); an empty VALUE "
              "means empty (next_action_due=); contact.FIELD reads a deal's contact (contact.source=exhibition).")


def _view_context(root):
    """The workspace loaded for a view, with today's date (FUNNEL_TODAY in tests)."""
    from .model import clock
    from .views.query import ViewContext

    root_dir = Context(root).root()
    try:
        schema = load_schema(root_dir / "schema.yaml")
        today = clock.today()
    except SchemaError as exc:
        raise click.ClickException(f"{exc} (run 'funnel check')")
    except clock.ClockError as exc:
        raise click.ClickException(str(exc))
    # views read every record: through the column cache under .funnel/ (never stale)
    return ViewContext(load_workspace(root_dir, schema, cached=True), today)


def _viewable(context, kind: str) -> list:
    """The valid records of `kind`; how many files a view had to skip goes to stderr. A deal view also reads
    contacts, so it counts skipped contacts too."""
    shown, _ = context.workspace.viewable(kind)
    _, skipped = context.workspace.viewable(None if kind == "deal" else kind)
    if skipped:
        output.note(f"{output.plural(len(skipped), 'file')} skipped (invalid); run 'funnel check'")
    return shown


def _view_conditions(schema, kind: str, conditions, owner=None, stale=False, due=False) -> list:
    """--where, --owner, --stale and --due as conditions; a malformed one is a usage error (exit 2), an
    unknown field or a value of the wrong type is refused (exit 1)."""
    from .views.query import QueryError, SyntaxError_, owner_condition, parse_where, parse_wheres

    try:
        wheres = parse_wheres(conditions, schema, kind)
        if owner is not None:
            wheres.append(owner_condition(schema, owner))
        if stale:
            wheres.append(parse_where("stale_days!=", schema, kind))
        if due:
            wheres.append(parse_where("overdue_days!=", schema, kind))
    except SyntaxError_ as exc:
        raise click.UsageError(str(exc))
    except QueryError as exc:
        raise click.ClickException(str(exc))
    return wheres


@main.command()
@click.argument("record_id", metavar="ID")
@click.option("--all", "show_all", is_flag=True, help="Every field of the schema, not only the card's.")
@root_option
@format_option("text", "json")
def show(record_id, show_all, root, output_format):
    """The card of a deal or contact: the fields in use at its stage, with labels, then its notes.

    A field not yet relevant at the deal's stage is left out; a relevant one still empty shows as "—". A
    contact's card lists its deals. ID may be any unique prefix of an id. JSON holds every field the record
    has, whatever --all says.

    \b
    Examples:
      funnel show d-7k3m
      funnel show c-4f8h --all
      funnel show d-7k3m9x2q --format json | jq .amount
    """
    from .views.cards import card_lines, record_body
    from .model.records import record_data
    from .store.workspace import resolve_id

    context = _view_context(root)
    workspace = context.workspace
    try:
        record = resolve_id(workspace, record_id)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc))
    if any(problem.severity == "error" for problem in record.problems):
        path = shown_path(workspace.root, record.path)
        output.note(f"{path}: invalid, some values are not shown; run 'funnel check {path}'")
    if output_format == "json":
        output.write_json(record_data(record, workspace.schema))
        return
    if record.kind == "contact":
        _viewable(context, "deal")
    output.write_lines(card_lines(record, workspace, context.today, show_all, record_body(workspace.root, record)))


@main.command("list")
@click.argument("kind", type=click.Choice(["deals", "contacts"]))
@click.option("--where", "conditions", multiple=True, metavar="COND", help=WHERE_HELP)
@click.option("--fields", metavar="A,B", help="Columns to print, in order: fields, contact.FIELD, or computed "
                                             "client, days_in_stage, stale_days, overdue_days.")
@click.option("--owner", metavar="NAME", help="Only deals of this owner (same as --where owner=NAME).")
@click.option("--stale", is_flag=True, help="Only deals past their stage's rot_days, with the days over.")
@click.option("--due", is_flag=True, help="Only deals whose next_action_due has passed, with the days over.")
@click.option("--no-headers", is_flag=True, help="No header row (text, csv, tsv).")
@root_option
@format_option(*output.ROW_FORMATS)
def list_records(kind, conditions, fields, owner, stale, due, no_headers, root, output_format):
    """Deals or contacts as rows, for people and for pipelines.

    Stdout carries the rows only; notes (skipped invalid files) go to stderr. JSON and JSONL hold each
    record as `show --format json` does (only the --fields when given). Filters combine: every one must hold.

    \b
    Examples:
      funnel list deals --where stage>=contract --where amount>=1000000
      funnel list deals --where contact.source=exhibition --fields id,title,amount --format csv
      funnel list deals --stale
      funnel list deals --due --owner ivanov
      funnel list contacts --where company= --format jsonl
    """
    from .views.cards import stage_order
    from .views.query import QueryError, columns, default_columns, select
    from .views.query import rows as read_rows
    from .model.records import record_data

    kind = kind[:-1]
    if kind == "contact" and (owner is not None or stale or due):
        raise click.UsageError("--owner, --stale and --due apply to deals")
    context = _view_context(root)
    schema = context.schema
    wheres = _view_conditions(schema, kind, conditions, owner, stale, due)
    try:
        chosen = columns(schema, kind, fields) if fields is not None else default_columns(schema, kind, stale, due)
    except QueryError as exc:
        raise click.ClickException(str(exc))
    records = select(_viewable(context, kind), wheres, context)
    rows = read_rows(records, chosen, context)
    if kind == "deal":
        order = sorted(range(len(records)), key=lambda i: (
            -(rows[i].get("stale_days") or 0) if stale else 0, -(rows[i].get("overdue_days") or 0) if due else 0,
            stage_order(schema, records[i]), records[i].id))
        records, rows = [records[i] for i in order], [rows[i] for i in order]
    names = [item.name for item in chosen]
    whole = fields is None and output_format in ("json", "jsonl")
    if whole:
        extra = [name for name in ("stale_days", "overdue_days") if name in names]
        rows = [{**record_data(record, schema), **{name: data[name] for name in extra}}
                for record, data in zip(records, rows)]
    if not rows and output_format == "text":
        output.note(f"no {kind}s to list")
        return
    output.write_rows(rows, names, output_format, headers=not no_headers, whole_json=whole,
                      labels={"days_in_stage": "days"},
                      right_aligned={item.name for item in chosen if item.spec.type in ("decimal", "integer")})


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Also the won and lost columns.")
@click.option("--owner", metavar="NAME", help="Only deals of this owner.")
@click.option("--where", "conditions", multiple=True, metavar="COND", help=WHERE_HELP)
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True, metavar="N",
              help="Text: at most N cards per column, the longest in stage first (0: all). Counts and sums "
                   "always cover every deal; JSON always lists every deal.")
@root_option
@format_option("text", "json")
def board(show_all, owner, conditions, limit, root, output_format):
    """The kanban of current deals: per active stage the count, the amount and the cards.

    Won and lost deals appear only with --all (as two more columns).

    Each card: id, title, company (or contact name), amount, days in stage, and "stale" (past the stage's
    rot_days) or "overdue" (past next_action_due) marks. The layout fits the terminal (COLUMNS): columns side
    by side when wide, one section per stage when narrow. Colour only on a terminal, never with NO_COLOR.

    \b
    Examples:
      funnel board
      funnel board --owner ivanov --where amount>=1000000
      funnel board --all --format json
    """
    from .views.board import board_json, build_board, render_board
    from .views.query import select

    context = _view_context(root)
    wheres = _view_conditions(context.schema, "deal", conditions, owner)
    deals = select(_viewable(context, "deal"), wheres, context)
    columns = build_board(deals, context, include_closed=show_all)
    if output_format == "json":
        output.write_json(board_json(columns))
    else:
        output.write_lines(render_board(columns, output.terminal_width(), output.colour_enabled(), limit))


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
    from .writing.scaffold import init_workspace

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


# -- reports ----------------------------------------------------------------------------------------------------

@main.command()
@click.argument("name", metavar="REPORT", type=click.Choice(("funnel", "losses", "velocity", "forecast", "payments")))
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), metavar="DATE",
              help="Count only events on or after DATE (YYYY-MM-DD); which events: see above.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), metavar="DATE",
              help="Count only events on or before DATE (YYYY-MM-DD).")
@click.option("--owner", metavar="NAME", help="Only the deals of this owner.")
@click.option("--by", "by", metavar="FIELD",
              help="One report per value of a choice or plain string field of the deal or its contact "
                   "(owner, categories, contact.source, contact.client_type); a deal with several "
                   "categories counts in each.")
@root_option
@format_option("text", "json", "jsonl", "csv", "tsv")
def report(name, since, until, owner, by, root, output_format):
    """Funnel reports: funnel, losses, velocity, forecast, payments.

    \b
      funnel    per stage: deals that reached it, conversion from the previous
                stage and from the first, open deals and amount now; won, lost,
                win rate = won / (won + lost); a chart of the funnel
      losses    lost deals by reason, by the stage they were lost at, and both,
                with shares and amounts; how many the finance/legal check banned
      velocity  median and mean days in each stage (completed visits; the open
                visit of each deal shown apart), cycle time first stage → won
      forecast  open amount per stage weighted by the stage's probability
      payments  prepayment invoices not paid and final payments awaited, with
                amounts and days waiting, oldest first; totals

    \b
    What --since/--until filter on (dates inclusive):
      funnel    the first time a deal reached each stage; won/lost: closing
      losses    closing as lost
      velocity  entering a stage; cycle time: winning
      payments  falling due: entering the invoicing stage (prepayment) or the
                final-payment stage (final payment)
      forecast  nothing: a snapshot of open deals now (no period allowed)

    json prints all of it (with --by: the report of all deals plus "groups", one report per value); csv, tsv and
    jsonl print the report's main table (with --by: a first column holding the group's value).

    \b
    Examples:
      funnel report funnel --since 2026-01-01 --until 2026-03-31
      funnel report losses --by owner --format json
      funnel report payments --format csv > awaited.csv
    """
    from .views import report_text
    from .views.reports import SNAPSHOT_REPORTS, Period, ReportError, build_report

    since, until = (since.date() if since else None), (until.date() if until else None)
    if name in SNAPSHOT_REPORTS and (since or until):
        raise click.UsageError(f"the {name} report is a snapshot of now; it takes no --since/--until")
    if since and until and since > until:
        raise click.UsageError(f"--since {since} is after --until {until}")
    context = _view_context(root)
    deals = _viewable(context, "deal")
    try:
        data = build_report(name, context.workspace, deals, context.today, Period(since, until), owner, by)
    except ReportError as exc:
        raise click.ClickException(str(exc))
    if output_format == "json":
        output.write_json(data)
    elif output_format == "text":
        output.write_lines(report_text.text_lines(name, data))
    else:
        rows, columns = report_text.table_rows(name, data)
        output.write_rows(rows, columns, output_format)


def run() -> None:
    """The console script: one command, one short process that builds many small objects and frees them all
    at exit. The cyclic garbage collector would only rescan them again and again (about a quarter of a warm
    `funnel board` at 10,000 deals), so it is off for the process; tests that call `main` keep it."""
    gc.disable()
    main()
