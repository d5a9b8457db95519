"""The loop both runners share: evaluate each item, write its record at once, show running scores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from tqdm import tqdm

from eval.records import ItemResult
from eval.store import ResultsWriter

Item = TypeVar("Item")
Result = TypeVar("Result", bound=ItemResult)


def run_items(
    items: Sequence[Item],
    evaluate: Callable[[Item], Result | list[Result]],
    writer: ResultsWriter,
    running: Callable[[Sequence[Result]], str],
    desc: str,
    unit: str,
    progress: bool = True,
) -> tuple[list[Result], bool]:
    """Evaluates every item, writing each record as it finishes; Ctrl-C ends the run with what is done.

    Returns the records and whether the run was interrupted. `running` gives the progress bar's scores.
    An item may give several records (a conversation gives one a turn).
    """
    records: list[Result] = []
    bar = tqdm(items, desc=desc, unit=unit, disable=not progress, dynamic_ncols=True)
    try:
        for item in bar:
            result = evaluate(item)
            for record in result if isinstance(result, list) else [result]:
                writer.write(record)
                records.append(record)
            bar.set_postfix_str(running(records))
    except KeyboardInterrupt:
        return records, True
    finally:
        bar.close()
    return records, False
