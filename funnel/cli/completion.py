"""Shell completion: `funnel completion bash|zsh|fish` prints the script; what completes comes from the schema and
the workspace (views/completion.py), attached to every command's parameters by the parameter's name.

bash splits words at `=` (COMP_WORDBREAKS), so `set D categories=sm<TAB>` would reach click as three words; our
bash script hands over the command line itself instead, and strips from each answer the part bash counts as an
earlier word. zsh and fish keep `FIELD=VALUE` whole, and show descriptions (a deal's title beside its id).
"""

from __future__ import annotations

import os

import click
from click.shell_completion import (BashComplete, CompletionItem, FishComplete, ZshComplete, add_completion_class,
                                    split_arg_string)

from .base import main
from ..output import one_line, terminal_safe

COMPLETE_VAR = "_FUNNEL_COMPLETE"

_BASH_SOURCE = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local line="${COMP_LINE:0:COMP_POINT}"
    local word="${line##*[[:space:]]}"
    local cur="${COMP_WORDS[COMP_CWORD]}"
    [[ $cur == "=" || $cur == ":" ]] && cur=""
    local prefix="${word%%"$cur"}"
    local response
    response=$(env COMP_LINE="$line" %(complete_var)s=bash_complete $1)
    for completion in $response; do
        IFS=',' read type value <<< "$completion"
        if [[ $type == 'dir' ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == 'file' ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == 'plain' ]]; then
            [[ $value == *= || $value == *, ]] && compopt -o nospace
            COMPREPLY+=("${value#"$prefix"}")
        fi
    done
    return 0
}

%(complete_func)s_setup() {
    complete -o nosort -F %(complete_func)s %(prog_name)s
}

%(complete_func)s_setup;
"""


# the words before the one being completed: click parses them into ctx.params, but gives up on all of them when
# the last is an option still waiting for its value (`list contacts --fields <TAB>`), so the kind is read here
_typed_words: list[str] = []


class RememberingWords:
    def get_completions(self, args, incomplete):
        _typed_words[:] = args
        return super().get_completions(args, incomplete)


class LineBashComplete(RememberingWords, BashComplete):
    """bash completion that reads the command line up to the cursor, so `FIELD=VALUE` stays one word."""

    source_template = _BASH_SOURCE

    def get_completion_args(self) -> tuple[list[str], str]:
        line = os.environ.get("COMP_LINE", "")
        words = split_arg_string(line)
        if not line or line[-1].isspace():
            return words[1:], ""
        return words[1:-1], words[-1] if words else ""


class WordsZshComplete(RememberingWords, ZshComplete):
    pass


class WordsFishComplete(RememberingWords, FishComplete):
    pass


add_completion_class(LineBashComplete, "bash")
add_completion_class(WordsZshComplete, "zsh")
add_completion_class(WordsFishComplete, "fish")


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell):
    """Print the shell completion script: commands, options, ids, stages, fields, values, loss reasons, owners.

    \b
    Examples (enable it: put the line in ~/.bashrc, ~/.zshrc or fish's config):
      eval "$(funnel completion bash)"
      eval "$(funnel completion zsh)"
      funnel completion fish | source
    """
    from click.shell_completion import get_completion_class

    complete = get_completion_class(shell)(main, {}, "funnel", COMPLETE_VAR)
    click.echo(complete.source(), nl=False)


# -- what each parameter completes to ---------------------------------------------------------------------------

def _root(ctx: click.Context):
    """The workspace root the command line being completed names (--root, FUNNEL_ROOT, or the current one)."""
    from ..store.workspace import find_root

    root = None
    while ctx is not None and root is None:
        root = ctx.params.get("root")
        ctx = ctx.parent
    return find_root(explicit=root)


def _schema(ctx: click.Context):
    """The schema alone: stages, fields and values need no record."""
    from ..store.schematree import workspace_schema

    return workspace_schema(_root(ctx))


def _kind_of(ctx: click.Context, default: str = "deal") -> str:
    """Which kind a command's fields belong to: `list contacts`, `contact add`, or an id's prefix."""
    if ctx.params.get("kind") in ("contacts", "deals"):
        return ctx.params["kind"][:-1]
    if ctx.command.name == "list":
        return "contact" if "contacts" in _typed_words else "deal"
    if ctx.parent is not None and ctx.parent.command.name == "contact":
        return "contact"
    record_id = ctx.params.get("record_id") or next((w for w in _typed_words if w.startswith(("c-", "d-"))), None)
    if isinstance(record_id, str) and record_id.startswith("c-"):
        return "contact"
    return default


def _items(pairs) -> list[CompletionItem]:
    # a description (a deal's title) is shown by the shell on the terminal, and its protocol is one line each
    return [CompletionItem(value, help=terminal_safe(one_line(help)) if help else None) for value, help in pairs]


def _suggest(name: str, ctx: click.Context, typed: str):
    """The (value, description) pairs the parameter `name` completes to (imports the model only when asked)."""
    from ..model.schema import DEAL_BUILTIN_FIELDS
    from ..views import completion as suggest

    if name in ("record_id", "deal_id", "contact_id"):
        return suggest.record_ids(_root(ctx), _schema(ctx), typed,
                                  {"deal_id": "deal", "contact_id": "contact"}.get(name))
    schema = _schema(ctx)
    if name == "owner":
        return suggest.owners(_root(ctx), schema, typed)
    if name == "stage":
        return suggest.stages(schema, typed)
    if name == "reason":
        return suggest.loss_reasons(schema, typed)
    if name == "by":
        return suggest.split_fields(schema, typed)
    if name == "fields":
        return suggest.field_list(schema, _kind_of(ctx), typed)
    if name == "conditions":
        return suggest.conditions(schema, _kind_of(ctx), typed)
    found = suggest.assignments(schema.kind(_kind_of(ctx)), typed, DEAL_BUILTIN_FIELDS)
    if name == "unsets":
        return [(value[:-1], help) for value, help in found if value.endswith("=")]
    return found


COMPLETED = ("record_id", "deal_id", "contact_id", "stage", "reason", "owner", "by", "fields", "conditions",
             "assignments", "unsets")


def _answering(name: str):
    """A click shell_complete callback for the parameter `name`; a workspace that cannot be read completes to
    nothing (completion never prints an error into someone's command line)."""
    def callback(ctx, param, incomplete):
        try:
            return _items(_suggest(name, ctx, incomplete))
        except Exception:  # noqa: BLE001 - a broken workspace must not break the shell
            return []
    return callback


def attach_completers(group: click.Group) -> None:
    """Give every parameter named in COMPLETED its completion, in every command of `group`."""
    def visit(command: click.Command) -> None:
        for param in command.params:
            if param.name in COMPLETED and getattr(param, "_custom_shell_complete", None) is None:
                param._custom_shell_complete = _answering(param.name)
        for sub in getattr(command, "commands", {}).values():
            visit(sub)

    visit(group)
