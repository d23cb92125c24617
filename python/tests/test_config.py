"""tonewatch.Config: the --config files, with the CLI's validation and messages."""

from __future__ import annotations

import json

import pytest

import tonewatch
from conftest import run_cli


def test_defaults_are_what_tonewatch_defaults_prints():
    assert tonewatch.Config().to_dict() == json.loads(run_cli("defaults").stdout)
    assert repr(tonewatch.Config()) == "Config()"


def test_changes_apply_over_the_defaults_and_round_trip_through_a_file(tmp_path):
    config = tonewatch.Config({"agent_tone": {"raised_voice_open_units": 3.0}})
    assert config["agent_tone"]["raised_voice_open_units"] == 3.0
    assert config["agent_tone"]["raised_voice_close_units"] == tonewatch.Config()["agent_tone"]["raised_voice_close_units"]
    config.save(tmp_path / "c.json")
    assert tonewatch.Config.load(tmp_path / "c.json") == config
    assert "raised_voice_open_units" in repr(config)
    # The file is one `tonewatch analyze --config` takes.
    out = run_cli("analyze", "--config", tmp_path / "c.json", "--out", tmp_path / "o", "--no-progress",
                  tmp_path / "missing.wav", check=False)
    assert "--config" not in out.stderr
    assert config.replace({"agent_tone": {"raised_voice_open_units": 2.8}})["agent_tone"]["raised_voice_open_units"] == 2.8


@pytest.mark.parametrize("changes", [
    {"agent_tone": {"raised_voice_open_unit": 3.0}},   # a typo: did you mean ...
    {"agent_tones": {}},                                 # an unknown section
    {"agent_tone": {"raised_voice_open_units": "loud"}},  # the wrong type
])
def test_bad_configs_raise_config_error_with_the_cli_message(tmp_path, changes):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(changes))
    cli = run_cli("analyze", "--config", path, "--out", tmp_path / "o", tmp_path / "x.wav", check=False)
    assert cli.returncode == 2
    cli_message = cli.stderr.strip().removeprefix("tonewatch: --config ")
    with pytest.raises(tonewatch.ConfigError) as from_file:
        tonewatch.Config.load(path)
    assert str(from_file.value) == "--config " + cli_message
    with pytest.raises(tonewatch.ConfigError) as from_dict:
        tonewatch.Config(changes)
    # The same problem, without the file's name.
    assert cli_message.endswith(str(from_dict.value).removeprefix("--config "))
    assert isinstance(from_dict.value, ValueError)


def test_an_unreadable_model_is_a_config_error_naming_the_flag(tmp_path):
    with pytest.raises(tonewatch.ConfigError, match="^--model .*nope.json"):
        tonewatch.analyze(tmp_path / "x.wav", model=tmp_path / "nope.json")
