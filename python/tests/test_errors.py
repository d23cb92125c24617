"""Bad input raises the documented exception with a message that says what is wrong."""

from __future__ import annotations

import os

import numpy
import pytest

import tonewatch
from conftest import run_cli


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        tonewatch.analyze(tmp_path / "nowhere.wav")
    assert error.value.filename.endswith("nowhere.wav")


def test_a_file_that_is_not_audio_is_an_audio_error_with_the_cli_message(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are not samples\n")
    with pytest.raises(tonewatch.AudioError) as error:
        tonewatch.analyze(path)
    assert isinstance(error.value, OSError)
    cli = run_cli("analyze", path, "--out", tmp_path / "o", "--no-progress", check=False)
    assert cli.returncode == 1
    assert str(error.value) in cli.stderr
    assert str(path) in str(error.value)


def test_a_truncated_recording_is_an_audio_error(example_pcm, tmp_path):
    data = example_pcm.read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(data[:40])
    with pytest.raises(tonewatch.AudioError, match="cut.wav"):
        tonewatch.analyze(path)


@pytest.mark.parametrize("array, exception, message", [
    (numpy.zeros(8000, dtype=numpy.int64), TypeError, "dtype int64 is not float32, float64 or int16"),
    (numpy.zeros(8000, dtype=numpy.complex64), TypeError, "dtype complex64"),
    (numpy.zeros((2, 8000), dtype=numpy.float32), ValueError, r"8000 channels .* did you mean the array's \.T"),
    (numpy.zeros((8000, 3), dtype=numpy.float32), ValueError, "3 channels"),
    (numpy.zeros((10, 2, 2), dtype=numpy.float32), ValueError, r"shape \(frames,\) or \(frames, channels\)"),
    (numpy.zeros((0, 2), dtype=numpy.float32), ValueError, "no samples"),
])
def test_bad_arrays_raise_with_what_is_wrong(array, exception, message):
    with pytest.raises(exception, match=message):
        tonewatch.analyze(array, sample_rate=8000)
    with pytest.raises(exception, match=message):
        tonewatch.Session(sample_rate=8000, channels=("caller",)).process(array)


@pytest.mark.parametrize("bad, name", [(numpy.nan, "NaN"), (numpy.inf, "infinite"), (1e300, "infinite")])
def test_a_non_finite_sample_is_refused_naming_where_it_is(bad, name):
    array = numpy.zeros((8000, 2))
    array[4321, 1] = bad
    with pytest.raises(ValueError, match=f"frame 4321, channel 1 is {name}"):
        tonewatch.analyze(array, sample_rate=8000)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "sample_rate is needed"),
    ({"sample_rate": 4000}, "4000 Hz is not in 8000-48000"),
    ({"sample_rate": 96000}, "96000 Hz is not in 8000-48000"),
    ({"sample_rate": 8000, "channels": ("caller", "caller")}, "one caller and one agent"),
    ({"sample_rate": 8000, "channels": ("boss",)}, "roles in channel order"),
    ({"sample_rate": 8000, "channels": ("caller",)}, "2 channels but channels names one role"),
])
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tonewatch.analyze(numpy.zeros((8000, 2), dtype=numpy.float32), **kwargs)


def test_a_source_that_is_neither_path_nor_array_is_a_type_error():
    with pytest.raises(TypeError, match="a path or a NumPy array, not list"):
        tonewatch.analyze([0.0] * 8000, sample_rate=8000)


def test_a_sample_rate_for_a_file_is_refused(example_pcm):
    with pytest.raises(ValueError, match="a file says its own rate"):
        tonewatch.analyze(example_pcm, sample_rate=8000)


def test_a_session_at_a_bad_rate_is_refused():
    with pytest.raises(ValueError, match="8000-48000"):
        tonewatch.Session(sample_rate=1000)


def test_a_path_that_is_not_utf8_is_named_in_the_message(tmp_path):
    path = os.fsencode(tmp_path) + b"/bad\xff.wav"
    with open(path, "wb") as f:
        f.write(b"not audio at all")
    with pytest.raises(tonewatch.AudioError) as error:
        tonewatch.analyze(path)
    assert "bad\\xFF.wav" in str(error.value) or "bad\\xff.wav" in str(error.value), str(error.value)


def test_an_unpickled_or_byte_swapped_array_is_read_as_its_dtype(example_samples):
    import pickle

    samples = example_samples[:8000 * 10].astype(numpy.float32) / 32768
    reference = tonewatch.analyze(samples, sample_rate=8000)
    unpickled = pickle.loads(pickle.dumps(samples))
    assert unpickled.dtype is not samples.dtype or True  # an equal dtype, maybe another object
    assert tonewatch.analyze(unpickled, sample_rate=8000).windows_csv == reference.windows_csv
    swapped = samples.astype(">f4")
    assert not swapped.dtype.isnative
    assert tonewatch.analyze(swapped, sample_rate=8000).windows_csv == reference.windows_csv
    with_metadata = samples.view(numpy.dtype(numpy.float32, metadata={"unit": "fs"}))
    assert tonewatch.analyze(with_metadata, sample_rate=8000).windows_csv == reference.windows_csv


@pytest.mark.parametrize("call_id", ["../x", "a/b", "", ".hidden", "x" * 200, "two words"])
def test_a_call_id_that_is_not_a_file_name_is_refused(call_id, example_samples):
    with pytest.raises(ValueError, match="names the output files"):
        tonewatch.analyze(example_samples[:8000], sample_rate=8000, call_id=call_id)
    with pytest.raises(ValueError, match="names the output files"):
        tonewatch.Session(sample_rate=8000, call_id=call_id)


def test_writing_where_it_cannot_is_an_os_error(example_samples, tmp_path):
    call = tonewatch.analyze(example_samples[:8000 * 3], sample_rate=8000, call_id="day1~call-7")
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(OSError):
        call.write(tmp_path / "file" / "out")
    assert set(call.write(tmp_path / "out")) >= {"summary", "windows", "events"}
    assert (tmp_path / "out" / "day1~call-7.summary.json").exists()
