"""The bench's answer rows, one per model x runtime: model load, time to first token, prefill and decode rates,
answers holding the gold, and decode as a share of the rate the machine's memory bandwidth allows."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from eval.bench_measure import percentiles
from eval.bench_models import ModelRun, weight_bytes
from eval.gold import GoldQuestion
from eval.metrics import contains_match, percentile
from qa.engine import Engine
from qa.prompt import answer_messages


def engine_for(engine: Engine, runtime: str) -> Engine:
    """The same index, encoder and retrieval with the answer model in ``runtime``.

    quantize is a transformers setting (int8 MLP weights); llama.cpp runs the GGUF's own quantisation and
    refuses the flag, so its rows run without it rather than fail."""
    update: dict[str, Any] = {"runtime": runtime}
    if runtime == "llama.cpp":
        update["quantize"] = False
    return Engine(engine.settings.model_copy(update=update), engine.index, engine.encoder, engine.retriever.config)


def answer_run(
    engine: Engine, run: ModelRun, questions: Sequence[GoldQuestion], bandwidth_gb_per_s: float | None = None
) -> dict[str, Any]:
    model = run.model
    t0 = time.perf_counter()
    generator = engine.generator(model)
    load = time.perf_counter() - t0
    engine.ask(questions[0].question, model=model, max_new_tokens=4).__iter__().__next__()  # warm-up
    first, total, decode_rates, prefill_rates, prompt_sizes, correct = [], [], [], [], [], []
    for q in questions:
        stream = engine.ask(q.question, model=model)
        for _ in stream:
            pass
        answer = stream.answer
        assert answer is not None
        timings = answer.timings
        prompt = generator.prompt_tokens(answer_messages(stream.question, stream.passages))
        produced = generator.count_tokens(stream.raw)
        ttft = timings.get("retrieve", 0.0) + timings.get("first_token", timings.get("generate", 0.0))
        first.append(ttft)
        total.append(timings.get("retrieve", 0.0) + timings.get("generate", 0.0))
        prompt_sizes.append(prompt)
        if "first_token" in timings:
            prefill_rates.append(prompt / timings["first_token"])
            decode_time = timings["generate"] - timings["first_token"]
            if produced > 1 and decode_time > 0:
                decode_rates.append((produced - 1) / decode_time)
        if q.answers:
            correct.append(contains_match(answer.text, q.answers) is not None)
    decode = round(float(np.median(decode_rates)), 2) if decode_rates else None
    weights, counted = weight_bytes(generator)
    limit = bandwidth_gb_per_s * 1e9 / weights if bandwidth_gb_per_s and weights else None
    return {
        "model": model,
        "runtime": run.runtime,
        "describe": generator.describe(),
        "questions": len(questions),
        "load_s": round(load, 2),
        "first_token_s": percentiles(first),
        "total_s": percentiles(total),
        "decode_tokens_per_s": decode,
        "prefill_tokens_per_s": round(float(np.median(prefill_rates)), 1) if prefill_rates else None,
        "prompt_tokens": {"p50": percentile(prompt_sizes, 50), "max": max(prompt_sizes)},
        "answer_contains_gold": round(100 * sum(correct) / len(correct), 1) if correct else None,
        "weight_bytes": weights,
        "weights_counted": counted,
        # Each decoded token reads the weights once, so the memory can feed at most this many tokens/s.
        "bandwidth_limit_tokens_per_s": round(limit, 2) if limit else None,
        "decode_pct_of_limit": round(100 * decode / limit, 1) if limit and decode else None,
    }
