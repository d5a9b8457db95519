"""embeddings.hardware: what the CPU can do, and pinning a kind of CPU for tests of both branches."""

from __future__ import annotations

import pytest

from embeddings import hardware
from embeddings.hardware import AMX_XEON, AVX2_ONLY, FLAGS, cpu, detected_cpu, machine_info, pinned_cpu


def test_detected_cpu_reads_the_machine() -> None:
    found = detected_cpu()
    assert found.model and found.cores >= 1
    assert found.flags <= frozenset(FLAGS)
    assert cpu() == found  # nothing pinned


@pytest.mark.parametrize(
    ("flags", "native_bf16", "int8_dot"),
    [(AVX2_ONLY, False, False), (AMX_XEON, True, True), (("avx2", "avx512f", "avx512_vnni"), False, True)],
)
def test_pinned_cpu_answers_as_that_cpu_and_is_restored(
    flags: tuple[str, ...], native_bf16: bool, int8_dot: bool
) -> None:
    before = cpu()
    with pinned_cpu(*flags, model="test CPU") as pinned:
        assert cpu() is pinned
        assert pinned.flags == frozenset(flags)
        assert (pinned.native_bf16, pinned.int8_dot) == (native_bf16, int8_dot)
        assert pinned.describe().startswith("test CPU (") and "avx2" in pinned.describe()
    assert cpu() == before


def test_pins_nest_and_unwind_on_error() -> None:
    before = cpu()
    with pytest.raises(RuntimeError, match="inside"), pinned_cpu(*AMX_XEON):
        with pinned_cpu(*AVX2_ONLY):
            assert not cpu().native_bf16
        assert cpu().native_bf16  # the outer pin is back
        raise RuntimeError("inside")
    assert cpu() == before and hardware._pinned is None


def test_unknown_flag_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown CPU flags \['avx1024'\]"), pinned_cpu("avx2", "avx1024"):
        pass
    assert hardware._pinned is None


def test_machine_info_records_the_real_machine_even_when_pinned() -> None:
    with pinned_cpu(*AVX2_ONLY, model="pinned CPU"):
        info = machine_info(threads=3)
    assert set(info) == {"model", "cores", "flags", "threads", "torch", "onnxruntime", "python"}
    assert info["model"] == detected_cpu().model != "pinned CPU"
    assert info["cores"] == detected_cpu().cores
    assert info["flags"] == {flag: flag in detected_cpu().flags for flag in FLAGS}
    assert info["threads"] == 3
    assert info["torch"] and info["python"].count(".") == 2
