# `make run`: set everything up and start the chat on the bundled sample releases.
# `make test`: set everything up and run every test (what CI runs).
# `make check`: lint and every test that needs no language model (the fast loop while changing code).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# llama-cpp-python compiles llama.cpp while it installs (3-6 min on 2 cores; pip keeps the wheel). The
# kernels are chosen from this CPU's flags, never -march=native: a native build on the AMX Xeon segfaulted
# decoding multi-token prompts. AVX2/FMA/F16C run on both CPUs seen here; the AVX-512 set, where the CPU
# has it, read prompts 1.5-1.6x as fast on the 2-core Xeon (0.5B: 126 -> 200 tok/s, 1.5B: 65 -> 95 tok/s,
# 496-token prompt) and decoded at the same speed. LLAVA_BUILD=OFF: the image tools are unused.
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
cpu_has = $(if $(strip $(foreach f,$(1),$(if $(filter $(f),$(CPU_FLAGS)),,missing))),OFF,ON)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
	-DGGML_AVX512=$(call cpu_has,avx512f avx512cd avx512vl avx512dq avx512bw) \
	-DGGML_AVX512_VNNI=$(call cpu_has,avx512_vnni) -DGGML_AVX512_BF16=$(call cpu_has,avx512_bf16) \
	-DGGML_AVX512_VBMI=$(call cpu_has,avx512vbmi) -DGGML_AVX_VNNI=$(call cpu_has,avx_vnni) -DLLAVA_BUILD=OFF

.PHONY: setup run test check browser lint

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "pressqa needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: anything else would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: setup
	$(VENV)/bin/pressqa serve

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

# $(call pytest,ARGS): pytest exits 5 when it collects nothing (e.g. a filter matched no test): say so
# instead of failing.
pytest = $(PY) -m pytest -q $(1) $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

test: setup browser
	$(VENV)/bin/ruff check embeddings qa ui eval tests
	$(call pytest,)

# Tests marked `slow` load the language model (about a minute each on 2 cores); every other test runs
# here, a browser test too where it needs no model (today each browser test asks the model).
check: lint
	$(call pytest,-m "not slow")

lint: setup
	$(VENV)/bin/ruff check embeddings qa ui eval tests
