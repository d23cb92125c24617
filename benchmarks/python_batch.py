#!/usr/bin/env python3
"""The Python package's batch speed, side by side with the CLI in one run.

    PYTHONPATH=build/python python3 benchmarks/python_batch.py [--build build] [--calls 100]
        [--call-seconds 180-480] [--runs 5]

1. Throughput of tonewatch.dask.analyze_archive on a LocalCluster of 2 single-
   threaded worker processes against `tonewatch analyze --jobs 2`, the same
   recordings (cut from the example call, 3-8 minutes each by default, as
   contact-center calls last; written once), the same outputs, alternating,
   --runs rounds; each run into a fresh folder. A task costs the cluster a few
   milliseconds of scheduling and messages, so shorter calls show more of it
   (--call-seconds 60-120 shows how much). The cluster
   is started before the timed runs (a cluster is a standing service); its start
   is timed apart. Target: the cluster's throughput >= 0.9x the CLI's (median
   ratio over the rounds).
2. The Python API's own cost per call: 1,000 short calls (2 s) analysed one
   after the other on one thread by tonewatch.analyze(path) + Call.write(dir)
   against `tonewatch analyze --jobs 1` on the same files (which writes the same
   files); the difference per call is what Python adds.
The machine is named; figures are ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python" / "tests"))
from conftest import cut_recordings, read_pcm16  # noqa: E402  (the suite's recording cutter)

import tonewatch  # noqa: E402
import tonewatch.dask  # noqa: E402

TARGET_RATIO = 0.9


def machine() -> str:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=str(REPO / "build"), help="build folder holding tonewatch")
    parser.add_argument("--calls", type=int, default=100, help="recordings for the throughput runs")
    parser.add_argument("--call-seconds", default="180-480", help="their length range, seconds (MIN-MAX)")
    parser.add_argument("--short-calls", type=int, default=1000, help="short recordings for the per-call cost")
    parser.add_argument("--runs", type=int, default=5, help="rounds (CLI and cluster once each)")
    args = parser.parse_args()
    low, high = (float(x) for x in args.call_seconds.split("-"))
    binary = pathlib.Path(args.build) / "tonewatch"
    if not binary.exists():
        sys.exit(f"python_batch.py: no {binary} (tools/build.sh)")
    from distributed import Client, LocalCluster

    # In memory where the machine has it (/dev/shm): the figures are then the CPU's
    # work, not a disk's queue (both sides write the same files either way).
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    work = pathlib.Path(tempfile.mkdtemp(prefix="tw-python-bench-", dir=shm))
    try:
        pcm = work / "example.wav"
        subprocess.run(["sox", str(REPO / "examples" / "example_call.wav"), "-e", "signed-integer", "-b", "16",
                        str(pcm)], check=True)
        samples, _ = read_pcm16(pcm)
        long_calls = cut_recordings(work / "archive", samples, args.calls, (low, high))
        audio_s = sum(os.path.getsize(p) - 44 for p in long_calls) / (8000 * 2 * 2)
        short_calls = cut_recordings(work / "short", samples, args.short_calls, (2.0, 2.0))

        print(f"machine: {machine()}")
        print(f"python: {sys.version.split()[0]}, tonewatch {tonewatch.__version__}, dask distributed "
              f"{__import__('distributed').__version__}")
        print(f"work folder: {work}")
        print(f"archive: {len(long_calls)} calls of {low:.0f}-{high:.0f} s, {audio_s / 3600:.2f} h of stereo 8 kHz audio")

        start = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        client.run(lambda: __import__("tonewatch"))
        cluster_start = time.perf_counter() - start

        cli_s, dask_s = [], []
        for r in range(args.runs):
            out = work / f"cli-{r}"
            cli_s.append(timed(lambda: subprocess.run(
                [str(binary), "analyze", "--jobs", "2", "--no-progress", "--out", str(out), *map(str, long_calls)],
                check=True, stdout=subprocess.DEVNULL)))
            out = work / f"dask-{r}"
            dask_s.append(timed(lambda: tonewatch.dask.analyze_archive(long_calls, out, client=client)))
            shutil.rmtree(work / f"cli-{r}")
            shutil.rmtree(out)
        client.close()
        cluster.close()
        ratios = [c / d for c, d in zip(cli_s, dask_s)]
        ratio = statistics.median(ratios)
        print()
        print(f"{'':34} {'median s':>9} {'min s':>7} {'max s':>7} {'x real time':>12}")
        for name, runs in (("tonewatch analyze --jobs 2", cli_s), ("analyze_archive, LocalCluster 2x1", dask_s)):
            print(f"{name:34} {statistics.median(runs):9.2f} {min(runs):7.2f} {max(runs):7.2f} "
                  f"{audio_s / statistics.median(runs):12.0f}")
        print(f"LocalCluster start (2 workers, tonewatch imported): {cluster_start:.2f} s")
        print(f"cluster throughput / CLI throughput: {ratio:.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)}); "
              f"target >= {TARGET_RATIO}: {'MET' if ratio >= TARGET_RATIO else 'NOT MET'}")

        # 2. Per-call cost of the Python API.
        def python_loop():
            out = work / "py-short"
            for path in short_calls:
                tonewatch.analyze(path, frames=False).write(out)

        def cli_loop():
            subprocess.run([str(binary), "analyze", "--jobs", "1", "--no-progress", "--out", str(work / "cli-short"),
                            *map(str, short_calls)], check=True, stdout=subprocess.DEVNULL)

        py_s, cl_s = [], []
        for _ in range(args.runs):
            for folder in ("py-short", "cli-short"):
                shutil.rmtree(work / folder, ignore_errors=True)
            py_s.append(timed(python_loop))
            cl_s.append(timed(cli_loop))
        n = len(short_calls)
        py_ms, cli_ms = 1000 * statistics.median(py_s) / n, 1000 * statistics.median(cl_s) / n
        print()
        print(f"{n} calls of 2 s, one thread, the same files written:")
        print(f"  tonewatch.analyze(path) + Call.write(): {py_ms:.2f} ms per call")
        print(f"  tonewatch analyze --jobs 1:              {cli_ms:.2f} ms per call")
        print(f"  Python's own cost: {py_ms - cli_ms:+.2f} ms per call ({py_ms / cli_ms:.2f}x)")
        return 0 if ratio >= TARGET_RATIO else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
