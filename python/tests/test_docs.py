"""docs/python.md's walk-through, run as written on a folder of calls cut from the example."""

from __future__ import annotations

import os
import re
import shutil

from conftest import REPO, cut_recordings

DOC = REPO / "docs" / "python.md"


def walkthrough_blocks() -> list[str]:
    text = DOC.read_text()
    section = text.split("## Walk-through", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_walkthrough_runs_as_written(tmp_path, example_pcm, example_samples, monkeypatch):
    blocks = walkthrough_blocks()
    assert len(blocks) == 4
    calls = tmp_path / "calls"
    calls.mkdir()
    # Named as the composed calls are (<scenario>-<caller>-<agent>), the one the text
    # picks being the example itself.
    shutil.copy(example_pcm, calls / "escalation-03-08.wav")
    for i, path in enumerate(cut_recordings(tmp_path / "cut", example_samples, 6, (20.0, 60.0))):
        shutil.move(path, calls / f"agent-raises-voice-{10 + i:02d}-{13 + i % 2:02d}.wav")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    assert len(namespace["calls"]) == 7
    assert set(namespace["per_agent"].index) == {"08", "13", "14"}
    assert list(namespace["per_agent"].columns) == ["calls", "raised_voice_min", "interruptions", "alerts"]
    assert len(namespace["caller"]) > 30
    assert (tmp_path / "agitation.png").stat().st_size > 5000
    os.remove(tmp_path / "agitation.png")
