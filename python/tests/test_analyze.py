"""tonewatch.analyze: the same analysis and the same files as `tonewatch analyze`."""

from __future__ import annotations

import io
import json

import numpy
import pandas
import pytest

import tonewatch
from conftest import EXAMPLE, read_outputs, run_cli


@pytest.fixture(scope="module")
def cli_example(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    run_cli("analyze", EXAMPLE, "--out", out, "--frames", "--no-progress")
    return out


@pytest.fixture(scope="module")
def example_call():
    return tonewatch.analyze(EXAMPLE)


def test_analyze_of_the_example_writes_the_cli_files_byte_for_byte(cli_example, example_call, tmp_path):
    paths = example_call.write(tmp_path)
    assert set(paths) == {"summary", "windows", "events", "report_json", "report_html", "frames"}
    ours, theirs = read_outputs(tmp_path, "example_call"), read_outputs(cli_example, "example_call")
    assert sorted(ours) == sorted(theirs) == sorted(
        [".summary.json", ".windows.csv", ".frames.csv", ".events.jsonl", ".report.json", ".report.html"])
    for suffix in theirs:
        assert ours[suffix] == theirs[suffix], suffix


def test_call_fields_equal_the_cli_files_field_by_field(cli_example, example_call):
    summary = json.loads((cli_example / "example_call.summary.json").read_text())
    assert example_call.summary == summary
    assert example_call.summary["detection"]["final_stage"] == summary["detection"]["final_stage"]
    events = [json.loads(line) for line in (cli_example / "example_call.events.jsonl").read_text().splitlines()]
    assert example_call.events == events and len(events) > 0
    assert example_call.report_json() == json.loads((cli_example / "example_call.report.json").read_text())
    assert example_call.report_html() == (cli_example / "example_call.report.html").read_text()
    for table, name in ((example_call.windows, "windows"), (example_call.frames, "frames")):
        text = (cli_example / f"example_call.{name}.csv").read_text()
        assert list(table.columns) == text.splitlines()[0].split(",")
        expected = pandas.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""],
                                   dtype={"call": str, "speaker": str, "stage": str})
        pandas.testing.assert_frame_equal(table, expected)
    assert example_call.call_id == "example_call"
    assert example_call.windows["speaker"].isin(["caller", "agent"]).all()


def test_an_int16_array_is_analysed_as_the_file_holding_it(example_pcm, example_samples):
    from_file = tonewatch.analyze(example_pcm)
    from_array = tonewatch.analyze(example_samples, sample_rate=8000, call_id="example_pcm")
    assert from_array.windows_csv == from_file.windows_csv
    assert from_array.frames_csv == from_file.frames_csv
    assert from_array.events == from_file.events
    for key in ("duration_s", "speakers", "detection", "analysis"):
        assert from_array.summary[key] == from_file.summary[key], key
    assert from_array.summary["input"]["path"] == "<memory>"
    assert from_array.summary["input"]["sample_rate_hz"] == 8000


@pytest.mark.parametrize("layout", ["float32 C", "float32 Fortran", "float32 strided", "float64", "int16"])
def test_every_dtype_and_layout_gives_the_same_analysis(example_samples, layout):
    samples = example_samples[: 8000 * 30]
    reference = tonewatch.analyze(samples.astype(numpy.float32) / 32768, sample_rate=8000)
    if layout == "float32 C":
        array = numpy.ascontiguousarray(samples, dtype=numpy.float32) / 32768
    elif layout == "float32 Fortran":
        array = numpy.asfortranarray(samples.astype(numpy.float32) / 32768)
    elif layout == "float32 strided":
        wide = numpy.zeros((len(samples), 3), dtype=numpy.float32)
        wide[:, :2] = samples / 32768
        array = wide[:, :2]
        assert not array.flags["C_CONTIGUOUS"]
    elif layout == "float64":
        array = samples.astype(numpy.float64) / 32768
    else:
        array = samples
    call = tonewatch.analyze(array, sample_rate=8000)
    assert call.windows_csv == reference.windows_csv
    assert call.events == reference.events
    assert call.summary["speakers"] == reference.summary["speakers"]


def test_a_c_contiguous_float32_array_is_read_in_place_and_others_are_copied(example_samples):
    as_float = numpy.ascontiguousarray(example_samples, dtype=numpy.float32) / 32768
    assert tonewatch._native.reads_in_place(as_float)
    assert tonewatch._native.reads_in_place(numpy.ascontiguousarray(as_float[:, 0]))
    assert not tonewatch._native.reads_in_place(numpy.asfortranarray(as_float))
    assert not tonewatch._native.reads_in_place(as_float[:, ::-1])
    assert not tonewatch._native.reads_in_place(as_float.astype(numpy.float64))
    assert not tonewatch._native.reads_in_place(example_samples)


def test_a_mono_array_takes_the_role_it_is_given(example_samples):
    agent = numpy.ascontiguousarray(example_samples[: 8000 * 20, 1])
    call = tonewatch.analyze(agent, sample_rate=8000, channels=("agent",))
    assert [s["role"] for s in call.summary["speakers"]] == ["agent"]
    assert set(call.windows["speaker"]) == {"agent"}
    swapped = tonewatch.analyze(example_samples[:, ::-1], sample_rate=8000, channels=("agent", "caller"))
    straight = tonewatch.analyze(example_samples, sample_rate=8000)
    by_role = lambda call: {s["role"]: {k: v for k, v in s.items() if k != "channel"}  # noqa: E731
                            for s in call.summary["speakers"]}
    assert by_role(swapped) == by_role(straight)
    assert [s["role"] for s in swapped.summary["speakers"]] == ["agent", "caller"]


def test_an_array_at_16_khz_is_resampled_to_the_same_voices(example_samples):
    # Each channel upsampled 2x by linear interpolation: the voices' pitch stays where it was.
    n = len(example_samples)
    t16 = numpy.arange(2 * n) / 2.0
    up = numpy.stack([numpy.interp(t16, numpy.arange(n), example_samples[:, c].astype(float)) for c in range(2)],
                     axis=1) / 32768
    at8 = tonewatch.analyze(example_samples, sample_rate=8000)
    at16 = tonewatch.analyze(up, sample_rate=16000)
    assert at16.summary["input"]["sample_rate_hz"] == 16000
    assert at16.summary["duration_s"] == pytest.approx(at8.summary["duration_s"], abs=0.01)
    for a, b in zip(at8.summary["speakers"], at16.summary["speakers"]):
        assert a["role"] == b["role"]
        assert b["f0_median_hz"] == pytest.approx(a["f0_median_hz"], rel=0.02)
        assert b["speech_time_s"] == pytest.approx(a["speech_time_s"], rel=0.05)


def test_frames_false_keeps_no_frame_table(example_samples):
    call = tonewatch.analyze(example_samples[:8000 * 5], sample_rate=8000, frames=False)
    assert call.frames is None and call.frames_csv is None
    assert len(call.windows) > 0


def test_config_changes_the_fingerprint_as_the_cli_config_file_does(tmp_path, example_pcm):
    changes = {"agent_tone": {"raised_voice_open_units": 3.0}}
    (tmp_path / "c.json").write_text(json.dumps(changes))
    out = tmp_path / "out"
    run_cli("analyze", example_pcm, "--out", out, "--config", tmp_path / "c.json", "--no-progress")
    cli = json.loads((out / "example_pcm.summary.json").read_text())
    for config in (tonewatch.Config(changes), changes, tmp_path / "c.json"):
        call = tonewatch.analyze(example_pcm, config=config)
        assert call.summary["analysis"] == cli["analysis"]
    assert call.summary["analysis"] != tonewatch.analyze(example_pcm).summary["analysis"]


def test_version_and_model_id_match_the_cli():
    assert run_cli("--version").stdout.strip() == f"tonewatch {tonewatch.__version__}"
    assert tonewatch.model_id()["model"] == tonewatch.analyze(EXAMPLE).summary["analysis"]["model"]
    assert len(tonewatch.model_id()["model_fnv1a64"]) == 16
