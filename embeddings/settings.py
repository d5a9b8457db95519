"""Every setting and its default in one place, read from PRESSQA_* environment variables.

Arguments (command-line options, keyword overrides) win over the environment. A value that does not
fit raises SettingsError, whose message is one line naming the variable or option and what it takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from platformdirs import user_cache_dir, user_data_dir
from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "PRESSQA_"
# "facts": a release's fact sheet (qa.fact_sheet), its own words line by line; no model writes it.
SummaryLength = Literal["short", "bullets", "detailed", "facts"]
# How a release too long for one prompt is summarised (qa.summarize): "condense" keeps its lead and the
# sentences stating its facts, one model pass; "map-reduce" notes each section, then combines the notes.
LongRelease = Literal["condense", "map-reduce"]


class SettingsError(ValueError):
    """A setting has a value it cannot take; str() is one line naming where the value came from."""

    def __init__(self, source: str, value: object, expected: str) -> None:
        self.source = source  # "PRESSQA_TOP_K" or "--top-k"
        self.value = value
        self.expected = expected
        super().__init__(f"{source}={value!r} is not valid: expected {expected}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    index: Path = Field(default_factory=lambda: Path(user_data_dir("pressqa")) / "index")
    cache: Path = Field(default_factory=lambda: Path(user_cache_dir("pressqa")))
    # "auto": the best packaged model the machine serves within the 0.5B-in-transformers answer time
    # (qa/choice.py); or a registry name, a Hugging Face folder or a .gguf file.
    model: str = Field("auto", min_length=1)
    # Passages shown to the answer model; past 30 the prompt outgrows what the small models read well.
    top_k: int = Field(6, ge=1, le=30)
    # Answer length cap in tokens; 1024 is also the most the web API accepts per request.
    max_new_tokens: int = Field(200, ge=1, le=1024)
    # Releases a topic summary draws on (it retrieves 3 passages per release; 20 excerpts fit the prompt).
    max_releases: int = Field(6, ge=1, le=20)
    summary_length: SummaryLength = "short"
    # Single-release summaries are written from the release with its fact sheet's key facts listed for the
    # model to carry (qa.fact_sheet.summary_facts); false: from the release alone. See README, summaries.
    summary_facts_first: bool = True
    # The key facts a single-release summary still leaves out are added in the release's own sentences,
    # each cited (qa.fact_completion). DOJ dev, replayed on the same summaries: key facts 46.8% -> 66.2%.
    summary_complete_facts: bool = True
    # 12 long DOJ releases (2,053-3,534 words), before fact completion: condense 23.8% of the key facts at
    # 28.4 s p50, map-reduce 20.2% at 81.4 s (README, summaries).
    long_release: LongRelease = "condense"
    # Wall-clock cap on one answer or summary, whatever the CPU: a detailed summary (420 tokens) by the
    # slowest pairing measured (1.5B in transformers on the EPYC, ~2-3 tok/s) fits in 300 s.
    generation_budget_s: float = Field(300.0, gt=0, le=3600)
    max_question_chars: int = Field(2000, ge=1)
    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1)
    threads: int | None = Field(None, ge=1)  # model threads; None: torch's choice, one per core in llama.cpp
    # Int8 MLP weights for the answer model (PRESSQA_QUANTIZE=true). The same on every CPU: the model loads
    # in float32 (the int8 kernels take float32 activations), even where bfloat16 would otherwise be chosen,
    # and its MLP gate/up projections get int8 weights. On the AVX2 EPYC answers come ~15% sooner than
    # float32, but it is off by default: it answered 3 fewer of the 68 answerable DOJ dev questions (see
    # qa/generate.py choose_weights).
    quantize: bool = False
    # What runs the answer model: "llama.cpp" (the GGUF itself, no conversion), "transformers" (safetensors
    # converted from the GGUF, or any Hugging Face folder), or "auto": llama.cpp for GGUF models where
    # llama-cpp-python is installed. See qa/runtime.py and qa/choice.py.
    runtime: Literal["auto", "llama.cpp", "transformers"] = "auto"
    # A model on an OpenAI-compatible server (model "openai:http://HOST:PORT/v1#MODEL", qa/server_model.py):
    # the API key sent as a Bearer token (also read from PRESSQA_OPENAI_API_KEY, the name the OpenAI-style
    # clients' users look for), the seconds to wait for each piece of an answer, the context the server was
    # started with (its context_window() where the server reports none through /props; llama-cpp-python's
    # server defaults to 2048, the README starts it with 4096), and the answers one app process asks of it
    # at once.
    server_api_key: str | None = Field(
        None, validation_alias=AliasChoices("server_api_key", "PRESSQA_SERVER_API_KEY", "PRESSQA_OPENAI_API_KEY")
    )
    server_timeout_s: float = Field(120.0, gt=0, le=3600)
    server_context: int = Field(4096, ge=512)
    server_requests: int = Field(4, ge=1, le=64)
    # The answer reader's steps (qa/reader.py); PRESSQA_SPAN_CHECK=false and the like turn one off to
    # measure what it adds (README, the ablation). Asking for the span first is off: with it the 1.5B refused
    # 35.3% of the answerable DOJ dev questions, against 4.4% with the plain instruction (same index, run).
    span_first: bool = False
    span_check: bool = True
    choose_candidates: bool = True
    # What searches the chunks (embeddings/search_backend.py): "local" FAISS and BM25 files beside the database,
    # or "milvus", a Milvus collection at milvus_uri (none: Milvus Lite in the index folder's milvus.db). An
    # index keeps the one it was built with. README, "Search on a vector engine".
    search_backend: Literal["local", "milvus"] = "local"
    milvus_uri: str | None = Field(None, min_length=1)
    host: str = Field("127.0.0.1", min_length=1)  # the web app's address; 127.0.0.1 keeps it on this machine
    port: int = Field(7860, ge=1, le=65535)
    auth: str | None = Field(None, pattern=r"^(?:[^:]+:.+)?$")  # USER:PASS login for the web app; empty: none

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise settings_error(exc, values) from None


def get_settings(**overrides: object) -> Settings:
    """The settings from the environment, with each override that is not None put over them."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def settings_error(exc: ValidationError, overrides: dict[str, Any]) -> SettingsError:
    """The first problem of a validation error, as a SettingsError naming its variable or option."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    source = option_name(field) if field in overrides else env_name(field)
    return SettingsError(source, error.get("input"), expected(field) or error["msg"])


def expected(field: str) -> str:
    """What a field takes, in words, from its type and Field constraints (so no range is restated)."""
    info = Settings.model_fields.get(field)
    if info is None:
        return ""
    bounds = {type(m).__name__: m for m in info.metadata}
    low = getattr(bounds.get("Ge"), "ge", None)
    high = getattr(bounds.get("Le"), "le", None)
    annotation = info.annotation
    if annotation is bool:
        return "true or false"
    if annotation in (int, int | None):
        if low is not None and high is not None:
            return f"a whole number from {low} to {high}"
        return f"a whole number of at least {low}" if low is not None else "a whole number"
    if annotation is float:
        above = getattr(bounds.get("Gt"), "gt", None)
        return f"a number above {above} and at most {high}" if above is not None and high else "a number"
    if annotation is Path:
        return "a folder path"
    if field == "auth":
        return "USER:PASS, both non-empty"
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(get_args(annotation))
    return "a non-empty text"
