"""The follow-up conversation gold: it reads as conversations, and every turn's evidence and answer come
from its release, which the dev gold of the other sets does not use."""

from __future__ import annotations

import json

from eval.gold import read_conversations, read_questions
from tests.conftest import REPO, shared_path

GOLD = REPO / "eval" / "gold" / "followups.dev.jsonl"


def _texts(relative: str) -> dict[str, str]:
    with shared_path(relative).open(encoding="utf-8") as f:
        return {str(r["id"]): r["text"] for r in map(json.loads, f)}


def test_followup_gold_is_grounded_in_its_releases() -> None:
    conversations = read_conversations(GOLD)
    assert len(conversations) >= 30
    assert all(2 <= len(c.turns) <= 3 for c in conversations)
    assert all(c.standalone[0] == c.turns[0].question for c in conversations)
    texts = _texts("corpora/doj/releases.jsonl") | _texts("corpora/isaf/releases.jsonl")
    used = {
        q.release_id
        for name in ("doj_qa.dev.jsonl", "isaf_qa.dev.jsonl")
        for q in read_questions(shared_path(f"gold/{name}")).items
    }
    raw = {r["id"]: r for r in map(json.loads, GOLD.open(encoding="utf-8"))}
    for c in conversations:
        for turn, gold in zip(c.turns, raw[c.id]["turns"], strict=True):
            text = texts[turn.release_id]
            assert gold["evidence"] in text, turn.id
            assert turn.release_id not in used, turn.id
            assert any(a in text or a in gold["evidence"] for a in turn.answers) or turn.type in ("date", "count")
