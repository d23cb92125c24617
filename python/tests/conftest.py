"""Shared fixtures: the example call, the tonewatch binary, recordings cut from the example."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import wave

import numpy
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "example_call.wav"


def binary() -> pathlib.Path:
    """The tonewatch binary of this build (ctest sets TW_BINARY)."""
    path = pathlib.Path(os.environ.get("TW_BINARY", REPO / "build" / "tonewatch"))
    if not path.exists():
        pytest.fail(f"no tonewatch binary at {path} (build it, or set TW_BINARY)")
    return path


def run_cli(*args: object, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary()), *map(str, args)], capture_output=True, text=True, check=check)


def read_pcm16(path: pathlib.Path) -> tuple[numpy.ndarray, int]:
    """(frames, channels) int16 samples and the rate of a 16-bit PCM WAV."""
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2, path
        data = numpy.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.reshape(-1, w.getnchannels()).copy(), w.getframerate()


def write_pcm16(path: pathlib.Path, samples: numpy.ndarray, rate: int) -> None:
    samples = numpy.asarray(samples, dtype="<i2")
    if samples.ndim == 1:
        samples = samples[:, None]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


@pytest.fixture(scope="session")
def example_pcm(tmp_path_factory) -> pathlib.Path:
    """The example call as 16-bit PCM (it is u-law), so that its samples can be
    handed over as an int16 array exactly as the file holds them. sox decodes."""
    if shutil.which("sox") is None:
        pytest.fail("sox is not installed (tools/install-deps.sh --tests)")
    out = tmp_path_factory.mktemp("example") / "example_pcm.wav"
    subprocess.run(["sox", str(EXAMPLE), "-e", "signed-integer", "-b", "16", str(out)], check=True)
    return out


@pytest.fixture(scope="session")
def example_samples(example_pcm) -> numpy.ndarray:
    samples, rate = read_pcm16(example_pcm)
    assert rate == 8000 and samples.shape[1] == 2
    return samples


def cut_recordings(folder: pathlib.Path, samples: numpy.ndarray, count: int, seconds: tuple[float, float],
                   rate: int = 8000) -> list[pathlib.Path]:
    """`count` stereo recordings cut from `samples` (looped) at different offsets
    and lengths (deterministic), in nested folders so that ids need their folders."""
    rng = numpy.random.default_rng(7)
    paths = []
    for i in range(count):
        length = int(rng.uniform(*seconds) * rate)
        start = int(rng.integers(0, len(samples)))
        # From `start` on, looping over the end (calls longer than the source).
        piece = samples.take(numpy.arange(start, start + length), axis=0, mode="wrap")
        path = folder / f"day{i % 3}" / f"call{i // 3:03d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_pcm16(path, piece, rate)
        paths.append(path)
    return paths


def read_outputs(folder: pathlib.Path, call_id: str) -> dict[str, bytes]:
    return {p.name[len(call_id):]: p.read_bytes() for p in folder.glob(f"{call_id}.*")}


def manifest(folder: pathlib.Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "tonewatch-manifest.jsonl").read_text().splitlines()]
