"""The web app in a real browser (Debian's chromium driven by Playwright).

The tests share one app (and its index) and one browser, but each opens its own page, so each is a
session of its own and they pass in any order: ask, stop, summarise, add releases, and check that a
hostile release renders as text. Every page is watched for dialogs and for requests beyond this
machine. Each test saves screenshots to test-artifacts/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from ui_fixtures import (  # noqa: F401
    NEW_RELEASE,
    XSS_RELEASE,
    RunningApp,
    artifacts,
    ui_app,
    ui_engine,
    ui_index_dir,
)

from tests.conftest import SAMPLES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
GENERATION_TIMEOUT_MS = 300_000  # a short answer on a busy 2-core CI machine; the model loads on first use

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
]


class Watch:
    """What the page did that it must not: open dialogs, or reach beyond this machine."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.external: list[str] = []
        self.local: list[str] = []

    def on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_request(self, request) -> None:
        host = urlparse(request.url).hostname
        if not request.url.startswith(("http:", "https:", "ws:", "wss:")):
            return
        (self.local if host in ("127.0.0.1", "localhost") else self.external).append(request.url)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser, ui_app: RunningApp, watch: Watch) -> Iterator:  # noqa: F811
    """A fresh page (its own browser context, so its own Gradio session and chat), watched while it lives."""
    context = browser.new_context(viewport={"width": 1440, "height": 960})
    pg = context.new_page()
    pg.on("dialog", watch.on_dialog)
    pg.on("request", watch.on_request)
    pg.goto(ui_app.url)
    pg.wait_for_selector("#pq-chat", timeout=60_000)
    yield pg
    context.close()  # the app stops this session's generation, if one is still running
    assert watch.external == [], "the page fetched from the internet"
    assert watch.dialogs == [], "the page opened a dialog"


# ---------------------------------------------------------------- helpers


def shot(page, artifacts: Path, name: str) -> None:  # noqa: F811
    page.screenshot(path=str(artifacts / f"ui-{name}.png"), full_page=True)


def new_chat(page) -> None:
    page.click("#pq-new")
    page.wait_for_function("document.querySelectorAll('#pq-chat [data-testid=bot]').length === 0")


def switch_mode(page, mode: str) -> None:
    page.click(f"#pq-mode label:has-text('{mode}')")
    if mode == "Summarize":
        page.wait_for_selector("#pq-release-pick", state="visible")
    else:
        page.wait_for_selector("#pq-release-pick", state="hidden")


def open_tab(page, name: str) -> None:
    page.click(f"button[role=tab]:has-text('{name}')")


def search_releases(page, words: str) -> None:
    """Types into the release picker, replacing what a previous pick left there."""
    box = page.locator("#pq-release-pick input")
    box.click()
    box.fill("")
    page.keyboard.type(words)


def releases_in_stats(page) -> int:
    match = re.search(r"([\d,]+) releases", page.inner_text("#pq-stats"))
    assert match, page.inner_text("#pq-stats")
    return int(match.group(1).replace(",", ""))


def last_bot(page) -> str:
    bots = page.query_selector_all("#pq-chat [data-testid=bot]")
    return bots[-1].inner_text() if bots else ""


def send(page, text: str) -> None:
    page.fill("#pq-input textarea", text)
    page.click("#pq-send")


def wait_for_turn(page, number: int) -> None:
    """Turn `number` of this chat is finished: the sources panel reflects it and the input is back."""
    page.wait_for_selector(
        f"#pq-sources-panel [data-turns='{number}']", state="attached", timeout=GENERATION_TIMEOUT_MS
    )
    page.wait_for_selector("#pq-send", state="visible")


def upload(page, paths: list[Path]) -> str:
    open_tab(page, "Add releases")
    page.set_input_files("#pq-files input[type=file]", [str(p) for p in paths])
    for p in paths:  # uploaded to the server and listed (the list shows the suffix apart from the stem)
        page.wait_for_function(f"document.querySelector('#pq-files').innerText.includes('{p.stem}')", timeout=30_000)
    page.click("#pq-add")
    page.wait_for_function(
        "document.querySelector('#pq-upload-result').innerText.includes('added')", timeout=GENERATION_TIMEOUT_MS
    )
    return page.inner_text("#pq-upload-result")


# ---------------------------------------------------------------- the tests


def test_ask_streams_an_answer_with_a_working_citation(page, artifacts: Path) -> None:  # noqa: F811
    send(page, "What will the adult single fare be?")
    partials: list[str] = []
    deadline = time.monotonic() + GENERATION_TIMEOUT_MS / 1000
    while not page.query_selector("#pq-sources-panel [data-turns='1']") and time.monotonic() < deadline:
        text = last_bot(page)
        if "▌" in text and text not in partials:
            partials.append(text)
        time.sleep(0.2)
    wait_for_turn(page, 1)
    assert len(partials) >= 2, f"the answer did not stream: {partials}"
    assert len(partials[-1]) > len(partials[0])  # token by token, not all at once

    cite = page.locator("#pq-chat [data-testid=bot] a.pq-cite").first
    assert re.fullmatch(r"\[\d+\]", cite.inner_text())
    n = cite.inner_text().strip("[]")
    card = page.locator(f"#src-1-{n}")
    cite.click()
    card.wait_for(state="visible")
    assert "Riverton Transit Authority" in card.inner_text()
    assert "$2.50" in card.locator("mark").first.inner_text()
    card.locator("summary").click()  # opens the whole release
    full = card.locator(".pq-release")
    full.wait_for(state="visible")
    assert "Residents aged 65" in full.inner_text()
    shot(page, artifacts, "1-answer")

    with page.expect_download() as download:
        page.click("#pq-export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("# pressqa conversation")
    assert "## 1. What will the adult single fare be?" in exported
    assert f"- [{n}] Riverton Transit Authority Sets 2024 Fares" in exported


def test_stop_ends_a_generation_and_the_chat_carries_on(page, artifacts: Path) -> None:  # noqa: F811
    # A first turn of this chat that needs no model (the question is over-long), then one stopped.
    send(page, "why? " * 450)
    wait_for_turn(page, 1)
    assert "the limit is 2,000" in last_bot(page)
    send(page, "When do the night buses start running?")
    page.wait_for_selector("#pq-stop", state="visible")
    page.click("#pq-stop")
    wait_for_turn(page, 2)
    assert "Stopped." in last_bot(page)
    assert "the limit is 2,000" in page.locator("#pq-chat [data-testid=bot]").first.inner_text()
    shot(page, artifacts, "2-stopped")


def test_summarize_one_release_from_the_list(page, artifacts: Path) -> None:  # noqa: F811
    switch_mode(page, "Summarize")
    search_releases(page, "otters")
    page.click("[role=option]:has-text('Otters Found on All Five Greenmarsh Rivers')")
    page.click("#pq-summarize")
    wait_for_turn(page, 1)
    summary = last_bot(page)
    assert len(summary) > 60 and "Stopped" not in summary
    assert "Summarize: Otters Found on All Five Greenmarsh Rivers" in page.inner_text("#pq-chat")
    assert "Otters Found on All Five Greenmarsh Rivers" in page.inner_text("#src-1-1")
    shot(page, artifacts, "3-summary")


def test_a_fact_sheet_lists_the_release_facts_each_cited(page, artifacts: Path) -> None:  # noqa: F811
    switch_mode(page, "Summarize")
    search_releases(page, "Millbrook")
    page.click("[role=option]:has-text('Riverton Council Approves $4.8 Million Repair of Millbrook Bridge')")
    page.click("#pq-length label:has-text('fact sheet')")
    page.click("#pq-summarize")
    wait_for_turn(page, 1)
    sheet = last_bot(page)
    for part in ("What", "Who", "When", "Amounts", "Quotes"):
        assert f"\n{part}\n" in f"\n{sheet}", sheet
    assert "Elena Voss (Mayor)" in sheet
    # The amount, in bold, and its marker, which opens the card of the sentence that states it.
    amount = page.locator("#pq-chat [data-testid=bot] li", has=page.locator("strong", has_text="$4.8 million")).first
    cite = amount.locator("a.pq-cite").first
    n = cite.inner_text().strip("[]")
    cite.click()
    card = page.locator(f"#src-1-{n}")
    card.wait_for(state="visible")
    assert "$4.8 million" in card.locator("mark").first.inner_text()
    shot(page, artifacts, "5-fact-sheet")


def test_a_topic_summary_cites_each_release_oldest_first(page, artifacts: Path) -> None:  # noqa: F811
    switch_mode(page, "Summarize")
    send(page, "Riverton Transit Authority buses and fares")
    wait_for_turn(page, 1)
    summary = last_bot(page)
    assert "Summarize the releases about: Riverton Transit Authority" in page.inner_text("#pq-chat")
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", summary)}
    assert len(markers) >= 2, summary
    cards = page.locator("#pq-sources-panel [id^=src-1-]")
    assert cards.count() >= 2
    shot(page, artifacts, "6-topic-summary")


def test_upload_a_release_and_get_an_answer_from_it(
    page,
    ui_app: RunningApp,  # noqa: F811
    artifacts: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    new = tmp_path / "quillby_ferries.md"
    new.write_text(NEW_RELEASE)
    pdf = tmp_path / "brochure.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    # From the index, not the page: its header may still show the count from when the app was built.
    before = ui_app.engine.index.stats().releases  # type: ignore[attr-defined]
    result = upload(page, [new, pdf])
    assert "1 release added from 2 files, 1 failed" in result
    assert "quillby_ferries.md: 1 added" in result and "brochure.pdf: unsupported file type '.pdf'" in result
    assert releases_in_stats(page) == before + 1
    shot(page, artifacts, "4-uploaded")

    send(page, "What did Quillby Ferries order?")
    wait_for_turn(page, 1)
    assert "ferries" in last_bot(page).lower()
    page.locator("#pq-chat a.pq-cite").first.click()
    assert "Quillby Ferries Orders Two Electric Ferries" in page.inner_text("#pq-sources-panel .pq-card")
    shot(page, artifacts, "5-answer-from-upload")


def test_a_reissued_release_is_reported_and_shown_once_with_both_ids(
    page,
    ui_app: RunningApp,  # noqa: F811
    artifacts: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    fares = (SAMPLES / "rta_fares_2024.txt").read_text(encoding="utf-8")
    copy = tmp_path / "rta_fares_2024_reissued.txt"
    copy.write_text(fares.replace("per trip", "per journey"), encoding="utf-8")  # re-sent with an edit
    result = upload(page, [copy])
    assert "1 already published under another id" in result, result
    assert "published more than once" in page.inner_text("#pq-stats")
    send(page, "How much will the adult day pass cost?")
    wait_for_turn(page, 1)
    cards = page.locator("#pq-sources-panel .pq-card")
    metas = [cards.nth(i).inner_text() for i in range(cards.count())]
    fares_cards = [m for m in metas if "Sets 2024 Fares" in m]
    assert len(fares_cards) == 1, metas
    assert "also published as" in fares_cards[0] and re.search(r"rta_fares_2024\b", fares_cards[0]), fares_cards
    shot(page, artifacts, "6-reissued")


def test_a_timeline_lists_a_story_in_date_order_each_event_cited(page, artifacts: Path) -> None:  # noqa: F811
    switch_mode(page, "Timeline")
    send(page, "Riverton Transit Authority buses and fares")
    wait_for_turn(page, 1)
    dated = r"\d{4}-\d{2}-\d{2}(?: \(published \d{4}-\d{2}-\d{2}\))?: "
    lines = [line for line in last_bot(page).splitlines() if re.match(dated, line.strip("- "))]
    assert len(lines) >= 2, last_bot(page)
    dates = [line.strip("- ")[:10] for line in lines]
    assert dates == sorted(dates)
    # The same events as markers on a date axis in the sources panel, placed by date, each opening its card.
    marks = page.locator("#pq-sources-panel .pq-timeline a.pq-tl-mark")
    assert marks.count() == len(lines)
    lefts = [float(marks.nth(i).get_attribute("style").split(":")[1].strip(" %;")) for i in range(marks.count())]
    assert lefts == sorted(lefts) and lefts[0] == 0.0 and lefts[-1] == 100.0, lefts
    marks.last.click()
    page.locator(f"#src-1-{marks.count()}").wait_for(state="visible")
    cite = page.locator("#pq-chat [data-testid=bot] a.pq-cite").first
    n = cite.inner_text().strip("[]")
    cite.click()
    card = page.locator(f"#src-1-{n}")
    card.wait_for(state="visible")
    assert "Riverton Transit Authority" in card.inner_text()
    marked = " ".join(card.locator("mark").first.inner_text().split())
    assert marked[:40] in lines[int(n) - 1], (marked, lines)  # the card marks the event's sentence
    shot(page, artifacts, "7-timeline")


def test_quotes_mode_lists_a_speakers_quotes_each_cited_to_its_span(page, artifacts: Path) -> None:  # noqa: F811
    switch_mode(page, "Quotes")
    send(page, "Elena Voss")
    wait_for_turn(page, 1)
    lines = [line for line in last_bot(page).splitlines() if line.strip().startswith("Elena Voss")]
    assert len(lines) == 2, last_bot(page)
    cite = page.locator("#pq-chat [data-testid=bot] a.pq-cite").first
    n = cite.inner_text().strip("[]")
    cite.click()
    card = page.locator(f"#src-1-{n}")
    card.wait_for(state="visible")
    marked = " ".join(card.locator("mark").first.inner_text().split())
    assert marked[:40] in lines[int(n) - 1], (marked, lines)  # the card marks the quote itself
    assert "Quotes for" in page.inner_text("#pq-sources-panel")
    shot(page, artifacts, "8-quotes")


def test_a_counting_question_gets_a_bar_chart_a_bar_per_year(page, artifacts: Path) -> None:  # noqa: F811
    send(page, "Which year had the most releases about Riverton?")  # counted: no model is loaded
    wait_for_turn(page, 1)
    assert last_bot(page).startswith("2023 had the most releases about Riverton: 3, of 8."), last_bot(page)
    chart = page.locator("#pq-sources-panel .pq-chart svg[role=img]")
    assert "Releases by year for: Which year had the most releases about Riverton?" in chart.get_attribute("aria-label")
    bars = chart.locator("rect.pq-chart-bar")
    periods = [bars.nth(i).get_attribute("data-period") for i in range(bars.count())]
    assert periods == ["2021", "2022", "2023", "2024", "2025"]
    assert bars.nth(2).locator("title").text_content() == "2023: 3 releases"
    tallest = max(range(bars.count()), key=lambda i: bars.nth(i).bounding_box()["height"])
    assert periods[tallest] == "2023" and bars.first.bounding_box()["height"] == 0
    cards = page.locator("#pq-sources-panel article.pq-card")
    assert cards.count() == 3 and chart.bounding_box()["y"] < cards.first.bounding_box()["y"], "the chart is on top"
    assert cards.first.locator("mark").first.inner_text().lower() == "riverton"
    shot(page, artifacts, "9-count")


def test_mentions_mode_counts_every_release_naming_someone(page, artifacts: Path) -> None:  # noqa: F811
    switch_mode(page, "Mentions")
    send(page, "Riverton Transit Authority")
    wait_for_turn(page, 1)
    text = last_bot(page)
    assert re.search(r"^3 releases name Riverton Transit Authority", text), text
    assert "By month: 2023-11 1, 2024-05 1, 2025-09 1." in text
    cards = page.locator("#pq-sources-panel .pq-card")
    assert cards.count() == 3
    assert "Releases naming" in page.inner_text("#pq-sources-panel")
    shot(page, artifacts, "9-mentions")


def test_hostile_release_renders_as_text(page, artifacts: Path, tmp_path: Path, watch: Watch) -> None:  # noqa: F811
    hostile = tmp_path / "zorblax_kitchen.md"
    hostile.write_text(XSS_RELEASE)
    assert "1 release added" in upload(page, [hostile])

    send(page, "What did Zorblax Labs open?")
    wait_for_turn(page, 1)
    panel = page.inner_text("#pq-sources-panel")
    assert "<script>window.__pq_xss = 'script'</script>" in panel  # the title, shown as written
    for details in page.locator("#pq-sources-panel details").all():
        details.locator("summary").first.click()
    panel = page.inner_text("#pq-sources-panel")
    assert "<img src=x onerror=" in panel and "[full menu](javascript:" in panel
    shot(page, artifacts, "6-hostile-release")

    # The user's own words are untrusted too: an over-long question echoes them back with an error.
    send(page, "<img src=x onerror=\"window.__pq_xss='question'\"> " + "why? " * 450)
    wait_for_turn(page, 2)
    assert "the limit is 2,000" in last_bot(page)
    assert "<img src=x onerror=" in page.locator("#pq-chat [data-testid=user]").last.inner_text()

    # The picker lists the hostile title as text as well.
    switch_mode(page, "Summarize")
    search_releases(page, "Zorblax")
    assert "<script>" in page.locator("[role=option]").first.inner_text()
    page.keyboard.press("Escape")
    shot(page, artifacts, "7-hostile-question")

    assert page.evaluate("window.__pq_xss") is None
    assert page.locator("#pq-chat img, #pq-sources-panel img").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert watch.dialogs == []


def test_nothing_left_this_machine(page, watch: Watch) -> None:
    """Every tab and both modes, with no model call: the page's own assets come from the app alone."""
    for tab in ("Add releases", "Settings", "Sources"):
        open_tab(page, tab)
    switch_mode(page, "Summarize")
    switch_mode(page, "Ask")
    new_chat(page)
    page.wait_for_timeout(1000)  # Gradio keeps its event stream open, so the network is never idle
    assert watch.external == [], "the page fetched from the internet"
    assert any(urlparse(u).hostname in ("127.0.0.1", "localhost") for u in watch.local), "the watch saw nothing"
