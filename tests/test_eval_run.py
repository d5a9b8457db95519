"""`pressqa eval` end to end: a real run over the sample releases (slow), compare, report and errors (fast)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SAMPLES
from ui.cli import app

runner = CliRunner()

GOLD = [
    {
        "id": "s-1",
        "question": "How much will the Millbrook Bridge repair cost?",
        "answers": ["$4.8 million", "4.8 million dollars"],
        "type": "amount",
        "release_id": "riverton_bridge_repair",
    },
    {
        "id": "s-2",
        "question": "How many volunteers took part in the Greenmarsh otter survey?",
        "answers": ["64", "sixty-four"],
        "type": "how_many",
        "release_id": "greenmarsh_otter_survey",
    },
    {
        "id": "s-3",
        "question": "Who is the mayor of Riverton's twin town in Norway?",
        "answers": [],
        "type": "unanswerable",
        "release_id": None,
    },
]


def _write_gold(path: Path) -> Path:
    path.write_text("".join(json.dumps(g) + "\n" for g in GOLD), encoding="utf-8")
    return path


@pytest.mark.slow
def test_eval_qa_on_the_sample_releases(tmp_path: Path, writable_index_dir: Path) -> None:
    from qa.choice import choose

    gold = _write_gold(tmp_path / "gold.jsonl")
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["eval", "qa", "--gold", str(gold), "--index", str(writable_index_dir), "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    for name in ("results.jsonl", "summary.json", "report.md", "accuracy_by_type.png", "latency.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "latency.png").read_bytes()[:4] == b"\x89PNG"

    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == ["s-1", "s-2", "s-3"]
    assert all(r["error"] is None and r["answer"] for r in records)
    # The sample index is tiny: both gold releases must be among the first passages.
    assert records[0]["gold_rank"] is not None and records[0]["gold_rank"] <= 3
    assert records[1]["gold_rank"] is not None and records[1]["gold_rank"] <= 3

    summary = json.loads((out / "summary.json").read_text())
    o = summary["overall"]
    assert (o["n"], o["answerable"], o["unanswerable"], o["errors"]) == (3, 2, 1, 0)
    assert o["hit@10"] == 1.0 and o["mrr@10"] > 0.3
    for key in ("accuracy", "exact_match", "f1", "overall_correct", "wrongly_refused", "refused_unanswerable"):
        assert 0.0 <= o[key] <= 1.0, key
    # Greedy decoding is deterministic; the $4.8 million question is the easiest there is.
    assert records[0]["correct"], records[0]["answer"]
    assert o["latency_s"]["total"]["p50"] > 0 and o["latency_s"]["retrieve"]["p50"] < 30
    assert set(summary["by_type"]) == {"amount", "how_many", "unanswerable"}
    chosen = choose()  # the run used the automatic model, and records it and its runtime
    assert summary["config"]["model"] == chosen.model and summary["config"]["retrieval"] == "hybrid"
    assert summary["config"]["runtime"].startswith(f"{chosen.model} ({chosen.runtime}, ")
    report = (out / "report.md").read_text()
    assert "| **all** | 3 |" in report and "## The 10 worst failures" in report


def _summary(accuracy: float, p50: float, model: str, int8: bool = False) -> dict:
    return {
        "kind": "qa",
        "config": {"gold": "g.jsonl", "model": model, "int8": int8, "retrieval": "hybrid", "top_k": 6},
        "timing": {"run_s": 10.0},
        "overall": {"n": 10, "accuracy": accuracy, "latency_s": {"total": {"p50": p50}}},
        "by_type": {"when": {"n": 4, "accuracy": accuracy / 2}},
    }


def test_eval_compare_prints_deltas(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "summary.json").write_text(json.dumps(_summary(0.5, 4.0, "qwen2.5-0.5b")))
    (b / "summary.json").write_text(json.dumps(_summary(0.75, 12.0, "qwen2.5-1.5b", int8=True)))
    result = runner.invoke(app, ["eval", "compare", str(a), str(b / "summary.json")])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "qwen2.5-0.5b" in lines["model"] and "qwen2.5-1.5b" in lines["model"] and lines["model"].endswith("*")
    accuracy = lines["overall.accuracy"]
    assert accuracy.split()[1:4] == ["0.5", "0.75", "+0.25"] and accuracy.endswith("▲")
    assert lines["by_type.when.accuracy"].split()[3] == "+0.125"
    # Slower is worse.
    assert "+8" in lines["overall.latency_s.total.p50"] and lines["overall.latency_s.total.p50"].endswith("▼")
    table = runner.invoke(app, ["eval", "table", str(a), str(b)])
    assert table.exit_code == 0, table.output
    assert "| a | qwen2.5-0.5b | hybrid | 10 | 50.0 |" in table.output
    assert "| b | qwen2.5-1.5b int8 | hybrid | 10 | 75.0 |" in table.output
    missing = runner.invoke(app, ["eval", "compare", str(a), str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no summary.json" in missing.output


def test_eval_report_rescores_results(tmp_path: Path) -> None:
    """A killed run leaves results.jsonl only: `eval report` makes the summary, report and plots from it."""
    record = {
        "id": "q1",
        "type": "when",
        "question": "When?",
        "gold_answers": ["March 9, 2017"],
        "gold_release_id": "7",
        "answerable": True,
        "answer": "On 9 March 2017 [1].",
        "found": True,
        "citations": [{"n": 1, "release_id": "7", "title": "T"}],
        "shown": ["7"],
        "retrieved": [{"release_id": "3", "title": "X", "score": 0.1}, {"release_id": "7", "title": "T", "score": 0.1}],
        "latency": {"retrieve": 0.1, "first_token": 1.0, "total": 2.0},
        "correct": False,  # as an older, wrong metric would have said
        "error": None,
        "note_from_an_older_version": "kept",
    }
    (tmp_path / "results.jsonl").write_text(json.dumps(record) + "\n")
    result = runner.invoke(app, ["eval", "report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["overall"]["accuracy"] == 1.0
    assert summary["overall"]["hit@1"] == 0.0 and summary["overall"]["hit@3"] == 1.0
    assert summary["overall"]["mrr@10"] == 0.5 and summary["overall"]["citation_precision"] == 1.0
    rescored = json.loads((tmp_path / "results.jsonl").read_text())
    assert rescored["correct"] is True and rescored["note_from_an_older_version"] == "kept"
    # The results came without a summary.json: nothing says which machine made them.
    assert "machine" not in summary
    assert (tmp_path / "accuracy_by_type.png").exists() and (tmp_path / "report.md").exists()


def test_retrieval_only_run_records_its_machine_and_the_settings_defaults(
    tmp_path: Path, writable_index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real run over the sample index: --top-k comes from the settings, summary.json records the machine."""
    from embeddings.hardware import detected_cpu

    monkeypatch.setenv("PRESSQA_TOP_K", "3")
    monkeypatch.setenv("PRESSQA_THREADS", "1")
    gold, out = _write_gold(tmp_path / "gold.jsonl"), tmp_path / "run"
    args = ["eval", "qa", "--gold", str(gold), "--index", str(writable_index_dir), "--out", str(out)]
    result = runner.invoke(app, [*args, "--retrieval-only", "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["top_k"] == 3 and summary["config"]["max_new_tokens"] == 200
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert all(len(r["shown"]) == 3 for r in records)
    machine = summary["machine"]
    assert machine["model"] == detected_cpu().model and machine["cores"] == detected_cpu().cores
    assert machine["threads"] == 1 and set(machine["flags"]) >= {"avx2", "avx512_vnni", "avx512_bf16", "amx_bf16"}
    assert machine["onnxruntime"] and machine["torch"]
    table = runner.invoke(app, ["eval", "table", str(out)])
    assert table.exit_code == 0 and table.output.splitlines()[0].endswith("| CPU |")
    assert "(not recorded)" not in table.output


def test_committed_summaries_still_read_and_show_their_cpu() -> None:
    """Every committed summary.json reads back unchanged and shows its CPU: the one it recorded, or the
    project's EPYC for runs that predate machine records."""
    from eval.compare import results_table
    from eval.provenance import cpu_label
    from eval.store import load_summary

    folders = sorted(p.parent for p in (Path(__file__).parents[1] / "eval" / "results").glob("*/summary.json"))
    assert len(folders) >= 20
    runs = []
    for folder in folders:
        summary = load_summary(folder)
        assert summary.to_json() == json.loads((folder / "summary.json").read_text()), folder.name
        runs.append((folder.name, summary))
    rows = [line for line in results_table(runs).splitlines() if line.startswith("| ") and "---" not in line]
    data_rows = [r for r in rows if not r.startswith("| run |")]
    assert len(data_rows) == len(folders)
    labels = [cpu_label(summary.machine) for _, summary in runs]
    assert "EPYC AVX2 (not recorded)" in labels and "Xeon AMX" in labels
    assert sorted(r.rsplit("|", 2)[1].strip() for r in data_rows) == sorted(labels)


def test_cpu_label_from_the_recorded_flags_and_model() -> None:
    from embeddings.hardware import AMX_XEON, AVX2_ONLY, FLAGS
    from eval.provenance import cpu_label

    def recorded(model: str, flags: tuple[str, ...]) -> dict:
        return {"model": model, "cores": 2, "flags": {f: f in flags for f in FLAGS}, "threads": 2}

    assert cpu_label(recorded("Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz", AMX_XEON)) == "Xeon AMX"
    assert cpu_label(recorded("AMD EPYC 7B12", AVX2_ONLY)) == "EPYC AVX2"
    assert cpu_label(recorded("Intel(R) Xeon(R) CPU @ 2.20GHz", ("avx2", "avx512f", "avx512_vnni"))) == (
        "Xeon AVX-512 VNNI"
    )
    assert cpu_label(recorded("Some CPU", ())) == "Some no AVX2"
    assert cpu_label(None) == "EPYC AVX2 (not recorded)"


def test_eval_errors_are_one_clear_line(tmp_path: Path) -> None:
    summaries_gold = tmp_path / "s.jsonl"
    summaries_gold.write_text(json.dumps({"id": "s", "release_id": 1, "key_facts": [], "reference": "r"}) + "\n")
    wrong_kind = runner.invoke(app, ["eval", "qa", "--gold", str(summaries_gold), "--out", str(tmp_path / "o")])
    assert wrong_kind.exit_code == 1 and "not a gold question file" in wrong_kind.output
    gold = _write_gold(tmp_path / "g.jsonl")
    no_index = runner.invoke(app, ["eval", "qa", "--gold", str(gold), "--out", str(tmp_path / "o")])
    assert no_index.exit_code == 1 and "--index" in no_index.output and "--corpus" in no_index.output
    missing = runner.invoke(
        app, ["eval", "qa", "--gold", str(gold), "--index", str(tmp_path / "none"), "--out", str(tmp_path / "o")]
    )
    assert missing.exit_code == 1 and "error:" in missing.output
    corpus = ["--corpus", str(gold)]
    no_type = runner.invoke(
        app, ["eval", "qa", "--gold", str(gold), *corpus, "--type", "where", "--out", str(tmp_path / "o")]
    )
    assert no_type.exit_code == 1 and "no gold question has type where" in no_type.output, no_type.output
    assert "amount, how_many, unanswerable" in no_type.output


def test_corpus_index_is_temporary_and_outside_out(tmp_path: Path, encoder) -> None:
    """--corpus builds a real index for the run, in a temp dir that is gone afterwards."""
    from eval.corpus import evaluation_engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SAMPLES / "rta_fares_2024.txt", corpus)
    with evaluation_engine(None, corpus, "dense", show_progress=False) as info:
        assert info.temporary and info.index_build_s is not None
        passages = info.engine.retriever.search("adult single fare", 3).passages
        assert passages and passages[0].release_id == "rta_fares_2024"
        assert info.engine.retriever.config.lexical is False
        path = info.index
    assert not path.exists()


class _Stream:
    """What Engine.ask / summarize_release return: iterate for pieces, then read the result."""

    def __init__(self, text: str, result: object, question: str = "") -> None:
        self.pieces, self.raw, self.question = [text], text, question  # question: as searched
        self.answer = self.summary = result

    def __iter__(self):
        yield from self.pieces


class _StubEngine:
    """Engine's surface as the runners use it, with canned answers: tests the runners without a model."""

    def __init__(self) -> None:
        from datetime import date

        from embeddings.types import Release
        from qa.types import Answer, Citation, Passage

        def passage(rid: str) -> Passage:
            return Passage(1, rid, f"title {rid}", date(2020, 1, 1), None, "", "text", 0, 4, 0.5)

        self.passages = [passage(r) for r in ("r2", "r1", "r3")]
        self.Answer, self.Citation = Answer, Citation
        self.release_text = Release("r1", "Fiskars recall", "Fiskars Brands Inc. will pay $2.6 million. 103,000 axes.")
        self.asked: list[str] = []
        stub = self

        class Retriever:
            def search(self, question: str, k: int):
                stub.asked.append(question)
                return type("R", (), {"passages": stub.passages[:k]})()

        class Index:
            def release(self, rid: str):
                return stub.release_text if rid == "r1" else None

        self.retriever, self.index = Retriever(), Index()

    def ask(self, question: str, k: int, model: str | None, max_new_tokens: int, history=()) -> _Stream:
        self.asked.append(question)
        if "unknown" in question:
            # As the product does: the refusal repeats the question.
            text = f'The indexed releases do not say. I found nothing that answers "{question}".'
            return _Stream("no", self.Answer(text, False, (), tuple(self.passages[:k])), question)
        cite = self.Citation(1, self.passages[1], 0, 4)
        text = "Sentencing is on 9 March 2017 [1]."
        answer = self.Answer(text, True, (cite,), tuple(self.passages[:k]), question, {"retrieve": 0.01})
        return _Stream(text, answer, question)

    def summarize_topic(self, topic: str, length: str, model: str | None = None, max_releases=None) -> _Stream:
        self.asked.append(topic)
        shown = tuple(self.passages)  # r2, r1, r3 as [1], [2], [3]
        text = "Fiskars will pay $2.6 million [2]. The case began earlier [1]. An unrelated recall [3]."
        return _Stream(text, self.Answer(text, True, (), shown, topic, {"total": 2.0}))

    def summarize_release(self, rid: str, length: str, model: str | None = None) -> _Stream:
        text = "Fiskars Brands Inc. will pay $2.6 million. John Smith recalled 7 axes."
        return _Stream(text, self.Answer(text, True, (), (), "", {"total": 1.0}))


def test_runners_score_what_the_engine_says(tmp_path: Path) -> None:
    from eval.aggregate import summarize
    from eval.gold import GoldQuestion, GoldSummary
    from eval.outputs import write_outputs
    from eval.run_qa import QAOptions, run_qa
    from eval.run_summaries import SummaryOptions, run_summaries
    from eval.store import ResultsWriter, read_results

    engine = _StubEngine()
    items = [
        GoldQuestion("q1", "When is sentencing?", ("March 9, 2017",), "when", "r1"),
        GoldQuestion("q2", "An unknown thing?", (), "unanswerable", None),
        GoldQuestion("q3", "When is the hearing?", ("April 1, 2017",), "when", "r9"),
        GoldQuestion("q4", "Was the unknown man from Mississippi?", ("Mississippi",), "where", "r1"),
    ]
    with ResultsWriter(tmp_path / "qa" / "results.jsonl") as writer:
        records, interrupted = run_qa(engine, items, QAOptions(top_k=2), writer, progress=False)
    # The JSON form reads back as the same records.
    assert not interrupted and read_results(tmp_path / "qa" / "results.jsonl") == records
    # Only questions reach the engine: never gold answers or releases.
    assert set(engine.asked) == {i.question for i in items}
    q1, q2, q3, q4 = records
    assert q1.correct and q1.ok and q1.gold_rank == 2 and q1.cites_gold and q1.shown == ("r2", "r1")
    assert len(q1.retrieved) == 3  # metrics see max(10, k) passages while the model saw k
    assert not q2.found and q2.ok
    assert not q3.correct and q3.gold_rank is None and not q3.cites_gold
    # A refusal is never a right answer, even when its wording contains the gold answer.
    assert "Mississippi" in (q4.answer or "") and not q4.correct and q4.f1 == 0.0
    config = {"gold": "g", "model": "m", "retrieval": "hybrid"}
    summary = summarize("qa", records, config, {}, git=None, machine=None)
    o = summary.overall
    assert (o["accuracy"], o["hit@1"], o["hit@3"], o["mrr@10"]) == (0.3333, 0.0, 0.6667, 0.3333)
    assert (o["citation_precision"], o["refused_unanswerable"], o["wrongly_refused"]) == (0.5, 1.0, 0.3333)
    assert summary.by_type["when"]["n"] == 2 and o["overall_correct"] == 0.5
    assert o["correct_and_cited"] == 0.3333  # q1 only: right and citing r1; q3 wrong; q4 refused
    write_outputs(tmp_path / "qa", summary, records)
    assert "q3 (when)" in (tmp_path / "qa" / "report.md").read_text()

    # --retrieval-only: the same retrieval metrics, no model, no answer metrics.
    engine.asked.clear()
    with ResultsWriter(tmp_path / "r" / "results.jsonl") as writer:
        records, _ = run_qa(engine, items, QAOptions(top_k=2, retrieval_only=True), writer, progress=False)
    assert [r.gold_rank for r in records] == [2, None, None, 2] and records[0].correct is None
    summary = summarize("qa", records, {"retrieval_only": True}, {}, git=None, machine=None)
    o = summary.overall
    assert (o["hit@1"], o["hit@3"], o["accuracy"], o["wrongly_refused"]) == (0.0, 0.6667, None, None)
    write_outputs(tmp_path / "r", summary, records)

    golds = [
        GoldSummary("s1", "r1", ("$2.6 million", "103,000 axes"), "Fiskars Brands Inc. will pay $2.6 million."),
        GoldSummary("s2", "missing", (), "x"),
    ]
    with ResultsWriter(tmp_path / "s" / "results.jsonl") as writer:
        records, _ = run_summaries(engine, golds, SummaryOptions(), writer, progress=False)
    assert read_results(tmp_path / "s" / "results.jsonl") == records
    s1, s2 = records
    assert s1.key_fact_recall == 0.5 and s1.missing_facts == ("103,000 axes",)
    assert s1.faithfulness is not None and s1.faithfulness.numbers_unsupported == ["7"]
    assert "John Smith" in s1.faithfulness.names_unsupported
    assert s1.rouge["rouge1"] > 0.5 and s1.words == 12
    assert s2.error and "not in the index" in s2.error
    # The trivial summaries of the same release, scored the same way in the same run.
    lead = s1.baselines["lead-3"]
    assert lead["text"] == "Fiskars Brands Inc. will pay $2.6 million. 103,000 axes." and lead["key_fact_recall"] == 1.0
    assert s1.baselines["first 12 words"]["words"] == 9  # the release is shorter than the summary
    summary = summarize("summaries", records, {"gold": "g"}, {}, git=None, machine=None)
    assert summary.overall["errors"] == 1 and summary.overall["key_fact_recall"] == 0.5
    assert set(summary.by_type) == {"lead-3", "first paragraph", "first N words", "model's text alone"}
    assert summary.by_type["lead-3"]["key_fact_recall"] == 1.0
    write_outputs(tmp_path / "s", summary, records)
    assert "| lead-3 | 1 | 100.0 |" in (tmp_path / "s" / "report.md").read_text()

    # Topics: the gold releases cited, their facts, the citations' precision and the date order.
    from eval.gold import GoldTopic
    from eval.run_topics import TopicOptions, run_topics

    topic = GoldTopic(
        "t1", "Fiskars axe recall", True, ("r1", "r2"), {"r1": "2014-12-31", "r2": "2014-06-01"},
        {"r1": ("$2.6 million",), "r2": ("103,000 axes",)},
    )  # fmt: skip
    with ResultsWriter(tmp_path / "t" / "results.jsonl") as writer:
        records, _ = run_topics(engine, [topic], TopicOptions(), writer, progress=False)
    assert read_results(tmp_path / "t" / "results.jsonl") == records
    [t1] = records
    assert engine.asked[-1] == "Fiskars axe recall" and t1.cited == ("r1", "r2", "r3")
    assert (t1.release_coverage, t1.fact_recall, t1.citation_precision) == (1.0, 0.5, 0.6667)
    assert t1.in_date_order is False  # r1 (December) is cited before r2 (June)
    summary = summarize("topics", records, {"gold": "g"}, {}, git=None, machine=None)
    assert summary.overall["release_coverage"] == 1.0 and summary.overall["in_date_order"] == 0.0
    write_outputs(tmp_path / "t", summary, records)
    assert "t1: Fiskars axe recall" in (tmp_path / "t" / "report.md").read_text()
    assert (tmp_path / "s" / "scores.png").exists()


def test_the_ablation_scores_each_reader_stage_from_one_run() -> None:
    from eval.ablation import score_rows
    from eval.records import CitedRelease, QAResult

    def record(qid: str, answer: str, method: str, stages: dict, total: float, timings: dict) -> QAResult:
        return QAResult(
            id=qid, type="amount", question="How much?", gold_answers=("$14 million",), gold_release_id="r1",
            answerable=True, answer=answer, found=True, citations=(CitedRelease(1, "r1", "t"),), method=method,
            stages=stages, latency={"total": total}, engine_timings=timings,
        )  # fmt: skip

    refused = {"answer": "The releases do not say.", "found": False, "cited": []}
    records = [
        # the model answered right: every stage the same
        record(
            "a",
            "$14 million [1]",
            "model",
            {"draft": {"answer": "$14 million", "found": True, "cited": ["r1"]}},
            10.0,
            {"check": 0.0},
        ),
        # it refused; the best-supported candidate was wrong; the choice was right
        record(
            "b",
            "$14 million [1]",
            "chosen",
            {"draft": refused, "fallback": {"answer": "$2 million", "found": True, "cited": ["r1"]}},
            14.0,
            {"check": 0.0, "choose": 4.0},
        ),
    ]
    rows = dict(score_rows(records, staged=True))
    assert rows["model's answer"]["right"] == 0.5 and rows["model's answer"]["wrongly_refused"] == 0.5
    assert rows["+ span check, best-supported candidate"]["right"] == 0.5
    assert rows["+ choice among candidates"]["right"] == 1.0 and rows["+ choice among candidates"]["right_cited"] == 1.0
    assert rows["model's answer"]["p50_s"] == 10.0 and rows["+ choice among candidates"]["p50_s"] == 12.0
