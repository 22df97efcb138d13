"""The page of `funnel report html` in a real browser: Debian's headless Chromium, driven by Playwright for Python
(launched with `executable_path`, never `playwright install`). Without the browser or Playwright these tests skip
on a developer's machine and fail under CI (the environment variable CI set), where .ci/run installs Chromium.

Screenshots at 1280 and 390 px wide land in tests/output/ (git-ignored), for a person to look at."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import CONTACT, REPO, deal

TODAY = {"FUNNEL_TODAY": "2026-11-27"}
CHROMIUM = os.environ.get("FUNNEL_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OUTPUT = Path(__file__).resolve().parent / "output"
HOSTILE = "<script>alert(1)</script>"


def unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs Debian's chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """A function launching Debian's Chromium with a fresh profile (options: Playwright's context options)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    contexts = []
    with sync_playwright() as playwright:
        def launch(**options):
            contexts.append(playwright.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, args=FLAGS,
                headless=True, **options))
            return contexts[-1]

        try:
            yield launch
        finally:
            for context in contexts:
                context.close()


@pytest.fixture(scope="module")
def browser(chromium):
    """One Chromium for the module; no request ever leaves a page (see `Visit`)."""
    return chromium(viewport={"width": 1280, "height": 900})


class Visit:
    """A page opened on one file: every request it makes and every console error it logs, recorded."""

    def __init__(self, context, path: Path):
        self.page = context.new_page()
        self.document = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("request", lambda request: self.requests.append(request.url))
        # nothing may leave the page: the page itself and data: URLs pass, anything else is refused
        self.page.route("**/*", lambda route: route.continue_() if route.request.url == self.document
                        or route.request.url.startswith("data:") else route.abort())

    def open(self, width: int, height: int = 900):
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.goto(self.document, wait_until="load")
        return self.page

    def left_the_page(self) -> list[str]:
        return [url for url in self.requests if url != self.document and not url.startswith("data:")]

    def close(self):
        self.page.close()


@pytest.fixture
def open_page(browser):
    visits = []

    def visit(path: Path) -> Visit:
        visits.append(Visit(browser, path))
        return visits[-1]

    yield visit
    for one in visits:
        one.close()


def screenshot(page, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / name
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    from click.testing import CliRunner

    from funnel.cli import main

    path = tmp_path_factory.mktemp("page") / "pipeline.html"
    result = CliRunner().invoke(main, ["report", "html", "--root", str(REPO), "-o", str(path)], env=TODAY)
    assert result.exit_code == 0, result.output
    return path


def test_the_demo_page_in_chromium(open_page, demo_page, run):
    visit = open_page(demo_page)
    page = visit.open(1280)
    screenshot(page, "pipeline-1280.png")
    assert visit.errors == []
    assert visit.left_the_page() == []
    # one column per open stage, with the counts, sums and cards of `board --format json`
    board = json.loads(run("board", "--root", str(REPO), "--format", "json", env=TODAY).stdout)
    columns = page.eval_on_selector_all("#board .column", """columns => columns.map(column => ({
        stage: column.dataset.stage, label: column.querySelector('h3').innerText,
        count: column.querySelector('.count').innerText, cards: column.querySelectorAll('.card').length}))""")
    assert [column["stage"] for column in columns] == [column["stage"] for column in board["columns"]]
    assert len(columns) == 11
    for shown, expected in zip(columns, board["columns"]):
        assert shown["label"] == expected["label"]
        assert shown["count"] == f"{expected['count']} deal" + ("" if expected["count"] == 1 else "s")
        assert shown["cards"] == expected["count"]
    # at 1280 px the board lays several columns side by side
    lefts = page.eval_on_selector_all("#board .column", "columns => columns.map(c => c.getBoundingClientRect().left)")
    assert len(set(lefts)) >= 4
    # a card's title leads to that deal's card
    first = board["columns"][1]["deals"][0]["id"]
    page.click(f"#board .card a[href='#deal-{first}']")
    assert page.evaluate("location.hash") == f"#deal-{first}"
    assert page.is_visible(f"#deal-{first}")
    assert page.inner_text(f"#deal-{first} h3 .id") == f"deal {first}"


def test_at_phone_width_one_column_and_nothing_overflows(open_page, demo_page):
    visit = open_page(demo_page)
    page = visit.open(390, 844)
    screenshot(page, "pipeline-390.png")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.evaluate("innerWidth")
    lefts = page.eval_on_selector_all("#board .column", "columns => columns.map(c => c.getBoundingClientRect().left)")
    assert len(set(lefts)) == 1
    # nothing on the page pokes out of the viewport, nor out of the box that holds it
    wider = page.evaluate("""() => [...document.querySelectorAll('main *')].filter(element => {
        const box = element.getBoundingClientRect();
        return box.width > 0 && (box.right > innerWidth + 0.5 || box.left < -0.5);
    }).map(element => element.tagName + '.' + element.className)""")
    assert wider == []
    assert visit.errors == [] and visit.left_the_page() == []


def test_at_1920_px_the_board_uses_the_width(open_page, demo_page):
    visit = open_page(demo_page)
    page = visit.open(1920, 1080)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.evaluate("innerWidth")
    lefts = page.eval_on_selector_all("#board .column", "columns => columns.map(c => c.getBoundingClientRect().left)")
    assert len(set(lefts)) >= 7


def test_printing_keeps_cards_whole_and_drops_the_navigation(open_page, demo_page):
    visit = open_page(demo_page)
    page = visit.open(1280)
    page.emulate_media(media="print")
    styles = page.evaluate("""() => ({
        nav: getComputedStyle(document.querySelector('nav')).display,
        card: getComputedStyle(document.querySelector('.card')).breakInside,
        deal: getComputedStyle(document.querySelector('.deal')).breakInside,
        heading: getComputedStyle(document.querySelector('.column h3')).breakAfter,
        board: getComputedStyle(document.querySelector('.board')).display})""")
    assert styles == {"nav": "none", "card": "avoid", "deal": "avoid", "heading": "avoid", "board": "block"}
    # an A4 page with 12 mm margins is about 700 CSS pixels wide: every table fits it, none is cut
    page.set_viewport_size({"width": 700, "height": 1000})
    assert page.evaluate("""() => [...document.querySelectorAll('main table')].filter(
        table => table.getBoundingClientRect().right > innerWidth + 0.5).length""") == 0
    OUTPUT.mkdir(exist_ok=True)
    pdf = OUTPUT / "pipeline.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.stat().st_size > 10_000


def test_a_script_in_a_title_is_shown_as_text(open_page, workspace, run, tmp_path):
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "deals/d-script01.md": deal("d-script01", "lead", f"title: '{HOSTILE}'\ncontact: c-ivanov01\n"
                                    "owner: ivanov\ncreated: 2026-11-20\n", body=f"{HOSTILE}\n"),
    })
    path = tmp_path / "page.html"
    assert run("report", "html", "--root", str(root), "-o", str(path), env=TODAY).exit_code == 0
    visit = open_page(path)
    page = visit.open(1280)
    assert page.inner_text("#board .card .title") == HOSTILE
    assert page.inner_text("#deal-d-script01 pre.notes") == HOSTILE
    assert page.evaluate("document.scripts.length") == 0
    assert visit.dialogs == [] and visit.errors == [] and visit.left_the_page() == []


def test_the_page_works_with_scripts_off(chromium, demo_page):
    """Nothing on the page needs a script: with JavaScript off the board and the reports are all there."""
    page = chromium(java_script_enabled=False).new_page()
    page.goto(demo_page.resolve().as_uri())
    assert page.locator("#board .column").count() == 11
    assert page.locator("#board .card").count() == 26
    assert page.locator("#losses table.heat tbody tr").count() == 11
    assert page.locator("article.deal").count() == 26
