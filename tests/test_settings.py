"""Settings: one place for each default, one clear line for a value that does not fit, and a README that
lists exactly what Settings holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from embeddings.settings import Settings, SettingsError, env_name, get_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_rows() -> dict[str, list[str]]:
    """The Configuration table's rows: variable -> its cells (option, default, meaning)."""
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and (m := re.fullmatch(r"`(PRESSQA_\w+)`", cells[0])):
            rows[m[1]] = cells[1:]
    return rows


def test_the_readme_table_lists_every_setting_and_nothing_else() -> None:
    rows = _readme_rows()
    assert set(rows) == {env_name(f) for f in Settings.model_fields}


@pytest.mark.parametrize("field", list(Settings.model_fields))
def test_the_readme_table_states_each_default_and_range(field: str) -> None:
    _, default, meaning = _readme_rows()[env_name(field)]
    info = Settings.model_fields[field]
    if isinstance(info.default, bool):
        assert f"`{str(info.default).lower()}`" in default
    elif isinstance(info.default, int | str):
        assert f"`{info.default}`" in default
    bounds = {type(m).__name__: m for m in info.metadata}
    if "Ge" in bounds and "Le" in bounds:
        assert f"{bounds['Ge'].ge} to {bounds['Le'].le}" in meaning


def test_the_options_the_readme_names_exist() -> None:
    import typer

    from ui.cli import app

    group = typer.main.get_command(app)
    options = {opt for command in group.commands.values() for p in command.params for opt in p.opts}
    for option, _, _ in _readme_rows().values():
        for name in re.findall(r"--[\w-]+", option.split("(")[0]):
            assert name in options


def test_environment_overrides_the_default_and_arguments_override_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("PRESSQA_TOP_K", "2")
    assert get_settings().top_k == 2
    assert get_settings(top_k=4).top_k == 4
    assert get_settings(top_k=None).top_k == 2, "an option not given does not override"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PRESSQA_TOP_K", "six", "PRESSQA_TOP_K='six' is not valid: expected a whole number from 1 to 30"),
        ("PRESSQA_TOP_K", "31", "PRESSQA_TOP_K='31' is not valid: expected a whole number from 1 to 30"),
        ("PRESSQA_MAX_NEW_TOKENS", "0", "expected a whole number from 1 to 1024"),
        ("PRESSQA_THREADS", "0", "expected a whole number of at least 1"),
        ("PRESSQA_QUANTIZE", "maybe", "PRESSQA_QUANTIZE='maybe' is not valid: expected true or false"),
        ("PRESSQA_SUMMARY_LENGTH", "long", "expected one of short, bullets, detailed"),
        ("PRESSQA_AUTH", "ann", "PRESSQA_AUTH='ann' is not valid: expected USER:PASS, both non-empty"),
    ],
)
def test_a_bad_environment_value_is_one_line(monkeypatch, variable: str, value: str, message: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        get_settings()
    assert message in str(raised.value) and "\n" not in str(raised.value)
    with pytest.raises(SettingsError):
        Settings()  # every way in, not only get_settings


def test_a_bad_argument_is_named_as_its_option() -> None:
    with pytest.raises(SettingsError, match=r"^--top-k=0 is not valid: expected a whole number from 1 to 30$"):
        get_settings(top_k=0)
