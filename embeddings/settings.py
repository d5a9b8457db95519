"""Every setting in one place, read from PRESSQA_* environment variables (arguments override them)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRESSQA_", extra="ignore")

    index: Path = Field(default_factory=lambda: Path(user_data_dir("pressqa")) / "index")
    cache: Path = Field(default_factory=lambda: Path(user_cache_dir("pressqa")))
    model: str = "qwen2.5-0.5b"
    top_k: int = 6  # passages shown to the answer model
    max_new_tokens: int = 200  # answer length cap, in tokens
    max_releases: int = 6  # releases a topic summary draws on
    max_question_chars: int = 2000
    max_upload_bytes: int = 50 * 1024 * 1024
    threads: int | None = None  # torch threads; None lets torch decide
    # Int8 MLP weights for the answer model (PRESSQA_QUANTIZE=true). The same on every CPU: the model loads
    # in float32 (the int8 kernels take float32 activations), even where bfloat16 would otherwise be chosen,
    # and its MLP gate/up projections get int8 weights. On the AVX2 EPYC answers come ~15% sooner than
    # float32, but it is off by default: it answered 3 fewer of the 68 answerable DOJ dev questions (see
    # qa/generate.py choose_weights).
    quantize: bool = False
    # What runs the answer model: "transformers" (safetensors cache converted from the GGUF) or "llama.cpp"
    # (the GGUF itself, no conversion; needs llama-cpp-python). See qa/runtime.py.
    runtime: Literal["transformers", "llama.cpp"] = "transformers"


def get_settings(**overrides: object) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
