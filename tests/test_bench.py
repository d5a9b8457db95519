"""`pressqa bench` end to end on the sample releases (no generation model: that part is timed in eval runs)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

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
    assert "| releases | chunks | releases/s" in (out / "bench.md").read_text()
    assert (out / "bench.png").stat().st_size > 0


def test_bench_rejects_bad_sizes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "--corpus", str(SAMPLES), "--sizes", "ten", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "--sizes" in result.output
