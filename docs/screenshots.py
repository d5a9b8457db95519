"""Retakes the README's screenshots: a cited answer with its sources, a release summary, a timeline, a
speaker's quotes, every release naming an organisation, and a counting question's chart.

    PRESSQA_INDEX=/tmp/pq-docs pressqa ingest embeddings/sample_releases
    PRESSQA_INDEX=/tmp/pq-docs .venv/bin/python docs/screenshots.py [answer summary timeline quotes mentions count]

Names given, only those are taken (the timeline, the quotes, the mentions and the count need no model).

Needs Debian's chromium (/usr/bin/chromium) and the `playwright` Python package; takes a few minutes
on a CPU, since it asks the real model.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

DOCS = Path(__file__).resolve().parent
QUESTION = "What will the adult single fare be, and when does it change?"
RELEASE = "Millbrook Bridge"
STORY = "Riverton Transit Authority buses and fares"
SPEAKER = "Elena Voss"
NAMED = "Riverton Transit Authority"
COUNT = "Which year had the most releases about Riverton?"
TIMEOUT_MS = 600_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def answer(page: Page) -> None:
    page.fill("#pq-input textarea", QUESTION)
    page.click("#pq-send")
    page.wait_for_selector("#pq-sources-panel [data-turns='1']", state="attached", timeout=TIMEOUT_MS)
    page.locator("#pq-chat a.pq-cite").first.click()
    page.wait_for_timeout(2000)  # let the card's highlight fade
    page.screenshot(path=str(DOCS / "screenshot-answer.png"))


def summary(page: Page) -> None:
    page.click("#pq-new")
    page.click("#pq-mode label:has-text('Summarize')")
    page.locator("#pq-release-pick input").fill("")
    page.locator("#pq-release-pick input").click()
    page.keyboard.type(RELEASE)
    page.click(f"[role=option]:has-text('{RELEASE}')")
    page.click("#pq-summarize")
    page.wait_for_selector("#pq-sources-panel [data-turns='1']", state="attached", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(DOCS / "screenshot-summary.png"))


def _mode(page: Page, mode: str, text: str, name: str) -> None:
    page.click("#pq-new")
    page.click(f"#pq-mode label:has-text('{mode}')")
    page.fill("#pq-input textarea", text)
    page.click("#pq-send")
    page.wait_for_selector("#pq-sources-panel [data-turns='1']", state="attached", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(DOCS / f"screenshot-{name}.png"))


def timeline(page: Page) -> None:
    _mode(page, "Timeline", STORY, "timeline")


def quotes(page: Page) -> None:
    _mode(page, "Quotes", SPEAKER, "quotes")


def mentions(page: Page) -> None:
    _mode(page, "Mentions", NAMED, "mentions")


def count(page: Page) -> None:
    _mode(page, "Ask", COUNT, "count")


VIEWS = {
    "answer": answer,
    "summary": summary,
    "timeline": timeline,
    "quotes": quotes,
    "mentions": mentions,
    "count": count,
}


def main() -> None:
    from embeddings.settings import get_settings
    from qa.engine import Engine
    from ui.app import start

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    demo, url = start(Engine.open(get_settings()), port=7869)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
            page.goto(url)
            page.wait_for_selector("#pq-chat")
            for name in sys.argv[1:] or VIEWS:
                VIEWS[name](page)
            browser.close()
    finally:
        demo.close()


if __name__ == "__main__":
    main()
