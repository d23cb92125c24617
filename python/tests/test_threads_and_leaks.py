"""The GIL is released while analysing; nothing leaks over 10,000 calls."""

from __future__ import annotations

import gc
import threading
import time

import numpy
import pytest

import tonewatch


def test_the_gil_is_released_while_a_call_is_analysed(example_samples):
    # Long enough that the analysis takes many of Python's 5 ms switch intervals.
    long_call = numpy.tile(example_samples, (8, 1))
    inside = {}

    def analyse():
        inside["start"] = time.perf_counter()
        tonewatch.analyze(long_call, sample_rate=8000, frames=False)
        inside["end"] = time.perf_counter()

    thread = threading.Thread(target=analyse)
    ticks = []
    thread.start()
    while thread.is_alive():
        ticks.append(time.perf_counter())
    thread.join()
    during = [t for t in ticks if inside["start"] < t < inside["end"]]
    # Holding the GIL, the analysis would leave this loop a handful of ticks at
    # most (one per switch request it ignores); released, the loop runs throughout.
    assert inside["end"] - inside["start"] > 0.05
    assert len(during) > 10_000, (len(during), inside)


def test_threads_analyse_calls_at_once_with_the_same_results(example_samples):
    calls = [example_samples[i * 8000 * 10:(i + 1) * 8000 * 10] for i in range(6)]
    alone = [tonewatch.analyze(c, sample_rate=8000).windows_csv for c in calls]
    results = [None] * len(calls)

    def work(i):
        results[i] = tonewatch.analyze(calls[i], sample_rate=8000).windows_csv

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == alone


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def test_nothing_leaks_over_10000_calls(example_samples):
    # Short calls through every path: array analysis, streaming, the tables, the
    # report and an error; the resident size after 10,000 must not have grown past
    # what the first 1,000 settled at (allocator slack: a few MiB).
    short = numpy.ascontiguousarray(example_samples[8000 * 40:8000 * 42])
    bad = numpy.zeros(100, dtype=numpy.int64)

    def one(i):
        if i % 4 == 0:
            session = tonewatch.Session(sample_rate=8000)
            session.process(short)
            call = session.finish()
        else:
            call = tonewatch.analyze(short, sample_rate=8000, frames=i % 2 == 0)
        if i % 100 == 0:
            assert len(call.windows) > 0 and call.report_html().startswith("<!DOCTYPE html>")
        if i % 50 == 0:
            with pytest.raises(TypeError):
                tonewatch.analyze(bad, sample_rate=8000)
        return call.summary["duration_s"]

    for i in range(1000):
        assert one(i) == pytest.approx(2.0)
    gc.collect()
    settled = rss_kib()
    for i in range(1000, 10_000):
        one(i)
    gc.collect()
    grown = rss_kib() - settled
    assert grown < 4096, f"resident size grew {grown} KiB over 9,000 calls"
