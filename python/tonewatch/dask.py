"""Archives of recorded calls analysed on a Dask cluster.

:func:`analyze_archive` is ``tonewatch analyze`` with the work spread over a Dask
cluster's workers instead of one machine's threads. The driver (the process that
calls it) runs the same C++ batch code for the rest: call ids, the output
folder's lock, resume, the manifest. Each task analyses one call on a worker and
writes its files into ``out_dir``, which must therefore be the same folder for
the driver and every worker (local disk for a LocalCluster, a shared file system
across machines).
"""

from __future__ import annotations

import functools
import glob
import json
import os
import socket
import sys
import time
import uuid
from typing import Any, Iterable, Mapping, Sequence

from . import _native
from . import _channel_choices, _config_json, Config, PathLike

__all__ = ["analyze_archive"]

_COLUMNS = ["call_id", "input", "status", "duration_s", "alerts", "final_stage", "error"]


def _inputs(paths_or_glob: Any) -> list[bytes]:
    if isinstance(paths_or_glob, (str, bytes, os.PathLike)):
        pattern = os.fsdecode(paths_or_glob)
        if glob.has_magic(pattern):
            found = sorted(path for path in glob.glob(pattern, recursive=True) if os.path.isfile(path))
            if not found:
                raise ValueError(f"no files match {pattern!r}")
            return [os.fsencode(path) for path in found]
        return [os.fsencode(pattern)]
    inputs = [os.fsencode(path) for path in paths_or_glob]
    if not inputs:
        raise ValueError("no inputs")
    return inputs


@functools.lru_cache(maxsize=8)
def _worker_analyzer(choices: tuple, model_hash: str) -> tuple[_native.Analyzer | None, str]:
    # One per worker process, set of choices and model: the model is read once, not
    # per call. A model file that is not the driver's (edited since, or another file
    # at that path on this machine) would analyse with other figures under the
    # driver's fingerprint: refused.
    analyzer = _native.Analyzer(**dict(choices))
    own = json.loads(analyzer.analysis_json())["model_fnv1a64"]
    if own != model_hash:
        path = _text(dict(choices)["model_path"]) or "the built-in model"
        return None, (f"the model {path} on worker {socket.gethostname()} is not the driver's "
                      f"(fnv1a64 {own}, the driver's {model_hash})")
    return analyzer, ""


def _analyze_call(choices: tuple, model_hash: str, path: bytes, call_id: str, out_dir: bytes, table_format: str,
                  frames: bool) -> tuple:
    """One call on a worker: batch's analyze_call into out_dir. Never raises for a bad file."""
    analyzer, problem = _worker_analyzer(choices, model_hash)
    if analyzer is None:
        return ("failed", f"{_text(path)}: {problem}", "", None, None, None)
    return analyzer.analyze_call(path, call_id, out_dir, table_format, frames)


def _text(path: bytes | str) -> str:
    """A path for a message: bytes that are not UTF-8 as \\xNN (as the C++ side writes them)."""
    return path.decode("utf-8", "backslashreplace") if isinstance(path, bytes) else path


def _executing(keys: set, dask_worker: Any = None) -> list:
    """On a worker: which of `keys` it is running now."""
    return [key for key in list(dask_worker.active_keys) if key in keys]


def _stop_tasks(client: Any, keys: list[str], cluster_closes: bool) -> None:
    """Cancels the run's tasks. Dask cannot stop a task that is running: unless the
    cluster is closed next (taking its workers with it), wait for those to end,
    so that nothing writes into the folder once the run has let it go."""
    from distributed import Future

    try:
        client.cancel([Future(key, client) for key in keys])
    except Exception:
        pass
    if cluster_closes:
        return
    wanted = set(keys)
    told = False
    try:
        while True:
            running = sum(len(v) for v in client.run(_executing, wanted).values())
            if running == 0:
                return
            if not told:
                print(f"tonewatch: waiting for the {running} call(s) being analysed to end "
                      "(Ctrl-C again to leave them)", file=sys.stderr, flush=True)
                told = True
            time.sleep(0.1)
    except KeyboardInterrupt:
        print("tonewatch: left calls being analysed: their files may land after the run "
              "(a rerun redoes what it finds incomplete)", file=sys.stderr)
    except Exception:
        pass  # a cluster that cannot be asked is one whose workers are gone


def _row(result: tuple, analysed: dict[int, tuple], index: int) -> dict[str, Any]:
    input_path, call_id, status, error, _note, summary_text = result
    if index in analysed:  # from the worker that analysed it
        duration, alerts, stage = analysed[index]
    elif summary_text is not None:  # skipped: the summary of the earlier run
        summary = json.loads(summary_text)
        detection = summary.get("detection", {})
        duration, alerts, stage = (summary.get("duration_s"), len(detection.get("alerts", [])),
                                   detection.get("final_stage"))
    else:
        duration = alerts = stage = None
    return {"call_id": call_id, "input": os.fsdecode(input_path), "status": status, "duration_s": duration,
            "alerts": alerts, "final_stage": stage, "error": error or None}


def analyze_archive(paths_or_glob: str | PathLike | Iterable[PathLike], out_dir: PathLike, *, client: Any = None,
                    config: Config | Mapping[str, Any] | PathLike | None = None, resume: bool = True,
                    channels: Sequence[str] = ("caller", "agent"), model: PathLike | None = None,
                    root: PathLike | None = None, format: str = "csv", frames: bool = False,
                    progress: bool | None = None):
    """Analyses every recording into ``out_dir`` on a Dask cluster; returns a
    pandas DataFrame with one row per input: call_id, input, status ("analysed",
    "skipped", "failed" or "duplicate"), duration_s, alerts (how many supervisor
    alerts), final_stage, error.

    Args:
        paths_or_glob: a glob (``"archive/**/*.wav"``, recursive), one path, or an
            iterable of paths.
        out_dir: the output folder, as ``tonewatch analyze --out``: the driver takes
            its lock for the run and writes its manifest; workers write the calls'
            files there, so it must be the same folder for all of them.
        client: a ``distributed.Client`` for an existing cluster
            (``Client("tcp://scheduler:8786")``); None starts a LocalCluster of
            one single-threaded worker process per core and closes it at the end.
        config, channels, model: as :func:`tonewatch.analyze` (``model`` and a
            config path are read by the driver; a model file must be readable at
            the same path on the workers).
        resume: skip calls whose outputs are complete and were made from the same
            input with the same tonewatch, model and settings (False: ``--force``).
        root, format, frames: as ``--root``, ``--format``, ``--frames``.
        progress: print a progress line to stderr every few seconds; None (the
            default): when stderr is a terminal, as ``analyze`` does.

    A bad recording is a "failed" row with its error, never a failed run. A worker
    that dies mid-call loses nothing: the scheduler runs the task again elsewhere,
    and the call is recorded once. A KeyboardInterrupt cancels the calls not yet
    started, waits for those being analysed to end (a second Ctrl-C leaves them),
    records the run as interrupted in the manifest and raises; running it again
    finishes it.

    Raises:
        OutputFolderError: ``out_dir`` cannot be used (another run holds it...).
        ConfigError, ValueError: bad settings, no inputs.
    """
    import pandas
    from distributed import Client, LocalCluster, as_completed

    if format not in ("csv", "jsonl"):
        raise ValueError(f"format {format!r}: csv or jsonl")
    if progress is None:
        progress = sys.stderr.isatty()
    stereo, mono = _channel_choices(channels)
    config_json = _config_json(config)
    choices = (("channels", stereo), ("mono_role", mono), ("config_json", config_json),
               ("model_path", os.fsencode(os.path.abspath(model)) if model is not None else b""),
               ("raw_encoding", ""), ("raw_rate_hz", 8000), ("raw_channels", 1), ("raw_big_endian", False))
    analyzer = _native.Analyzer(**dict(choices))  # validates the settings before anything starts
    model_hash = json.loads(analyzer.analysis_json())["model_fnv1a64"]
    inputs = _inputs(paths_or_glob)
    out = os.fsencode(os.path.abspath(out_dir))
    command = ["tonewatch.dask.analyze_archive", f"out_dir={_text(out)}",
               f"resume={resume}", f"format={format}", f"frames={frames}"]
    run = _native.BatchRun(analyzer, inputs, out, format, frames, not resume,
                           os.fsencode(root) if root is not None else b"", command)

    own_cluster = None
    interrupted = False
    keys: list[str] = []
    futures: dict = {}
    analysed: dict[int, tuple] = {}  # call index -> (duration_s, alerts, final_stage)
    calls = run.calls()
    try:
        pending = []
        for index, _input_index, path, call_id, done, _note in calls:
            if done:
                run.record(index, *run.skipped(index)[2:])
            else:
                pending.append((index, path, call_id))
        if pending:
            if client is None:
                own_cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
                client = Client(own_cluster)
            # One task per call, submitted in one message (client.map); pure=False: a
            # rerun analyses again. Each key names the run and the call, and is unique
            # even for two runs started in the same second from one process. Workers
            # get absolute paths: their working folder is not the driver's.
            n = len(pending)
            token = uuid.uuid4().hex[:12]
            keys = [f"tonewatch-{run.run_id}-{token}-{index}" for index, _, _ in pending]
            submitted = client.map(_analyze_call, [choices] * n, [model_hash] * n,
                                   [os.path.abspath(p) for _, p, _ in pending], [c for _, _, c in pending],
                                   [out] * n, [format] * n, [frames] * n, key=keys, pure=False)
            futures.update({f: (index, path) for f, (index, path, _) in zip(submitted, pending)})
            _collect(run, futures, as_completed, progress, len(calls) - len(pending), len(calls), analysed)
    except BaseException:
        # KeyboardInterrupt, or the cluster failing under the driver: the calls not
        # finished are cancelled and the run recorded as interrupted; running the
        # same call again finishes it.
        interrupted = True
        if client is not None and keys:
            _stop_tasks(client, keys, cluster_closes=own_cluster is not None)
        raise
    finally:
        try:
            if own_cluster is not None:
                client.close()
                own_cluster.close()
        finally:
            try:
                results, warnings, _removed = run.finish(interrupted, not interrupted)
            finally:
                run.close()  # the folder's lock goes now, not when Python collects `run`
    for warning in warnings:
        print(f"tonewatch: warning: {warning}", file=sys.stderr)
    input_of_call = {call[0]: call[1] for call in calls}
    by_input = {input_of_call[index]: fields for index, fields in analysed.items()}
    return pandas.DataFrame([_row(r, by_input, i) for i, r in enumerate(results)], columns=_COLUMNS)


def _collect(run: Any, futures: dict, as_completed: Any, progress: bool, done: int, total: int,
             analysed: dict[int, tuple]) -> None:
    last = time.monotonic()
    for future in as_completed(list(futures)):
        index, path = futures[future]
        try:
            status, error, note, *fields = future.result()
            analysed[index] = tuple(fields)
        except Exception as e:  # a worker died every time it ran this call (KilledWorker), or the task failed
            status, note = "failed", ""
            error = f"{_text(path)}: not analysed on the cluster: {type(e).__name__}: {e}"
        run.record(index, status, error, note, None)
        done += 1
        if progress and (time.monotonic() - last > 2.0 or done == total):
            last = time.monotonic()
            print(f"\r[{done}/{total} calls]", end="" if done < total else "\n", file=sys.stderr, flush=True)
