"""Start-up probe, run by `pressqa bench` in a fresh process: how long until an index answers a query.

Prints one JSON line with wall-clock timestamps (`time.time()`, comparable with the parent's clock) for
each milestone, and this process's peak resident memory, which is what serving the index costs.

    python -m eval.bench_startup INDEX_DIR "QUESTION" [--model NAME]
"""

from __future__ import annotations

import time

STARTED = time.time()  # before the heavy imports: they are part of start-up

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
from pathlib import Path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index", type=Path)
    parser.add_argument("question")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    from embeddings.settings import get_settings
    from qa.engine import Engine

    marks: dict[str, float] = {"started": STARTED, "imported": time.time()}
    settings = get_settings(index=args.index)
    engine = Engine.open(settings)
    marks["opened"] = time.time()
    passages = engine.retriever.search(args.question, settings.top_k).passages
    marks["retrieved"] = time.time()
    result: dict[str, object] = {"passages": len(passages)}
    if args.model:
        generator = engine.generator(args.model)
        marks["model_loaded"] = time.time()
        stream = engine.ask(args.question, model=args.model, max_new_tokens=8)
        pieces = iter(stream)
        next(pieces, None)
        marks["first_token"] = time.time()
        pieces.close()  # stops the generation thread
        del generator
    result["marks"] = marks
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps(result))


if __name__ == "__main__":
    main()
