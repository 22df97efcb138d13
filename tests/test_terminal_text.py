"""Text that reaches a terminal: control characters from files and arguments are shown escaped in every text
view and message; pipelines (json, jsonl, csv, tsv) keep values exact; output errors are one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import CONTACT, deal, full_deal

HOSTILE = "Bad\x1b[2J\x1b]0;pwned\x07 \x9b31m \u202eevil\u202c\rend"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\r")


def _raw_free(text: str) -> bool:
    return not any(ch in text for ch in RAW)


def test_terminal_safe_escapes_every_kind_of_control():
    from funnel.output import terminal_safe

    assert terminal_safe(HOSTILE) == "Bad\\x1b[2J\\x1b]0;pwned\\x07 \\x9b31m \\u202eevil\\u202c\\x0dend"
    assert terminal_safe("\u2066x\u2069\x7f\x00") == "\\u2066x\\u2069\\x7f\\x00"
    assert terminal_safe("Иванов\tПётр\nстрока") == "Иванов\tПётр\nстрока"  # text, tabs and line breaks stay
    assert terminal_safe(terminal_safe(HOSTILE)) == terminal_safe(HOSTILE)  # idempotent
    assert terminal_safe(b"caf\xff".decode("utf-8", "surrogateescape")) == "caf\\xff"


def test_a_cut_never_falls_inside_an_escape():
    from funnel.output import truncate, wrap

    for width in range(1, 40):
        assert _raw_free(truncate(HOSTILE, width))
        assert all(_raw_free(line) for line in wrap(HOSTILE, width))


@pytest.fixture
def hostile(workspace):
    contact = CONTACT.replace("company: ООО «Водоканал-Сервис»", f"company: \"{HOSTILE.encode('unicode_escape').decode()}\"")
    deal = full_deal("d-hostile1", "proposal").replace("title: Насосная станция, ЖК «Северный»",
                                                     f"title: \"{HOSTILE.encode('unicode_escape').decode()}\"")
    deal = deal.replace("---\n", "---\n", 1)
    deal = deal[:-4] + "---\nnotes \x1b]0;owned\x07 here\n"
    return workspace({"contacts/c-ivanov01.md": contact, "deals/d-hostile1.md": deal})


@pytest.mark.parametrize("args", [
    ("board",), ("board", "--all"), ("show", "d-hostile1"), ("show", "d-hostile1", "--all"), ("show", "c-ivanov01"),
    ("list", "deals"), ("list", "deals", "--fields", "id,title,contact.company"), ("list", "contacts"),
    ("report", "funnel", "--by", "contact.company"), ("report", "forecast", "--by", "contact.company"),
    ("report", "losses", "--by", "contact.company"),
])
def test_text_views_show_control_characters_escaped(hostile, run, args):
    for columns in ("30", "60", "200"):
        result = run(*args, "--root", str(hostile), env={"COLUMNS": columns})
        assert result.exit_code == 0, result.output
        assert _raw_free(result.stdout) and _raw_free(result.stderr), (columns, result.stdout)
    if args[0] in ("board", "show") or "--fields" in args:
        assert "\\x1b" in result.stdout  # at 200 columns


@pytest.mark.parametrize("output_format", ["json", "jsonl", "csv", "tsv"])
def test_pipelines_keep_values_exact(hostile, run, output_format):
    result = run("list", "deals", "--root", str(hostile), "--fields", "id,title", "--format", output_format)
    assert result.exit_code == 0
    if output_format == "json":
        assert json.loads(result.stdout)[0]["title"] == HOSTILE
    elif output_format == "jsonl":
        assert json.loads(result.stdout.splitlines()[0])["title"] == HOSTILE
    else:
        assert HOSTILE.replace("\r", "") in result.stdout.replace("\r", "")


def test_check_and_error_messages_are_escaped(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-aaaa0001.md": "---\nid: d-aaaa0001\nstage: \"le\\e]0;x\\aad\"\n---\n"})
    result = run("check", "--root", str(root))
    assert result.exit_code == 1
    assert "\\x1b]0;x\\x07" in result.stdout and _raw_free(result.stdout)
    refused = run("move", "d-aaaa0001", "ne\x1b[2Jeds", "--root", str(root))
    assert refused.exit_code != 0 and _raw_free(refused.output)
    refused = run("set", "c-ivanov01", "source=web\x9bsite", "--root", str(root))
    assert refused.exit_code == 1 and "web\\x9bsite" in refused.output and _raw_free(refused.output)
    missing = run("show", "zz\x1b[2J", "--root", str(root))
    assert missing.exit_code == 1 and _raw_free(missing.output)


def test_invalid_utf8_argument_is_a_one_line_usage_error(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    bad = b"bad\xffbyte".decode("utf-8", "surrogateescape")
    for args, named in [(("set", "c-ivanov01", f"name={bad}"), "name"),
                        (("set", "c-ivanov01", "--unset", bad), "--unset"),
                        (("list", "deals", f"--where=title={bad}"), "--where"),
                        (("show", bad), "'bad\\xffbyte'")]:
        result = run(*args, "--root", str(root))
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().splitlines() == [f"Error: {named}: the value is not valid UTF-8 (check the "
                                                      "terminal's or the file's encoding)"]
    assert "Иванов" in (root / "contacts/c-ivanov01.md").read_text(encoding="utf-8")


def _funnel(args, root, **kwargs):
    return subprocess.run([sys.executable, "-m", "funnel", *args, "--root", str(root)], **kwargs)


def test_a_full_disk_is_one_line_and_a_failure(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "proposal")})
    for args in (["list", "deals"], ["list", "deals", "--format", "json"], ["show", "d-aaaa0001"], ["board"]):
        with open("/dev/full", "w") as full:
            done = _funnel(args, root, stdout=full, stderr=subprocess.PIPE, text=True)
        assert done.returncode == 1
        assert done.stderr == "Error: cannot write the output: No space left on device\n"


def test_a_closed_pipe_ends_quietly(workspace):
    files = {"contacts/c-ivanov01.md": CONTACT}
    files.update({f"deals/d-aaaa{n:04d}.md": full_deal(f"d-aaaa{n:04d}", "proposal") for n in range(600)})
    root = workspace(files)
    # more output than a pipe buffers, so the writer meets the closed pipe
    for args in (["list", "deals", "--fields", "id,title,needs,install_address"], ["list", "deals", "--format", "jsonl"]):
        process = subprocess.Popen([sys.executable, "-m", "funnel", *args, "--root", str(root)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read()
        assert process.wait() in (0, 1)  # 0 when the kernel took all of it before the reader closed
        assert stderr == b""


def test_a_pipe_closed_before_anything_was_written_ends_quietly(workspace):
    """`funnel list deals | head -0`: the reader is gone before the first byte, so even the last flush at exit
    meets a closed pipe (which printed "Exception ignored … BrokenPipeError")."""
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "proposal")})
    for args in (["list", "deals"], ["show", "d-aaaa0001"], ["board"], ["check"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # no reader at all
        process = subprocess.Popen([sys.executable, "-m", "funnel", *args, "--root", str(root)],
                                   stdout=write_end, stderr=subprocess.PIPE)
        os.close(write_end)
        stderr = process.stderr.read()
        assert process.wait() in (0, 1), (args, stderr)
        assert b"Exception" not in stderr and b"Traceback" not in stderr and b"Error" not in stderr, (args, stderr)


def test_file_names_that_are_not_utf8_stay_valid_json(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    os.mkdir(os.path.join(bytes(root), b"deals/sub"))
    with open(os.path.join(bytes(root), b"deals/d-bad\xff\x1b.md"), "wb") as handle:
        handle.write(b"---\nid: d-bad\nstage: lead\n---\n")
    with open(os.path.join(bytes(root), b"deals/sub/n\xfe.md"), "wb") as handle:
        handle.write(b"x")
    done = _funnel(["check", "--format", "json"], root, capture_output=True)
    assert done.returncode == 1
    found = json.loads(done.stdout.decode("utf-8"))  # valid UTF-8 and valid JSON
    paths = {item["path"] for item in found}
    assert "deals/d-bad\\xff\x1b.md" in paths and "deals/sub/n\\xfe.md" in paths
    text = _funnel(["check"], root, capture_output=True)
    assert b"deals/d-bad\\xff\\x1b.md" in text.stdout and b"\x1b" not in text.stdout


def test_the_board_keeps_its_own_colours_and_escapes_the_values(hostile):
    """On a terminal the board paints its headings and marks; a value's escape sequence is still escaped."""
    import pty

    main_fd, child_fd = pty.openpty()
    env = dict(os.environ, COLUMNS="200")
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "funnel", "board", "--root", str(hostile)],
                               stdout=child_fd, stderr=subprocess.PIPE, env=env)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait()
    os.close(main_fd)
    shown = b"".join(chunks).decode("utf-8")
    assert "\x1b[1m" in shown  # funnel's own bold heading
    assert "\x1b[2J" not in shown and "\x1b]0;" not in shown and "\x07" not in shown
    assert "\\x1b[2J" in shown


def test_a_line_break_in_a_file_name_cannot_forge_a_diagnostic(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/x\ndeals/d-fake0001.md:1:1: error: forged [x].md": "---\nid: d-aaaa0001\n---\n"})
    result = run("check", "--root", str(root))
    assert not any(line.startswith("deals/d-fake0001.md") for line in result.stdout.splitlines())
    assert "deals/x\\ndeals/d-fake0001.md:1:1: error: forged [x].md:" in result.stdout


def test_completion_descriptions_are_one_safe_line(workspace, monkeypatch):
    """zsh and fish show a deal's title beside its id: a title is a value like any other."""
    from click.shell_completion import get_completion_class

    from funnel.cli import main

    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": deal(
        "d-aaaa0001", "lead", "title: \"Evil\\e]0;pwned\\a\\nsecond line\"\ncontact: c-ivanov01\nowner: a\n")})
    monkeypatch.chdir(root)
    completer = get_completion_class("zsh")(main, {}, "funnel", "_FUNNEL_COMPLETE")
    helps = [item.help for item in completer.get_completions(["show"], "d-")]
    assert helps == ["Evil\\x1b]0;pwned\\x07 second line"]


def test_json_is_written_in_batches_equal_to_the_whole_text():
    import io

    from funnel.output import json_text, write_json

    # more than one batch of the encoder's pieces, a surrogate (a file name that was not UTF-8) among them
    data = {"deals": [{"id": f"d-{n:08d}", "name": "Иванов \udcff" if n == 5000 else "Пётр", "n": n}
                      for n in range(10000)]}
    stream = io.StringIO()
    write_json(data, stream)
    assert stream.getvalue() == json_text(data, indent=2) + "\n"
    assert "\\\\xff" in stream.getvalue() and "\udcff" not in stream.getvalue()
