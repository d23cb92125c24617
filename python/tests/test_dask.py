"""tonewatch.dask.analyze_archive: `tonewatch analyze` on a Dask cluster, with the
same ids, summaries, manifest and resume, surviving a worker's death."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

import tonewatch
import tonewatch.dask
from conftest import REPO, cut_recordings, manifest, run_cli

import distributed  # noqa: E402  (python3-distributed: tools/install-deps.sh --tests)


@pytest.fixture(scope="module")
def client():
    # Two single-threaded worker processes, each under a nanny that restarts it if it dies.
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def recordings(tmp_path_factory, example_samples):
    return cut_recordings(tmp_path_factory.mktemp("archive"), example_samples, 40, (5.0, 40.0))


@pytest.fixture(scope="module")
def long_recordings(tmp_path_factory, example_samples):
    # Long enough that a worker is always in the middle of a call.
    return cut_recordings(tmp_path_factory.mktemp("long"), example_samples, 40, (60.0, 120.0))


def cli_outputs(tmp_path: pathlib.Path, inputs: list[pathlib.Path]) -> pathlib.Path:
    out = tmp_path / "cli"
    run_cli("analyze", "--jobs", "2", "--no-progress", "--out", out, *inputs)
    return out


def summaries(folder: pathlib.Path) -> dict[str, dict]:
    return {p.name[:-len(".summary.json")]: json.loads(p.read_text()) for p in folder.glob("*.summary.json")}


def assert_same_calls(ours: pathlib.Path, theirs: pathlib.Path, count: int) -> None:
    a, b = summaries(ours), summaries(theirs)
    assert len(a) == count and sorted(a) == sorted(b)
    for call_id in b:
        assert a[call_id] == b[call_id], call_id
        for suffix in (".windows.csv", ".events.jsonl", ".report.json"):
            assert (ours / (call_id + suffix)).read_bytes() == (theirs / (call_id + suffix)).read_bytes()
    assert not [p.name for p in ours.iterdir() if ".tmp-" in p.name], "temporaries left behind"


def last_record(folder: pathlib.Path) -> dict:
    return manifest(folder)[-1]


def test_a_cluster_run_equals_analyze_jobs_2(client, recordings, tmp_path):
    table = tonewatch.dask.analyze_archive(recordings, tmp_path / "dask", client=client)
    assert list(table.columns) == ["call_id", "input", "status", "duration_s", "alerts", "final_stage", "error"]
    assert len(table) == 40 and set(table["status"]) == {"analysed"}
    assert table["error"].isna().all()
    theirs = cli_outputs(tmp_path, recordings)
    assert_same_calls(tmp_path / "dask", theirs, 40)
    cli = summaries(theirs)
    for row in table.itertuples():
        assert row.duration_s == cli[row.call_id]["duration_s"]
        assert row.final_stage == cli[row.call_id]["detection"]["final_stage"]
        assert row.alerts == len(cli[row.call_id]["detection"]["alerts"])
    # The manifest says what analyze's says: the same settings, every call once.
    ours, cli_run = manifest(tmp_path / "dask"), manifest(theirs)
    assert [r["record"] for r in ours] == ["run started", "run finished"]
    assert ours[0]["analysis"] == cli_run[0]["analysis"] and ours[0]["settings"] == cli_run[0]["settings"]
    assert ours[1]["counts"] == {"analysed": 40} == cli_run[1]["counts"]
    assert sorted(c["call"] for c in ours[1]["calls"]) == sorted(c["call"] for c in cli_run[1]["calls"])


def test_a_glob_and_resume_skip_what_is_done_and_redo_what_is_not(client, recordings, tmp_path, capfd):
    out = tmp_path / "out"
    pattern = str(recordings[0].parent.parent / "**" / "*.wav")
    first = tonewatch.dask.analyze_archive(pattern, out, client=client)
    assert set(first["status"]) == {"analysed"} and len(first) == 40
    again = tonewatch.dask.analyze_archive(pattern, out, client=client)
    assert set(again["status"]) == {"skipped"}
    assert again["final_stage"].tolist() == first["final_stage"].tolist()
    # As a run killed mid-way leaves them: five calls without their summary.
    for call_id in first["call_id"][:5]:
        (out / f"{call_id}.summary.json").unlink()
    third = tonewatch.dask.analyze_archive(pattern, out, client=client, progress=True)
    assert "[40/40 calls]" in capfd.readouterr().err
    assert sorted(third.loc[third["status"] == "analysed", "call_id"]) == sorted(first["call_id"][:5])
    assert (third["status"] == "skipped").sum() == 35
    forced = tonewatch.dask.analyze_archive(pattern, out, client=client, resume=False)
    assert set(forced["status"]) == {"analysed"}


def test_a_bad_file_is_a_failed_row_not_a_failed_run(client, recordings, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    inputs = [*recordings[:3], bad, recordings[0]]
    table = tonewatch.dask.analyze_archive(inputs, tmp_path / "out", client=client)
    assert table["status"].tolist() == ["analysed"] * 3 + ["failed", "duplicate"]
    assert "broken.wav" in table["error"][3]
    assert last_record(tmp_path / "out")["counts"] == {"analysed": 3, "failed": 1, "duplicate": 1}


def test_a_folder_in_use_by_another_run_is_refused(client, recordings, tmp_path):
    holder = tonewatch._native.BatchRun(tonewatch._analyzer(("caller", "agent"), None, None), [os.fsencode(recordings[0])],
                                        os.fsencode(tmp_path / "out"), "csv", False, False, b"", ["holder"])
    with pytest.raises(tonewatch.OutputFolderError, match="in use"):
        tonewatch.dask.analyze_archive(recordings[:2], tmp_path / "out", client=client)
    holder.finish(False, False)


def test_a_worker_killed_mid_run_loses_no_call(client, long_recordings, tmp_path):
    out = tmp_path / "out"
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2
    result = {}
    run = threading.Thread(target=lambda: result.update(
        table=tonewatch.dask.analyze_archive(long_recordings, out, client=client)))
    run.start()
    deadline = time.monotonic() + 120
    while not list(out.glob("*.summary.json")) and time.monotonic() < deadline:
        time.sleep(0.005)
    victim = sorted(pids)[0]
    os.kill(victim, signal.SIGKILL)
    killed_during_run = run.is_alive()
    run.join(timeout=300)
    assert killed_during_run, "the run ended before the worker was killed"
    assert not run.is_alive()
    table = result["table"]
    assert set(table["status"]) == {"analysed"} and len(table) == 40
    assert victim not in set(client.run(os.getpid).values())  # the nanny started another
    record = last_record(out)
    assert record["record"] == "run finished" and record["counts"] == {"analysed": 40}
    assert len({c["call"] for c in record["calls"]}) == 40
    assert_same_calls(out, cli_outputs(tmp_path, long_recordings), 40)


DRIVER = """
import sys, tonewatch.dask
try:
    tonewatch.dask.analyze_archive(sys.argv[1:-1], sys.argv[-1])
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_an_interrupted_run_resumes_with_only_the_unfinished_calls(client, long_recordings, tmp_path):
    out = tmp_path / "out"
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, *map(str, long_recordings), str(out)],
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.summary.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    driver.send_signal(signal.SIGINT)
    _, stderr = driver.communicate(timeout=120)
    assert driver.returncode == 130, stderr
    record = last_record(out)
    assert record["record"] == "run interrupted"
    recorded = {c["call"] for c in record["calls"] if c["status"] == "analysed"}
    assert len(recorded) < 40
    assert {c["status"] for c in record["calls"]} <= {"analysed", "not started", "interrupted"}
    # Calls whose results were on their way when the run stopped may have their
    # files without a line in the manifest: resume reads the files.
    done_before = {p.name[:-len(".summary.json")] for p in out.glob("*.summary.json")}
    assert recorded <= done_before and len(done_before) >= 4
    table = tonewatch.dask.analyze_archive(long_recordings, out, client=client)
    assert set(table.loc[table["status"] == "skipped", "call_id"]) == done_before
    assert (table["status"] == "analysed").sum() == 40 - len(done_before)
    assert last_record(out)["counts"] == {"analysed": 40 - len(done_before), "skipped": len(done_before)}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_cross_machine_recipe_with_dask_scheduler_and_dask_worker(recordings, tmp_path):
    # docs/python.md's recipe, with real `dask scheduler` and `dask worker` processes
    # (on loopback here; across machines the address is the scheduler's host).
    dask_cli = shutil.which("dask")
    assert dask_cli, "the dask command (python3-distributed) is not installed"
    port = free_port()
    env = dict(os.environ)
    scheduler = subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", ":0", "--no-show"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    worker = subprocess.Popen([dask_cli, "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "2", "--nthreads", "1",
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        with distributed.Client(f"tcp://127.0.0.1:{port}", timeout=60) as c:
            c.wait_for_workers(2, timeout=60)
            table = tonewatch.dask.analyze_archive(recordings[:12], tmp_path / "out", client=c)
        assert set(table["status"]) == {"analysed"} and len(table) == 12
        assert_same_calls(tmp_path / "out", cli_outputs(tmp_path, recordings[:12]), 12)
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_an_interrupted_run_lets_the_folder_go_and_lets_no_task_write_after_it(client, long_recordings, tmp_path,
                                                                              monkeypatch):
    # Ctrl-C in a notebook, with the notebook's own client: the driver waits for the
    # calls being analysed, records the run as interrupted, and releases the lock,
    # though the traceback (and with it the run) stays alive in the session.
    out = tmp_path / "out"
    real_collect = tonewatch.dask._collect

    def interrupted_collect(run, futures, *args):
        shortened = dict(list(futures.items())[:3])
        real_collect(run, shortened, *args)
        raise KeyboardInterrupt

    monkeypatch.setattr(tonewatch.dask, "_collect", interrupted_collect)
    with pytest.raises(KeyboardInterrupt) as kept_traceback:
        tonewatch.dask.analyze_archive(long_recordings, out, client=client)
    files = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert last_record(out)["record"] == "run interrupted"
    time.sleep(1.0)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == files, "a task wrote after the run returned"
    monkeypatch.setattr(tonewatch.dask, "_collect", real_collect)
    table = tonewatch.dask.analyze_archive(long_recordings, out, client=client)
    assert kept_traceback.value is not None
    assert set(table["status"]) <= {"analysed", "skipped"} and (table["status"] == "skipped").sum() >= 3
    assert len(summaries(out)) == 40


def test_relative_inputs_are_the_drivers_files_on_every_worker(client, recordings, tmp_path, monkeypatch):
    monkeypatch.chdir(recordings[0].parent.parent)
    relative = [os.path.relpath(p) for p in recordings[:6]]
    assert not os.path.isabs(relative[0])
    table = tonewatch.dask.analyze_archive(relative, tmp_path / "out", client=client)
    assert set(table["status"]) == {"analysed"}
    assert table["input"].tolist() == relative


def test_workers_read_the_model_the_driver_read(client, recordings, tmp_path):
    model = tmp_path / "model.json"
    text = (REPO / "models" / "agitation-v1.json").read_text()
    model.write_text(text)
    first = tonewatch.dask.analyze_archive(recordings[:3], tmp_path / "a", client=client, model=model)
    assert set(first["status"]) == {"analysed"}
    model.write_text(text.replace('"decision_threshold": 0.5,', '"decision_threshold": 0.55,', 1))
    edited = tonewatch.model_id(model)["model_fnv1a64"]
    assert edited != tonewatch.model_id()["model_fnv1a64"]
    second = tonewatch.dask.analyze_archive(recordings[:3], tmp_path / "b", client=client, model=model)
    assert set(second["status"]) == {"analysed"}
    assert {s["analysis"]["model_fnv1a64"] for s in summaries(tmp_path / "b").values()} == {edited}
