"""The generation guards: loops end generation, so does the time budget, and normal text passes untouched."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from qa.guard import guarded, is_looping


def test_a_line_repeated_three_times_is_a_loop() -> None:
    text = "- The city will repair the bridge.\n- Body script\n- Body script\n- Body script\n"
    assert is_looping(text)
    assert not is_looping(text.rsplit("- Body script\n", 1)[0])  # two copies are not yet a loop


def test_a_run_on_loop_without_line_breaks_is_a_loop() -> None:
    assert is_looping("He said that " + "the bridge is closed, " * 4)
    assert not is_looping("He said that " + "the bridge is closed, " * 3)


@pytest.mark.parametrize(
    "text",
    [
        "Mayor Ana Ruiz said the bridge will reopen on May 3, 2024 [1].",
        "- Yes.\n- Yes.\n- Yes.\n- Yes.\n",  # short lines may recur
        "- Repairs start in May.\n- The cost is $4.2 million.\n- Work ends in October.\n",
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12",
        "",
    ],
)
def test_ordinary_answers_and_summaries_are_not_loops(text: str) -> None:
    assert not is_looping(text)


class Source:
    """An endless decoder: counts the pieces taken and whether it was closed (as a runtime's stream is)."""

    def __init__(self, pieces: Iterator[str], delay: float = 0.0) -> None:
        self.pieces, self.delay, self.taken, self.closed = pieces, delay, 0, False

    def __iter__(self) -> Source:
        return self

    def __next__(self) -> str:
        time.sleep(self.delay)
        self.taken += 1
        return next(self.pieces)

    def close(self) -> None:
        self.closed = True


def _forever(line: str) -> Iterator[str]:
    while True:
        yield line


def test_guarded_stops_a_looping_source_and_closes_it() -> None:
    source = Source(_forever("- Body script\n"))
    out = "".join(guarded(source))
    assert out == "- Body script\n" * 3
    assert source.closed and source.taken == 3


def test_guarded_stops_when_the_budget_is_spent() -> None:
    counter = iter(range(10**9))
    source = Source((f"word{next(counter)} " for _ in iter(int, 1)), delay=0.01)
    out = list(guarded(source, budget_s=0.2))
    assert source.closed and 0 < len(out) < 1000


def test_guarded_passes_a_finite_source_through_whole() -> None:
    pieces = ["The bridge ", "reopens ", "in May [1]."]
    assert list(guarded(iter(pieces), budget_s=60)) == pieces
