"""transformers vs llama.cpp on this CPU, in one process: load, prefill, decode, first token, whole answer.

Every runtime and model gets the same ~500-token prompt (a sample release plus a question, chat-formatted by
the model's own template), greedy decoding and the same answer cap, after one short warm-up generation.
Ratios are against transformers with the 0.5B model measured in the same run, so a busy CPU slows the
reference as much as the others. Every ratio reads "times as fast as the reference" (above 1 is faster).

Measured on the 2-core AMX Xeon (2 threads, 496-token prompt, 60-token cap, quiet CPU), llama.cpp built
with the portable AVX2 set / with the AVX-512 set the Makefile now picks there: transformers bf16 0.5B
prefills 950 tok/s (AMX) and decodes 11.5-12.3, first token 0.52 s, whole answer 5.3-5.7 s. llama.cpp 0.5B:
prefill 126 / 200 tok/s, decode 23.8 / 26.0, first token 3.9 / 2.5 s, whole 6.4 / 4.75 s. llama.cpp 1.5B:
prefill 65 / 95 tok/s, decode 15.3 / 15.7, first token 7.6 / 5.2 s, whole 11.5 / 9.0 s. A build with
llama.cpp's AMX kernels (GGML_AMX_*) dies with "Illegal instruction" on this machine.

    python -m eval.runtime_compare [--models qwen2.5-0.5b qwen2.5-1.5b] [--tokens 500] [--out result.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from embeddings.hardware import cpu, machine_info
from embeddings.settings import Settings
from qa.generate import get_generator
from qa.gguf_file import gguf_path
from qa.models import available_models, resolve_model
from qa.runtime import Messages, TextGenerator, physical_cores

REFERENCE = ("transformers", "qwen2.5-0.5b")
RELEASE = Path(__file__).resolve().parents[1] / "embeddings" / "sample_releases" / "riverton_bridge_repair.txt"
QUESTION = "What will the Millbrook Bridge repair involve, what will it cost and when will it be finished?"
SYSTEM = "Answer from the press release below in a few sentences."


@dataclass
class Row:
    runtime: str
    model: str
    describe: str
    load_s: float
    prompt_tokens: int
    answer_tokens: int
    prefill_tok_s: float
    decode_tok_s: float | None
    first_token_s: float
    total_s: float


def build_prompt(generator: TextGenerator, target_tokens: int) -> Messages:
    """The release's words (repeated if it is short), cut so that the whole prompt is about ``target_tokens``."""
    words = RELEASE.read_text().split()
    while len(words) < target_tokens * 2:
        words += words

    def messages(n: int) -> Messages:
        text = " ".join(words[:n])
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"{text}\n\nQuestion: {QUESTION}"}]

    lo, hi = 1, len(words)
    while lo < hi:  # the most words whose prompt fits target_tokens
        mid = (lo + hi + 1) // 2
        if generator.prompt_tokens(messages(mid)) <= target_tokens:
            lo = mid
        else:
            hi = mid - 1
    return messages(lo)


def measure(runtime: str, model: str, prompt_for: int, max_new_tokens: int, threads: int, cache: Path) -> Row:
    # Assemble caches first: load_s is an ordinary start, not the one-off join or conversion.
    gguf_path(model, cache) if runtime == "llama.cpp" else resolve_model(model, cache)
    t0 = time.perf_counter()
    generator = get_generator(model, cache, threads=threads, runtime=runtime)
    load = time.perf_counter() - t0
    messages = build_prompt(generator, prompt_for)
    generator.complete([{"role": "user", "content": "Say hello."}], max_new_tokens=4)  # warm-up
    first = None
    text = ""
    t0 = time.perf_counter()
    for piece in generator.stream(messages, max_new_tokens=max_new_tokens):
        if first is None:
            first = time.perf_counter() - t0
        text += piece
    total = time.perf_counter() - t0
    first = first if first is not None else total
    prompt = generator.prompt_tokens(messages)
    produced = generator.count_tokens(text)
    decode_time = total - first
    return Row(
        runtime=runtime,
        model=model,
        describe=generator.describe(),
        load_s=round(load, 2),
        prompt_tokens=prompt,
        answer_tokens=produced,
        # The first piece also carries one decoded token; at 500 prompt tokens that is noise.
        prefill_tok_s=round(prompt / first, 1),
        decode_tok_s=round((produced - 1) / decode_time, 2) if produced > 1 and decode_time > 0 else None,
        first_token_s=round(first, 2),
        total_s=round(total, 2),
    )


def table(rows: list[Row]) -> str:
    ref = next(r for r in rows if (r.runtime, r.model) == REFERENCE)

    def ratio(value: float | None, base: float | None, invert: bool = False) -> str:
        if not value or not base:
            return "-"
        return f"{(base / value if invert else value / base):.2f}x"

    head = (
        "| runtime | model | load s | prompt tok | answer tok | prefill tok/s | decode tok/s | first token s"
        " | total s | prefill vs ref | decode vs ref | first token vs ref | total vs ref |"
    )
    lines = [head, "|" + " --- |" * 13]
    for r in rows:
        lines.append(
            f"| {r.runtime} | {r.describe} | {r.load_s} | {r.prompt_tokens} | {r.answer_tokens} | {r.prefill_tok_s}"
            f" | {r.decode_tok_s} | {r.first_token_s} | {r.total_s} | {ratio(r.prefill_tok_s, ref.prefill_tok_s)}"
            f" | {ratio(r.decode_tok_s, ref.decode_tok_s)} | {ratio(r.first_token_s, ref.first_token_s, True)}"
            f" | {ratio(r.total_s, ref.total_s, True)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=None, help="registry models (default: those installed)")
    parser.add_argument("--runtimes", nargs="+", default=["transformers", "llama.cpp"])
    parser.add_argument("--tokens", type=int, default=500, help="prompt size in tokens")
    parser.add_argument("--max-new-tokens", type=int, default=120)
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = parser.parse_args(argv)

    settings = Settings()
    threads = settings.threads or physical_cores()
    models = args.models or available_models()
    pairs = [REFERENCE] + [(r, m) for r in args.runtimes for m in models if (r, m) != REFERENCE]
    print(f"CPU: {cpu().describe()}; {threads} threads", file=sys.stderr)
    rows = []
    for runtime, model in pairs:
        print(f"measuring {runtime} {model} ...", file=sys.stderr)
        rows.append(measure(runtime, model, args.tokens, args.max_new_tokens, threads, settings.cache))
        gc.collect()
    print(f"CPU: {cpu().describe()}; {threads} threads; prompt ~{args.tokens} tokens, answer cap {args.max_new_tokens}")
    print(table(rows))
    if args.out:
        result = {"machine": machine_info(threads), "rows": [asdict(r) for r in rows], "tokens": args.tokens}
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
