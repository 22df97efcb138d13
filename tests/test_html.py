"""`funnel report html`: one self-contained page laid out from the same data as board, report and show;
every value escaped; nothing loaded from anywhere; capped at 10,000 deals. (The page in a real browser:
test_html_browser.py.)"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import CONTACT, REPO, benchmark_generators, deal, full_deal

TODAY = {"FUNNEL_TODAY": "2026-11-27"}
HOSTILE = "<script>alert(1)</script>"


# -- reading the page back: a small tree, enough to find elements by id, class and attribute ----------------

class Element:
    def __init__(self, tag: str, attrs: dict, parent: "Element | None"):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def lines(self) -> list[str]:
        """The text with <br> as line breaks."""
        parts = []
        for child in self.children:
            parts.append("\n" if isinstance(child, Element) and child.tag == "br" else
                         child if isinstance(child, str) else "\n".join(child.lines()))
        return "".join(parts).split("\n")

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list["Element"]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes) and all(
                        child.attrs.get(key.replace("_", "-")) == value for key, value in attrs.items()):
                    found.append(child)
                found.extend(child.find_all(tag, cls, **attrs))
        return found

    def find(self, tag: str | None = None, cls: str | None = None, **attrs) -> "Element":
        found = self.find_all(tag, cls, **attrs)
        assert found, (tag, cls, attrs)
        return found[0]


VOID = {"meta", "br", "img", "link", "input", "hr", "rect"}


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"</{tag}> closes nothing"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(page: str) -> Element:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.current is builder.root, f"<{builder.current.tag}> left open"
    return builder.root


def page_of(run, root, *args, env=TODAY) -> str:
    result = run("report", "html", "--root", str(root), *args, env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


# -- the demo -----------------------------------------------------------------------------------------------

def test_the_demo_page_is_written_atomically_to_a_file(run, tmp_path):
    target = tmp_path / "pipeline.html"
    target.write_text("an old page")
    result = run("report", "html", "--root", str(REPO), "-o", str(target), env=TODAY)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>\n") and page.endswith("</html>\n")
    assert [p.name for p in tmp_path.iterdir()] == ["pipeline.html"]  # no temporary file left
    document = parse(page)
    for section in ("board", "funnel", "losses", "velocity", "forecast", "payments", "cards"):
        assert document.find("section", id=section)
    assert page == page_of(run, REPO).replace(_made(page_of(run, REPO)), _made(page))


def _made(page: str) -> str:
    return re.search(r"<dt>Made</dt><dd>([^<]*)</dd>", page).group(1)


def test_the_page_loads_nothing_and_runs_nothing(run):
    page = page_of(run, REPO)
    assert '<meta charset="utf-8">' in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "default-src &#x27;none&#x27;" in policy
    lowered = page.lower()
    for needle in ("<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "http://", "https://",
                   "@font-face"):
        assert needle not in lowered, needle


def test_the_board_has_one_column_per_open_stage_with_the_board_json_counts(run):
    board = json.loads(run("board", "--root", str(REPO), "--format", "json", env=TODAY).stdout)
    columns = parse(page_of(run, REPO)).find("section", id="board").find_all("section", cls="column")
    assert [(c.attrs["data-stage"], int(c.attrs["data-count"])) for c in columns] == \
        [(c["stage"], c["count"]) for c in board["columns"]]
    for column, expected in zip(columns, board["columns"]):
        assert column.find("h3").text() == expected["label"]
        assert column.find(cls="count").text() == f"{expected['count']} deal" + ("" if expected["count"] == 1 else "s")
        assert column.find(cls="colsum").find(cls="num").text() == _amount(expected["amount"])
        cards = column.find_all("li", cls="card")
        assert [card.find(cls="id").text() for card in cards] == [d["id"] for d in expected["deals"]]


def _amount(text: str) -> str:
    from decimal import Decimal

    from funnel.output import format_amount

    return format_amount(Decimal(text))


def test_the_reports_are_the_numbers_of_report_json(run):
    document = parse(page_of(run, REPO))
    funnel = json.loads(run("report", "funnel", "--root", str(REPO), "--format", "json", env=TODAY).stdout)
    rows = document.find("ol", cls="funnel").find_all("li", cls="stage")
    assert [(row.attrs["data-stage"], int(row.find(cls="reached").text())) for row in rows] == \
        [(row["stage"], row["reached"]) for row in funnel["stages"]]
    assert [row.attrs["data-stage"] for row in rows if "optional" in row.classes] == ["negotiation"]
    tiles = {tile.find(cls="tlabel").text(): tile.find(cls="tvalue").text() for tile in document.find_all(cls="tile")}
    assert tiles["Won"] == str(funnel["won"]) and tiles["Lost"] == str(funnel["lost"])
    assert tiles["Win rate"] == f"{funnel['win_rate'] * 100:.1f}%"

    losses = json.loads(run("report", "losses", "--root", str(REPO), "--format", "json", env=TODAY).stdout)
    heat = document.find("table", cls="heat")
    reasons = [th.text() for th in heat.find("thead").find_all("th", cls="reason")]
    assert len(reasons) == len(losses["by_reason"])
    for row in heat.find("tbody").find_all("tr"):
        counts = [0 if cell.text() == "·" else int(cell.text()) for cell in row.find_all("td")[:len(reasons)]]
        stage = next(s for s in losses["stages"] if s["label"] == row.find("th").text())
        assert counts == [losses["by_stage"][stage["stage"]][reason] for reason in losses["by_reason"]]
    # the customer's question, in words: 2 deals banned at the finance check, of the 33 that reached it
    banned = losses["banned"]
    headline = document.find("section", id="losses").find("p", cls="headline").text()
    assert headline.startswith("Banned at the finance/legal check: 2 deals")
    assert f"{banned['share'] * 100:.1f}% of the {banned['reached']} deals that reached Finance and legal check" \
        in headline

    payments = json.loads(run("report", "payments", "--root", str(REPO), "--format", "json", env=TODAY).stdout)
    shown = [a.text() for table in document.find("section", id="payments").find_all("table")
             for a in table.find("tbody").find_all("a")]
    assert shown == [row["deal"] for row in payments["prepayments"]["deals"] + payments["final_payments"]["deals"]]


def test_each_card_links_to_the_deal_as_show_prints_it(run):
    document = parse(page_of(run, REPO))
    links = [a.attrs["href"] for a in document.find("section", id="board").find_all("a")]
    assert links and all(link.startswith("#deal-") for link in links)
    for link in links[:6] + links[-3:]:
        section = document.find("article", id=link[1:])
        deal_id = link[len("#deal-"):]
        shown = run("show", deal_id, "--root", str(REPO), env=TODAY).stdout.rstrip("\n").split("\n")
        assert section.find("h3").find(cls="id").text() == shown[0]  # "deal d-…"
        card = []
        for row in section.find("dl").find_all("div"):
            values = row.find("dd").lines()
            card.append(f"{row.find('dt').text()}: {values[0]}")
            card.extend(values[1:])
        notes = section.find_all("pre", cls="notes")
        body = notes[0].text().split("\n") if notes else []
        expected = [re.sub(r"^(\S[^:]*:)\s+", r"\1 ", line).strip() for line in shown[1:]]
        if body:
            expected = expected[:-len(body) - 1]
        assert card == expected, deal_id
        assert body == shown[len(shown) - len(body):]


# -- hostile values ---------------------------------------------------------------------------------------

COMPANY = '"\'><img src=x onerror=alert(2)>&amp;'
CONTACT_HOSTILE = CONTACT.replace("ООО «Водоканал-Сервис»", "'" + COMPANY.replace("'", "''") + "'")
FILES = {
    "contacts/c-ivanov01.md": CONTACT_HOSTILE,
    "deals/d-script01.md": deal("d-script01", "lead", f"title: '{HOSTILE}'\ncontact: c-ivanov01\n"
                                f"owner: '<b>boss</b>'\ncreated: 2026-11-20\n",
                                body="Notes </pre><script>alert(3)</script>\n"),
    "deals/d-won00001.md": full_deal("d-won00001", "won"),
}


def test_every_value_is_escaped(run, workspace):
    root = workspace(FILES)
    page = page_of(run, root)
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
    document = parse(page)
    card = document.find("li", cls="card")
    assert card.find(cls="title").text() == HOSTILE
    assert card.find(cls="client").text() == COMPANY
    section = document.find("article", id="deal-d-script01")
    assert section.find("pre", cls="notes").text() == "Notes </pre><script>alert(3)</script>"
    assert "Owner: <b>boss</b>" in [f"{row.find('dt').text()}: {row.find('dd').text()}"
                                     for row in section.find("dl").find_all("div")]


def test_control_characters_and_bidi_overrides_are_shown_escaped(run, workspace):
    title = "Насос\x1b[31m красный \u202eреверс\u202c конец"
    root = workspace({**FILES, "deals/d-script01.md": deal(
        "d-script01", "lead", f'title: "{title.encode("unicode_escape").decode()}"\ncontact: c-ivanov01\n'
        "owner: ivanov\ncreated: 2026-11-20\n")})
    card = parse(page_of(run, root)).find("li", cls="card")
    assert card.find(cls="title").text() == "Насос\\x1b[31m красный \\u202eреверс\\u202c конец"


def test_an_owner_and_a_period_choose_what_the_page_counts(run, workspace):
    root = workspace(FILES)
    page = page_of(run, root, "--owner", "ivanov", "--since", "2026-01-01", "--until", "2026-06-30")
    document = parse(page)
    facts = {div.find("dt").text(): div.find("dd").text() for div in document.find("dl", cls="facts").find_all("div")}
    assert facts["Owner"] == "ivanov"
    assert facts["Period"].startswith("events 2026-01-01 to 2026-06-30")
    assert [int(c.attrs["data-count"]) for c in document.find_all("section", cls="column")] == [0] * 11
    assert document.find("section", id="funnel").find(cls="lead").text().startswith(
        "Funnel of the 1 deal that entered it from 2026-01-01 to 2026-06-30 (a cohort)")


def test_what_the_command_refuses(run, workspace, tmp_path):
    root = workspace(FILES)
    for args in (["--by", "owner"], ["--format", "json"], ["--since", "2026-05-01", "--until", "2026-04-01"]):
        result = run("report", "html", "--root", str(root), *args, env=TODAY)
        assert result.exit_code == 2, args
    result = run("report", "funnel", "--root", str(root), "-o", str(tmp_path / "x.html"), env=TODAY)
    assert result.exit_code == 2 and "-o FILE is for report html" in result.output
    target = tmp_path / "missing" / "x.html"
    result = run("report", "html", "--root", str(root), "-o", str(target), env=TODAY)
    assert result.exit_code == 1 and result.output == f"Error: {target}: No such file or directory\n"


def test_invalid_files_are_named_on_the_page(run, workspace):
    root = workspace({**FILES, "deals/d-broken01.md": "---\nid: d-broken01\nstage: [\n---\n"})
    warning = parse(page_of(run, root)).find("p", cls="warning").text()
    assert warning.startswith("1 file skipped as invalid")


# -- the revision -------------------------------------------------------------------------------------------

def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_COMMITTER_NAME": "A",
                        "GIT_COMMITTER_EMAIL": "a@example.com", "HOME": str(root), "PATH": "/usr/bin:/bin"})


def revision(page: str) -> str:
    return re.search(r"<dt>Revision</dt><dd>([^<]*)</dd>", page).group(1)


def test_the_header_names_the_revision(run, workspace):
    root = workspace(FILES)
    assert revision(page_of(run, root)) == "not in a git repository"
    (root / ".gitignore").write_text(".*.tmp\n")  # as `funnel init` writes it
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "demo")
    git(root, "tag", "v2026-Q4")
    assert revision(page_of(run, root)) == "v2026-Q4"
    edited = FILES["deals/d-script01.md"].replace(HOSTILE, "Котельная, ЖК «Новый»").replace("Notes", "Заметки")
    (root / "deals" / "d-script01.md").write_text(edited, encoding="utf-8")
    page = page_of(run, root)
    assert revision(page) == "v2026-Q4-dirty"
    card = parse(page).find("article", id="deal-d-script01")
    assert card.find("h3").text() == "deal d-script01 Котельная, ЖК «Новый»"
    assert card.find("pre").text().startswith("Заметки")
    # --at: the page of the commit, bodies included, read from git; the working tree untouched
    page = page_of(run, root, "--at", "v2026-Q4")
    assert revision(page) == "v2026-Q4"
    card = parse(page).find("article", id="deal-d-script01")
    assert card.find("h3").text() == f"deal d-script01 {HOSTILE}"
    assert card.find("pre").text().startswith("Notes")
    assert (root / "deals" / "d-script01.md").read_text(encoding="utf-8") == edited


# -- a big workspace ----------------------------------------------------------------------------------------

def test_a_big_workspace_shows_the_capped_board_and_cards_only_for_what_is_shown(run, tmp_path):
    generate, _ = benchmark_generators()
    root = tmp_path / "big"
    generate(root, 1500)
    page = page_of(run, root)
    board = json.loads(run("board", "--root", str(root), "--format", "json", env=TODAY).stdout)
    document = parse(page)
    linked = set()
    for column, expected in zip(document.find_all("section", cls="column"), board["columns"]):
        cards = column.find_all("li", cls="card")
        assert len(cards) == min(20, expected["count"])
        assert [card.find(cls="id").text() for card in cards] == [d["id"] for d in expected["deals"][:20]]
        more = column.find_all("p", cls="more")
        assert [p.text().split(" ")[0] for p in more] == ([f"+{expected['count'] - 20}"] if expected["count"] > 20
                                                           else [])
        linked |= {card.find(cls="id").text() for card in cards}
    payments = document.find("section", id="payments")
    for table in payments.find_all("table"):
        assert len(table.find("tbody").find_all("tr")) <= 50
    linked |= {a.text() for a in payments.find_all("a")}
    assert {article.attrs["id"][len("deal-"):] for article in document.find_all("article", cls="deal")} == linked
    assert len(linked) <= 11 * 20 + 2 * 50


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_a_period_is_a_date(run, option):
    result = run("report", "html", "--root", str(REPO), option, "March", env=TODAY)
    assert result.exit_code == 2
