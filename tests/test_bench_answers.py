"""The bench's answer rows: MODEL@RUNTIME parsing, the bandwidth measure, weight bytes per token, the report of old
and new bench.json, and `pressqa bench --index` over a real index (one slow test loads the 0.5B)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from eval.bench_bandwidth import measure_bandwidth
from eval.bench_models import ModelRun, gguf_weight_bytes, parse_model_runs, torch_weight_bytes
from eval.bench_report import bench_markdown
from qa.llamacpp import available
from tests.test_eval_run import _write_gold
from ui.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


def _tree_digest(folder: Path) -> dict[str, str]:
    """Every index file's hash. SQLite's -shm/-wal sidecars appear whenever a reader opens the database; a
    write would leave the -wal non-empty or, checkpointed on close, change the database file itself."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert all(p.stat().st_size == 0 for p in files if p.name.endswith("-wal"))
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
        if not p.name.endswith(("-shm", "-wal"))
    }


# --- MODEL@RUNTIME ---------------------------------------------------------------------------------------


def test_model_runs_take_an_optional_runtime() -> None:
    runs = parse_model_runs(" qwen2.5-0.5b@transformers, qwen2.5-1.5b@llama.cpp,qwen2.5-0.5b ,", "llama.cpp")
    assert runs == [
        ModelRun("qwen2.5-0.5b", "transformers"),
        ModelRun("qwen2.5-1.5b", "llama.cpp"),
        ModelRun("qwen2.5-0.5b", "llama.cpp"),  # no @: the settings' runtime
    ]
    assert parse_model_runs("a,a@transformers", "transformers") == [ModelRun("a", "transformers")]  # once each
    assert parse_model_runs("", "transformers") == []
    assert str(runs[1]) == "qwen2.5-1.5b@llama.cpp"
    assert parse_model_runs("/models/x@2@llama.cpp", "transformers") == [ModelRun("/models/x@2", "llama.cpp")]


def test_auto_entries_are_what_pressqa_would_choose() -> None:
    from qa.choice import choose

    chosen = choose()
    assert parse_model_runs("auto", "auto") == [ModelRun(chosen.model, chosen.runtime)]
    assert parse_model_runs("qwen2.5-0.5b@auto", "transformers")[0].runtime == choose("qwen2.5-0.5b").runtime


@pytest.mark.parametrize(
    ("entry", "message"),
    [("qwen2.5-0.5b@vllm", "unknown runtime 'vllm'"), ("@llama.cpp", "names no model"), ("a@", "unknown runtime")],
)
def test_a_bad_model_entry_is_one_clear_error(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_model_runs(f"qwen2.5-0.5b,{entry}", "transformers")
    assert "\n" not in str(caught.value) and entry in str(caught.value)


def test_bench_refuses_a_bad_runtime_before_any_work(tmp_path: Path, sample_index_dir: Path) -> None:
    gold = _write_gold(tmp_path / "gold.jsonl")
    base = ["bench", "--index", str(sample_index_dir), "--gold", str(gold), "--out", str(tmp_path / "out")]
    result = runner.invoke(app, [*base, "--models", "qwen2.5-0.5b@vllm"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: --models entry 'qwen2.5-0.5b@vllm': unknown runtime 'vllm': use one of transformers, llama.cpp"
    ]
    result = runner.invoke(app, [*base, "--models", "no-such-model@transformers"])
    assert result.exit_code == 1 and "unknown model 'no-such-model'" in result.output
    assert not (tmp_path / "out").exists()
    result = runner.invoke(app, [*base, "--models", "", "--keep-index", str(tmp_path / "k")])
    assert result.exit_code == 1 and "--keep-index" in result.output


# --- bandwidth and weight bytes --------------------------------------------------------------------------


def test_bandwidth_is_a_positive_finite_rate() -> None:
    measured = measure_bandwidth(threads=2, nbytes=8 << 20, repeats=2)
    assert math.isfinite(measured["gb_per_s"]) and measured["gb_per_s"] > 0
    assert measured["array_bytes"] == 8 << 20 and measured["threads"] == 2 and measured["repeats"] == 2
    # read + written: twice the array per best copy
    assert measured["gb_per_s"] == pytest.approx(2 * (8 << 20) / measured["best_s"] / 1e9, rel=0.01)
    with pytest.raises(ValueError):
        measure_bandwidth(threads=0, nbytes=1 << 20)
    with pytest.raises(ValueError):
        measure_bandwidth(threads=4, nbytes=16)


def _tiny_qwen(tied: bool):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=1000,
        hidden_size=16,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        tie_word_embeddings=tied,
    )
    return Qwen2ForCausalLM(config).eval()


def test_torch_weight_bytes_count_the_input_embeddings_only_when_tied() -> None:
    from qa.generate import quantize_linear_layers

    untied, tied = _tiny_qwen(False), _tiny_qwen(True)
    table = 1000 * 16 * 4  # float32 embedding table
    every = sum(p.numel() * 4 for p in untied.parameters())
    assert torch_weight_bytes(untied) == every - table  # one row per token: left out
    assert torch_weight_bytes(tied) == sum(p.numel() * 4 for p in tied.parameters())  # it is the output matrix
    assert torch_weight_bytes(tied) == torch_weight_bytes(untied)

    mlp = sum(m.weight.numel() for n, m in untied.named_modules() if n.endswith(("mlp.gate_proj", "mlp.up_proj")))
    assert torch_weight_bytes(quantize_linear_layers(untied)) == every - table - 3 * mlp  # int8: 1 byte, not 4


def test_gguf_weight_bytes_leave_out_an_untied_input_table(tmp_path: Path) -> None:
    import gguf

    def write(path: Path, output: bool) -> Path:
        writer = gguf.GGUFWriter(path, "qwen2")
        writer.add_tensor("token_embd.weight", np.zeros((100, 8), dtype=np.float32))
        writer.add_tensor("blk.0.ffn_up.weight", np.zeros((8, 32), dtype=np.float16))
        if output:
            writer.add_tensor("output.weight", np.zeros((100, 8), dtype=np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path

    assert gguf_weight_bytes(write(tmp_path / "untied.gguf", output=True)) == 8 * 32 * 2 + 100 * 8 * 4
    assert gguf_weight_bytes(write(tmp_path / "tied.gguf", output=False)) == 8 * 32 * 2 + 100 * 8 * 4


# --- the report ------------------------------------------------------------------------------------------


def _answers_table(markdown: str) -> list[list[str]]:
    lines = markdown.split("## Answers", 1)[1].splitlines()
    rows = [line for line in lines if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_an_older_bench_json_still_renders() -> None:
    old = json.loads((REPO / "eval/results/bench.json").read_text())
    assert "bandwidth" not in old and "runtime" not in old["answers"][0]
    table = _answers_table(bench_markdown(old))
    header, first = table[0], dict(zip(table[0], table[1], strict=True))
    assert header[:3] == ["model", "runtime", "load s"] and "% of limit" in header
    assert first["model"] == "qwen2.5-0.5b" and first["decode tok/s"] == "5.36"
    assert first["runtime"] == first["bandwidth limit tok/s"] == first["% of limit"] == "–"


def test_a_new_bench_json_renders_runtime_bandwidth_and_limit() -> None:
    old = json.loads((REPO / "eval/results/bench.json").read_text())
    row = old["answers"][0] | {
        "runtime": "llama.cpp",
        "describe": "qwen2.5-0.5b (llama.cpp, Q8_0, 2 threads)",
        "weight_bytes": 391_859_712,
        "weights_counted": "GGUF tensors, input embeddings only if tied",
        "bandwidth_limit_tokens_per_s": 65.84,
        "decode_pct_of_limit": 28.1,
    }
    bandwidth = {"gb_per_s": 25.8, "counts": "bytes read + bytes written per copy (2x the array)"}
    bandwidth |= {"array_bytes": 1 << 30, "threads": 2, "repeats": 5}
    new = {k: v for k, v in old.items() if k not in ("corpus", "releases_loaded", "releases_failed", "sizes")}
    new |= {"index": "/tmp/idx", "index_releases": 14, "index_chunks": 40, "answers": [row], "bandwidth": bandwidth}
    markdown = bench_markdown(new)
    assert "Answers only, over the index `/tmp/idx` (14 releases, 40 chunks" in markdown
    assert "## Ingestion" not in markdown and "## Start-up" not in markdown
    assert "Memory bandwidth, same run: 25.8 GB/s (numpy copy of a 1 GiB array with 2 threads, best of 5" in markdown
    table = _answers_table(markdown)
    cells = dict(zip(table[0], table[1], strict=True))
    assert cells["runtime"] == "llama.cpp, Q8_0, 2 threads"
    assert cells["weights MB"] == "392" and cells["bandwidth limit tok/s"] == "65.84" and cells["% of limit"] == "28.10"


# --- `pressqa bench --index` -----------------------------------------------------------------------------


def test_answers_only_over_an_existing_index_measures_the_bandwidth(tmp_path: Path, sample_index_dir: Path) -> None:
    gold = _write_gold(tmp_path / "gold.jsonl")
    before = _tree_digest(sample_index_dir)
    out = tmp_path / "out"
    args = ["bench", "--index", str(sample_index_dir), "--gold", str(gold), "--models", "", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert _tree_digest(sample_index_dir) == before  # read, never changed
    bench = json.loads((out / "bench.json").read_text())
    assert bench["index"] == str(sample_index_dir) and bench["index_releases"] == 14
    assert bench["gold_releases_missing"] == 0 and bench["answers"] == [] and "sizes" not in bench
    assert bench["bandwidth"]["gb_per_s"] > 0 and bench["bandwidth"]["array_bytes"] == 1 << 30
    assert "Memory bandwidth, same run" in (out / "bench.md").read_text()
    assert not (out / "bench.png").exists()  # no sizes, no scaling plot

    missing = runner.invoke(app, [*args[:2], str(tmp_path / "none"), *args[3:]])
    assert missing.exit_code == 1 and "--index: no such folder" in missing.output
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(app, [*args[:2], str(tmp_path / "empty"), *args[3:]])
    assert empty.exit_code == 1 and "No index at" in empty.output
    assert list((tmp_path / "empty").iterdir()) == []  # not created


@pytest.mark.slow
def test_answers_only_times_a_model_against_the_limit(
    tmp_path: Path, sample_index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = "llama.cpp" if available() else "transformers"
    monkeypatch.setenv("PRESSQA_MAX_NEW_TOKENS", "24")
    gold = _write_gold(tmp_path / "gold.jsonl")
    before = _tree_digest(sample_index_dir)
    out = tmp_path / "out"
    args = ["bench", "--index", str(sample_index_dir), "--gold", str(gold), "--out", str(out)]
    result = runner.invoke(app, [*args, "--models", f"qwen2.5-0.5b@{runtime}", "--answer-questions", "2"])
    assert result.exit_code == 0, result.output
    assert _tree_digest(sample_index_dir) == before
    bench = json.loads((out / "bench.json").read_text())
    (row,) = bench["answers"]
    assert row["model"] == "qwen2.5-0.5b" and row["runtime"] == runtime and row["questions"] == 2
    assert row["describe"].startswith(f"qwen2.5-0.5b ({runtime}, ")
    assert row["weight_bytes"] > 300e6 and row["prompt_tokens"]["max"] >= row["prompt_tokens"]["p50"] > 50
    assert row["decode_tokens_per_s"] > 0 and row["first_token_s"]["p50"] > 0
    assert row["answer_contains_gold"] in (0.0, 50.0, 100.0)  # of the two answerable questions
    limit = bench["bandwidth"]["gb_per_s"] * 1e9 / row["weight_bytes"]
    assert row["bandwidth_limit_tokens_per_s"] == pytest.approx(limit, abs=0.01)
    assert row["decode_pct_of_limit"] == pytest.approx(100 * row["decode_tokens_per_s"] / limit, abs=0.1)
    assert f"| qwen2.5-0.5b | {row['describe'][len('qwen2.5-0.5b (') : -1]} |" in (out / "bench.md").read_text()
