"""funnel import contacts|deals [FILE|-]: rows from csv/tsv/json/jsonl, all or nothing."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from .. import output
from .base import Context, WritingCommand, format_option, main, root_option
from .writing import commit_option, prepare_commit

LARGE = 2000  # rows: a progress bar on a terminal from this many on


@main.command("import", cls=WritingCommand)
@click.argument("kind", type=click.Choice(["contacts", "deals"]))
@click.argument("file", metavar="[FILE|-]", required=False, default="-")
@click.option("--input-format", type=click.Choice(["csv", "tsv", "json", "jsonl"]),
              help="The file's format (default: from its extension, else its content).")
@click.option("--encoding", metavar="ENC", help="The file's text encoding (default UTF-8, with or without BOM; "
                                                 "cp1251 for many Russian spreadsheet exports).")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Feed FIELD from COLUMN (columns named like a field's id or label need none); "
                   "COLUMN=- skips the column (repeatable).")
@click.option("--value", "values", multiple=True, metavar="FIELD:FROM=TO",
              help="Translate a source value, for stages and choices (--value stage:Closed Won=won) (repeatable).")
@click.option("--date-format", metavar="FMT", help="strftime form of the source's dates (%m/%d/%Y, %d.%m.%Y); "
                                                   "default ISO YYYY-MM-DD.")
@click.option("--decimal-comma", is_flag=True, help="Numbers like 1 250 000,50.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="A value for every row that leaves FIELD empty (repeatable).")
@click.option("--key", metavar="FIELD", help="A natural key: a row whose key matches a record updates it "
                                             "(only what differs) instead of creating another; re-runs change nothing.")
@click.option("--contact-key", metavar="FIELD", help="Deals: the contact column holds this contact field's value "
                                                     "(an e-mail, an account's name) instead of an id.")
@click.option("--history", "histories", multiple=True, metavar="STAGE=COLUMN",
              help="Deals: COLUMN holds the date the deal entered STAGE; kept as history (repeatable).")
@click.option("--historical", is_flag=True, help="Deals that lived their stages elsewhere: gates up to the stage "
                                                 "held at import are not enforced; records imported_from/imported_at.")
@click.option("--dry-run", is_flag=True, help="Validate everything and say what would change; write nothing.")
@commit_option
@root_option
@format_option("text", "json")
def import_command(kind, file, input_format, encoding, maps, values, date_format, decimal_comma, sets, key,
                   contact_key, histories, historical, dry_run, commit, root, output_format):
    """Import contacts or deals from FILE (or - for stdin): all or nothing.

    Columns feed the fields they are named after (id or label, any case, any language) or --map says. If any
    row is invalid, every bad row is named (FILE:LINE: field: message, the line where the row starts) and
    nothing is written. With --key, running the same import again changes no byte.

    \b
    Examples:
      funnel import contacts clients.csv --key email
      funnel import deals sales.csv --map sales_agent=owner --contact-key name \\
        --date-format %m/%d/%Y --history engaging=engage_date --history won=close_date \\
        --history lost=close_date --historical --key opportunity
      funnel list deals --format jsonl --body | funnel import deals - --root ../copy
    """
    from ..importing.importer import ImportRefused, import_records
    from ..importing.mapping import ImportOptions
    from ..importing.sources import check_encoding

    root_dir = Context(root).root()
    if encoding:
        check_encoding(encoding)
    data, name = _read_source(file)
    committer = prepare_commit(commit, root_dir) if not dry_run else None
    options = ImportOptions(kind[:-1], list(maps), list(values), list(sets), list(histories), date_format,
                            decimal_comma, key, contact_key, historical, dry_run)
    with contextlib.ExitStack() as stack:
        try:
            summary = import_records(root_dir, data, name, options, input_format, encoding,
                                     _progress(stack) if sys.stderr.isatty() else None,
                                     committer.refuse_dirty if committer is not None else None)
        except ImportRefused as exc:
            stack.close()  # the bar's line ends before the problems
            output.write_lines((output.terminal_safe(line) for line in exc.problems), sys.stderr)
            _warn_unmapped(exc.unmapped)
            raise
    _warn_unmapped(summary.unmapped)
    _report(summary, output_format)
    if committer is not None:
        _commit(committer, summary, kind, name)


def _warn_unmapped(columns: list[str]) -> None:
    if columns:
        output.note(output.terminal_safe(
            f"warning: not imported, no field matches: {', '.join(columns)} "
            "(--map COLUMN=FIELD to import one, --map COLUMN=- to skip it)"))


def _commit(committer, summary, kind: str, name: str) -> None:
    """One commit of every file the import wrote (after the lock is released, as every --commit)."""
    paths = [planned.path for planned in summary.records if planned.action in ("create", "update")]
    if not summary.written or not paths:
        output.note("nothing changed, nothing to commit")
        return
    source = "stdin" if name == "stdin" else Path(name).name
    subject = f"import {kind} from {source}: {summary.created} created, {summary.updated} updated"
    commit_id = committer.commit(paths, subject, {"Funnel-Import": source})
    output.note(output.terminal_safe(f"committed {commit_id[:12]}: {subject}"))


def _read_source(file: str) -> tuple[bytes, str]:
    if file == "-":
        return sys.stdin.buffer.read(), "stdin"
    try:
        with open(file, "rb") as handle:
            return handle.read(), file
    except OSError as exc:
        raise click.ClickException(f"{file}: {exc.strerror}")


def _progress(stack: contextlib.ExitStack):
    """A progress bar on stderr for a large file (a terminal only: never in a pipeline)."""

    def start(total: int):
        if total < LARGE * 3:
            return lambda count: None
        bar = stack.enter_context(click.progressbar(length=total, label="importing", file=sys.stderr))
        return bar.update

    return start


def _report(summary, output_format: str) -> None:
    if output_format == "json":
        output.write_json({
            "created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged,
            "dry_run": summary.dry_run, "written": summary.written,
            "records": [{"line": p.line, "action": p.action, "id": p.record_id, "path": p.path,
                         **({"fields": p.fields} if p.action == "update" else {})} for p in summary.records],
        })
        return
    lines = []
    if summary.dry_run:
        for planned in summary.records:
            if planned.action == "create":
                lines.append(f"would create {planned.path} (line {planned.line})")
            elif planned.action == "update":
                lines.append(f"would update {planned.path} (line {planned.line}): {', '.join(planned.fields)}")
    counts = f"{summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged"
    lines.append(f"dry run: {counts}; nothing written" if summary.dry_run else counts)
    output.write_lines(lines)
