"""The named API endpoints, called with gradio_client against the running app (as scripts would)."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from ui_fixtures import (  # noqa: F401
    NEW_RELEASE,
    TEST_MAX_UPLOAD_BYTES,
    RunningApp,
    free_port,
    ui_app,
    ui_engine,
    ui_index_dir,
)

from tests.conftest import SAMPLES

CLIENTS = 8


@pytest.fixture(scope="module")
def client(ui_app: RunningApp) -> Client:  # noqa: F811
    return Client(ui_app.url, verbose=False)


def test_endpoints_are_named_and_documented(client: Client) -> None:
    api = client.view_api(print_info=False, return_format="dict")
    named = set(api["named_endpoints"])
    assert {"/ask", "/summarize", "/timeline", "/quotes", "/mentions", "/names", "/count"} <= named
    assert {"/add_releases", "/releases", "/stats"} <= named
    assert not api["unnamed_endpoints"]
    ask = {p["parameter_name"] for p in api["named_endpoints"]["/ask"]["parameters"]}
    assert {
        "question", "k", "since", "until", "organisation", "model", "history", "max_new_tokens", "dates", "mentions"
    } == ask  # fmt: skip
    assert [p["parameter_name"] for p in api["named_endpoints"]["/add_releases"]["parameters"]] == ["files"]


def test_stats_and_releases(client: Client) -> None:
    stats = client.predict(api_name="/stats")
    assert stats["releases"] == 14 and stats["chunks"] > 14 and stats["first_date"] == "2021-06-08"
    found = client.predict(query="night buses", api_name="/releases")
    assert [r["id"] for r in found] == ["rta_night_buses"]
    assert len(client.predict(api_name="/releases")) == 14


def test_bad_requests_get_readable_errors(client: Client) -> None:
    with pytest.raises(Exception, match="The question is empty"):
        client.predict(question="  ", api_name="/ask")
    with pytest.raises(Exception, match="not a date: use YYYY-MM-DD"):
        client.predict(question="What will the fare be?", since="last week", api_name="/ask")
    with pytest.raises(Exception, match="exactly one of 'release'"):
        client.predict(api_name="/summarize")
    with pytest.raises(Exception, match="No indexed release has the id or title 'no such thing'"):
        client.predict(release="no such thing", api_name="/summarize")


def test_add_releases_reports_each_file(client: Client, tmp_path: Path) -> None:
    new = tmp_path / "quillby_ferries.md"
    new.write_text(NEW_RELEASE)
    pdf = tmp_path / "brochure.pdf"
    pdf.write_bytes(b"%PDF-1.4 not a release")
    result = client.predict(files=[handle_file(str(new)), handle_file(str(pdf))], api_name="/add_releases")
    assert result["added"] == 1 and result["failed"] == 1
    first, second = result["files"]
    assert first == {
        "file": "quillby_ferries.md",
        "status": "added",
        "detail": "1 added",
        "release_ids": ["quillby_ferries"],
    }
    assert second["status"] == "failed" and "unsupported file type '.pdf'" in second["detail"]
    assert client.predict(query="electric ferries", api_name="/releases")[0]["id"] == "quillby_ferries"


def test_oversized_upload_is_refused(client: Client, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Big release.\n\n" + "word " * (TEST_MAX_UPLOAD_BYTES // 4))
    with pytest.raises(Exception, match=r"(?i)size"):
        client.predict(files=[handle_file(str(big))], api_name="/add_releases")


@pytest.mark.slow
def test_ask_returns_a_cited_answer(client: Client) -> None:
    result = client.predict(question="What will the adult single fare be?", k=2, max_new_tokens=40, api_name="/ask")
    assert result["found"], result
    c = result["citations"][0]
    assert c["release_id"] == "rta_fares_2024" and f"[{c['n']}]" in result["answer"]
    assert c["quote"] and c["quote"] in c["passage"]
    # How the reader got it: an amount, checked against the passages (or chosen among their amounts).
    assert result["answer_type"] == "amount" and result["method"] in ("model", "chosen", "best supported")
    assert result["check"] and "$" in c["quote"]
    assert "$" in result["key"] and len(result["key"]) < len(result["answer"])  # the fare, in brief


@pytest.mark.slow
def test_ask_finds_an_uploaded_release(client: Client, tmp_path: Path) -> None:
    new = tmp_path / "quillby_ferries.md"
    new.write_text(NEW_RELEASE)
    client.predict(files=[handle_file(str(new))], api_name="/add_releases")
    result = client.predict(question="What did Quillby Ferries order?", k=2, max_new_tokens=40, api_name="/ask")
    assert result["found"], result
    assert result["citations"][0]["release_id"] == "quillby_ferries"
    assert "ferries" in result["answer"].lower()


@pytest.mark.slow
def test_summarize_one_release(client: Client) -> None:
    result = client.predict(release="otters greenmarsh", length="short", api_name="/summarize")
    assert result["found"] and len(result["answer"]) > 40
    assert result["citations"][0]["release_id"] == "greenmarsh_otter_survey"


def test_timeline_of_a_story(client: Client) -> None:
    result = client.predict(query="Riverton Transit Authority buses and fares", api_name="/timeline")
    ids = [c["release_id"] for c in result["citations"]]
    assert {"rta_night_buses", "rta_fares_2024"} <= set(ids) and result["found"]
    assert result["answer"].startswith("- 20") and result["answer"].count("\n") == len(ids) - 1
    stats = client.predict(api_name="/stats")
    assert stats["reissues"] == [] and stats["releases"] >= 14


def test_dates_bound_the_day_published_or_the_day_it_happened(client: Client) -> None:
    query = "Riverton Transit Authority buses and fares"
    happened = client.predict(query=query, since="2024-01-01", dates="happened", api_name="/timeline")
    assert happened["found"] and all(c["date"] >= "2024-01-01" for c in happened["citations"])
    with pytest.raises(Exception, match="dates must be one of published, happened"):
        client.predict(query=query, dates="sometime", api_name="/timeline")


def test_mentions_list_every_release_naming_someone(client: Client) -> None:
    result = client.predict(name="Elena Voss", api_name="/mentions")
    assert result["found"] and result["key"] == "2" and len(result["releases"]) == 2
    assert result["by_month"] == {"2022-09": 1, "2024-03": 1}
    assert [c["quote"] for c in result["citations"]] == ["Elena Voss", "Elena Voss"] or all(
        "Voss" in c["quote"] for c in result["citations"]
    )
    names = client.predict(type="person", limit=5, api_name="/names")
    assert names and all(n["type"] == "person" for n in names)
    with pytest.raises(Exception, match="type must be person, organisation or empty"):
        client.predict(name="Voss", type="ship", api_name="/mentions")


def test_quotes_of_a_speaker_about_a_topic(client: Client) -> None:
    result = client.predict(speaker="Voss", query="flood maps", api_name="/quotes")
    assert result["found"] and result["quotes"][0]["speaker"] == "Elena Voss"
    assert result["quotes"][0]["release_id"] == "halden_coastal_climate_institute", "the release about flood maps first"
    assert result["citations"][0]["quote"].startswith("Our planners currently work with flood maps")
    question = "Who said that a city that goes to sleep at midnight is not the city Riverton wants to be?"
    who = client.predict(question=question, api_name="/ask")
    assert who["key"] == "Sandra Kowalczyk" and who["method"] == "quote" and who["citations"]


def test_count_releases_about_a_topic_by_year(client: Client) -> None:
    result = client.predict(topic="Riverton", since="2023-01-01", by="year", api_name="/count")
    assert result["method"] == "count" and result["key"] == "6"
    assert result["counts"] == [{"period": p, "releases": n} for p, n in (("2023", 3), ("2024", 2), ("2025", 1))]
    assert len(result["citations"]) == 3 and all(c["quote"].lower() == "riverton" for c in result["citations"])
    asked = client.predict(question="Which year had the most releases about Riverton?", api_name="/ask")
    assert asked["method"] == "count" and asked["key"] == "2023"
    with pytest.raises(Exception, match="has no words to count"):
        client.predict(topic="the", api_name="/count")
    with pytest.raises(Exception, match="'by' must be month, year or empty"):
        client.predict(topic="Riverton", by="week", api_name="/count")


@pytest.mark.slow
def test_concurrent_clients_wait_in_line_and_all_get_answers(ui_app: RunningApp) -> None:  # noqa: F811
    """8 clients at once: generation is serialised, so they queue (and see a position) and none fails."""
    questions = [
        "What will the adult single fare be?",
        "When do the night buses start?",
        "How much did the maternity wing cost?",
        "How many otters were counted?",
        "Where is the new data centre?",
        "What did Nimbus Labs warn CloudDesk users about?",
        "How much is the Halden bridge scholarship worth?",
        "When will the Riverton bridge repair finish?",
    ]
    clients = [Client(ui_app.url, verbose=False) for _ in range(CLIENTS)]
    jobs = [
        c.submit(question=q, k=1, max_new_tokens=16, api_name="/ask") for c, q in zip(clients, questions, strict=True)
    ]
    ranks: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for job in jobs:
                status = job.status()
                if status.rank is not None and status.rank > 0:
                    ranks.append(status.rank)
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        results = [job.result(timeout=900) for job in jobs]
    finally:
        done.set()
        watcher.join()
    assert all(isinstance(r, dict) and r["answer"].strip() for r in results)
    assert max(ranks, default=0) >= 1, "nobody was told a queue position"


def _raw_call(url: str, endpoint: str, data: list[object]) -> tuple[str, object]:
    """(event, data) of one call over Gradio's plain HTTP API, as a script without gradio_client makes it."""
    body = json.dumps({"data": data}).encode()
    request = urllib.request.Request(f"{url}gradio_api/call/{endpoint}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        event_id = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/{endpoint}/{event_id}", timeout=60) as response:
        stream = response.read().decode()
    event = re.findall(r"^event: (\w+)", stream, re.M)[-1]
    payload = re.findall(r"^data: (.*)$", stream, re.M)[-1]
    return event, json.loads(payload)


def test_a_server_path_that_was_never_uploaded_is_refused_with_the_reason(ui_app: RunningApp) -> None:  # noqa: F811
    before = ui_app.engine.index.stats().releases  # type: ignore[attr-defined]
    server_file = {"path": str(SAMPLES / "rta_fares_2024.txt"), "meta": {"_type": "gradio.FileData"}}
    event, data = _raw_call(ui_app.url, "add_releases", [[server_file]])
    assert event == "error"
    assert isinstance(data, dict) and "was not uploaded to this server" in (data["error"] or ""), data
    no_meta = {"path": str(SAMPLES / "rta_fares_2024.txt")}
    event, data = _raw_call(ui_app.url, "add_releases", [[no_meta]])
    assert event == "error" and "does not fit the endpoint" in (data["error"] or ""), data  # type: ignore[index]
    assert ui_app.engine.index.stats().releases == before  # type: ignore[attr-defined]


def test_every_endpoint_needs_the_login_when_auth_is_set(ui_engine) -> None:  # noqa: F811
    from ui.app import start

    demo, url = start(ui_engine, port=free_port(), auth="ann:s3cret")
    try:
        api = Client(url, verbose=False, auth=("ann", "s3cret")).view_api(print_info=False, return_format="dict")
        endpoints = [name.lstrip("/") for name in api["named_endpoints"]]
        assert {"ask", "summarize", "add_releases", "releases", "stats"} <= set(endpoints)
        for endpoint in endpoints:
            request = urllib.request.Request(
                f"{url}gradio_api/call/{endpoint}", b'{"data": []}', {"Content-Type": "application/json"}
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            assert refused.value.code == 401, endpoint
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{url}gradio_api/info", timeout=30)
    finally:
        demo.close()
