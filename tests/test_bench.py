"""`pressqa bench` end to end on the sample releases (no generation model: that part is timed in eval runs)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from embeddings.hardware import FLAGS, detected_cpu
from eval.bench import result_header
from eval.bench_report import bench_markdown, machine_line
from tests.conftest import SAMPLES
from tests.test_eval_run import _write_gold
from ui.cli import app

runner = CliRunner()


def test_bench_grows_the_index_and_reports_every_measure(tmp_path: Path) -> None:
    gold = _write_gold(tmp_path / "gold.jsonl")
    out = tmp_path / "bench"
    result = runner.invoke(
        app,
        [
            "bench",
            "--corpus",
            str(SAMPLES),
            "--gold",
            str(gold),
            "--sizes",
            "6,14,100",
            "--models",
            "",
            "--baseline-chunks",
            "12",
            "--guard-size",
            "0",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    bench = json.loads((out / "bench.json").read_text())
    assert [row["size"] for row in bench["sizes"]] == [6, 14]  # 100 is capped at the corpus size
    first, full = bench["sizes"]
    assert full["cumulative"]["releases"] == 14
    assert full["cumulative"]["chunks"] == full["chunks_in_index"] > first["chunks_in_index"] > 0
    for row in bench["sizes"]:
        assert row["reingest"]["chunks_embedded"] == 0
        assert row["reingest"]["unchanged"] == row["size"]
        assert row["retrieval"]["hit_at_5"] == 100.0  # both answerable questions' releases are indexed first
        assert row["startup"]["to_first_retrieval_s"] > 0
        assert row["ann"]["hnsw_recall_at_10"] > 0.9
        assert row["pipeline_vs_bare_encode"] > 0
    assert bench["baseline"]["chunks"] == 12
    assert "answers" in bench and bench["answers"] == []
    assert bench["machine"]["model"] == detected_cpu().model
    assert "| releases | chunks | releases/s" in (out / "bench.md").read_text()
    assert detected_cpu().model in (out / "bench.md").read_text()
    assert (out / "bench.png").stat().st_size > 0


def test_bench_rejects_bad_sizes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "--corpus", str(SAMPLES), "--sizes", "ten", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "--sizes" in result.output


def test_result_records_the_machine(tmp_path: Path) -> None:
    result = result_header(tmp_path / "corpus", tmp_path / "gold.jsonl", 12, 1, 3.456, threads=2)
    machine = result["machine"]
    assert {"model", "cores", "flags", "threads", "torch", "onnxruntime", "python"} <= set(machine)
    assert machine["model"] == detected_cpu().model and machine["threads"] == 2
    assert set(machine["flags"]) == set(FLAGS)
    assert result["releases_loaded"] == 12 and result["parse_s_total"] == 3.46 and result["sizes"] == []
    assert result_header(tmp_path, tmp_path, 0, 0, 0.0, threads=None)["machine"]["threads"] >= 1  # torch's own
    assert json.loads(json.dumps(result)) == result  # what bench.json holds

    result |= {"git": {"commit": "0123456789abcdef", "dirty": False}, "elapsed_s": 60.0}
    header = bench_markdown(result).splitlines()[2]
    assert f"{detected_cpu().model} ({detected_cpu().cores} cores; " in header and ", 2 threads" in header
    assert f"torch {machine['torch']}" in header


def test_machine_line_names_the_cpu_and_reads_older_results() -> None:
    xeon = {"model": "Intel(R) Xeon(R) Processor", "cores": 2, "flags": {f: True for f in FLAGS}, "threads": 2}
    xeon |= {"torch": "2.8.0", "onnxruntime": None}
    assert machine_line(xeon) == (
        "Intel(R) Xeon(R) Processor (2 cores; avx2, avx512f, avx512_vnni, avx512_bf16, amx_bf16, amx_int8), "
        "2 threads (torch 2.8.0)"
    )
    epyc = xeon | {"model": "AMD EPYC 7B13", "flags": {f: f == "avx2" for f in FLAGS}, "onnxruntime": "1.22.0"}
    assert machine_line(epyc) == "AMD EPYC 7B13 (2 cores; avx2), 2 threads (torch 2.8.0, onnxruntime 1.22.0)"
    assert machine_line({"cpus": 2, "python": "3.11.7"}) == "2 CPUs"  # bench.json before machine_info()
