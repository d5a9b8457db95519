"""`pressqa eval dates` (eval/run_dates.py): event days scored against annotated ones, on a small ISAF-style file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from eval.run_dates import NO_DATE, RELEASE_DATE, find_day, load_releases, read_event_days, score_dates

RELEASES = [
    ("isaf-01", "KABUL, Afghanistan (May 3, 2011)\u2028A force detained two men in Khost yesterday.", "2011-05-02"),
    ("isaf-02", "KABUL, Afghanistan (May 4, 2011)\nA force detained a leader in Zabul province.", "2011-05-04"),
    ("isaf-03", "KABUL, Afghanistan (May 6)\nA patrol found a weapons cache in Helmand today.", "2011-05-06"),
    ("isaf-04", "KABUL, Afghanistan (May 9, 2011)\nA patrol killed two insurgents in Kunar Sunday.", "2011-05-07"),
]


def _write(folder: Path) -> Path:
    path = folder / "releases.jsonl"
    lines = [json.dumps({"id": i, "text": t, "annotations": {"start_date": d}}) for i, t, d in RELEASES]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_event_days_are_scored_by_how_they_were_found_and_by_half(tmp_path: Path) -> None:
    path = _write(tmp_path)
    gold = read_event_days(path)  # a text's U+2028 is no line break of the file
    assert gold["isaf-01"] == date(2011, 5, 2) and len(gold) == 4
    found = [find_day(r) for r in load_releases(path)]
    assert [f.how for f in found] == ["day before", RELEASE_DATE, NO_DATE, "weekday"]
    scored = score_dates(found, gold)
    assert (scored["right"], scored["releases"], scored["no_date"], scored["dated_releases"]) == (2, 4, 1, 3)
    assert scored["accuracy_dated"] == round(2 / 3, 4)
    assert scored["halves"]["first"]["right"] == 2 and scored["halves"]["second"]["right"] == 0
    assert scored["by_how"]["weekday"] == {"releases": 1, "right": 0}
    miss = next(m for m in scored["misses"] if m["id"] == "isaf-04")
    # Sunday May 8 was found; the annotation says May 7, a day before.
    assert (miss["found"], miss["off_days"], miss["words"]) == ("2011-05-08", -1, "Sunday")
    assert "Kunar Sunday" in miss["context"]
    assert scored["misses_by_off_days"] == {"none": 1, "-1": 1}


def test_the_command_writes_dates_json_and_refuses_a_file_without_annotations(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eval.cli import eval_app

    path = _write(tmp_path)
    out = tmp_path / "out"
    args = ["dates", "--gold", str(path), "--corpus", str(path), "--speed-sample", "2", "--out", str(out)]
    result = CliRunner().invoke(eval_app, args)
    assert result.exit_code == 0, result.output
    written = json.loads((out / "dates.json").read_text(encoding="utf-8"))
    assert written["kind"] == "dates" and written["overall"]["right"] == 2 and written["speed"]["releases"] == 2
    assert "2 of 4 event days right (50.0%)" in result.output

    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({"id": "1", "text": "A patrol found a cache today."}) + "\n", encoding="utf-8")
    refused = CliRunner().invoke(eval_app, ["dates", "--gold", str(bare), "--corpus", str(bare), "--out", str(out)])
    assert refused.exit_code == 1 and "no release in" in refused.output
