"""tonewatch.Session: a call fed block by block is the call analysed whole."""

from __future__ import annotations

import numpy
import pytest

import tonewatch


def blocks(samples: numpy.ndarray, sizes: list[int]):
    """`samples` cut into blocks of the given sizes, cycling through them."""
    start, i = 0, 0
    while start < len(samples):
        size = sizes[i % len(sizes)]
        yield samples[start:start + size]
        start += size
        i += 1


@pytest.mark.parametrize("sizes", [[160], [1, 7, 4096], [8000 * 61], [333, 80, 1234, 5]])
def test_any_block_sizes_give_the_whole_call(example_samples, sizes):
    whole = tonewatch.analyze(example_samples, sample_rate=8000)
    session = tonewatch.Session(sample_rate=8000, channels=("caller", "agent"))
    live_events = []
    for block in blocks(example_samples, sizes):
        live_events += session.process(block)
    assert session.duration_s == pytest.approx(len(example_samples) / 8000)
    call = session.finish()
    assert call.windows_csv == whole.windows_csv
    assert call.frames_csv == whole.frames_csv
    assert call.events == whole.events
    assert call.summary == whole.summary
    # What process() returned along the way is every event decided before the end, in order.
    assert live_events == call.events[:len(live_events)]
    assert len(live_events) > 0


def test_events_come_out_as_the_audio_goes_in(example_samples):
    session = tonewatch.Session(sample_rate=8000)
    seen_at = []
    for block in blocks(example_samples, [8000]):
        for event in session.process(block):
            seen_at.append((event["time_s"], session.duration_s))
    assert seen_at, "no event before the end of the call"
    # An event is decided within a few seconds of the audio it is about (windows of 1 s,
    # detection's own smoothing and minimum durations), never ahead of it.
    for event_time, stream_time in seen_at:
        assert event_time <= stream_time
        assert stream_time - event_time < 30


def test_a_16_khz_stream_equals_the_16_khz_array(example_samples):
    n = len(example_samples)
    up = numpy.repeat(example_samples, 2, axis=0).astype(numpy.float32) / 32768
    assert len(up) == 2 * n
    whole = tonewatch.analyze(up, sample_rate=16000)
    session = tonewatch.Session(sample_rate=16000)
    for block in blocks(up, [320, 1000, 77]):
        session.process(block)
    call = session.finish()
    assert call.events == whole.events
    assert call.summary["speakers"] == whole.summary["speakers"]
    assert call.windows_csv == whole.windows_csv


def test_a_finished_session_refuses_more_audio_and_returns_the_same_call(example_samples):
    session = tonewatch.Session(sample_rate=8000)
    session.process(example_samples[:8000])
    call = session.finish()
    assert session.finish() is call
    with pytest.raises(ValueError, match="finished"):
        session.process(example_samples[:8000])


def test_blocks_of_another_channel_count_are_refused(example_samples):
    session = tonewatch.Session(sample_rate=8000, channels=("caller", "agent"))
    with pytest.raises(ValueError, match="1 channel"):
        session.process(example_samples[:800, 0])
    mono = tonewatch.Session(sample_rate=8000, channels=("agent",))
    mono.process(numpy.ascontiguousarray(example_samples[:8000, 1]))
    assert [s["role"] for s in mono.finish().summary["speakers"]] == ["agent"]


def test_a_session_as_a_context_manager_finishes_the_call(example_samples):
    with tonewatch.Session(sample_rate=8000) as session:
        live = session.process(example_samples[:8000 * 30])
    call = session.finish()
    assert call.summary["duration_s"] == pytest.approx(30.0)
    assert session.events == call.events and live == call.events[:len(live)]


def test_a_session_used_from_two_threads_at_once_refuses_the_second(example_samples):
    import threading

    session = tonewatch.Session(sample_rate=8000, frames=False)
    long_block = numpy.tile(example_samples, (6, 1))
    worker = threading.Thread(target=session.process, args=(long_block,))
    refused = 0
    worker.start()
    while worker.is_alive():
        try:
            session.process(example_samples[:80])
        except RuntimeError as e:
            assert "in use by another thread" in str(e)
            refused += 1
    worker.join()
    assert refused > 0
