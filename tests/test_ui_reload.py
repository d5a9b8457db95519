"""A running web app answers from what other processes add to or remove from its index, without a restart.

The app runs on loopback (ui_fixtures) while `pressqa ingest` and `pressqa remove` change its index folder
in processes of their own. The question names a person no release mentions, so it is refused before any
model loads, and the passages it retrieved are in the reply all the same.
"""

from __future__ import annotations

from pathlib import Path

from gradio_client import Client
from ui_fixtures import RunningApp, ui_app, ui_engine, ui_index_dir  # noqa: F401

from tests.other_process import QUOKKA_ID, ingest_quokkas, pressqa

QUESTION = "What did Hugo Vantreight say about the quokkas counted on Marrup Island?"


def _retrieved(client: Client) -> list[str]:
    result = client.predict(question=QUESTION, k=3, api_name="/ask")
    assert not result["found"] and "Hugo Vantreight" in result["answer"], result  # no model was needed
    return [r["release_id"] for r in result["retrieved"]]


def test_ask_retrieves_what_another_process_ingests_and_removes(ui_app: RunningApp, tmp_path: Path) -> None:  # noqa: F811
    client = Client(ui_app.url, verbose=False)
    assert QUOKKA_ID not in _retrieved(client)
    ingest_quokkas(ui_app.index_dir, tmp_path)
    assert client.predict(query="quokkas", api_name="/releases")[0]["id"] == QUOKKA_ID
    assert _retrieved(client)[0] == QUOKKA_ID
    pressqa("remove", QUOKKA_ID, index=ui_app.index_dir)
    assert QUOKKA_ID not in _retrieved(client)
