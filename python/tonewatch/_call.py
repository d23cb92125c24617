"""One analysed call, as `tonewatch analyze` would have written it."""

from __future__ import annotations

import io
import json
import os
from typing import Any

from . import _native


def _events(jsonl: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in jsonl.splitlines() if line]


class Call:
    """An analysed call.

    Attributes:
        call_id: the name its files go under (``<call_id>.summary.json``, ...).
        summary: the dict ``<call>.summary.json`` holds: the call, its speakers'
            figures, ``detection`` (alerts, escalations, final stage, ...), the
            ``analysis`` fingerprint.
        events: the events in order, each the dict a line of ``<call>.events.jsonl`` holds.
        windows: a pandas DataFrame with exactly the columns of ``<call>.windows.csv``
            (one row per speaker and second).
        frames: a DataFrame with exactly the columns of ``<call>.frames.csv`` (one row
            per speaker and 10 ms hop), or None when analysed with ``frames=False``.
    """

    __slots__ = ("_native", "summary", "events", "_windows", "_frames")

    def __init__(self, native: _native.FinishedCall) -> None:
        self._native = native
        self.summary: dict[str, Any] = json.loads(native.summary_json)
        self.events: list[dict[str, Any]] = _events(native.events_jsonl)
        self._windows = None
        self._frames = None

    @property
    def call_id(self) -> str:
        return self._native.call_id

    @property
    def windows(self):  # -> pandas.DataFrame
        if self._windows is None:
            self._windows = _table(self._native.windows_csv)
        return self._windows

    @property
    def frames(self):  # -> pandas.DataFrame | None
        if self._frames is None:
            text = self._native.frames_csv
            if text is None:
                return None
            self._frames = _table(text)
        return self._frames

    @property
    def windows_csv(self) -> str:
        """The text of ``<call>.windows.csv``."""
        return self._native.windows_csv

    @property
    def frames_csv(self) -> str | None:
        """The text of ``<call>.frames.csv`` (None with ``frames=False``)."""
        return self._native.frames_csv

    def report_json(self) -> dict[str, Any]:
        """The machine-readable report, as ``<call>.report.json`` holds it."""
        return json.loads(self._native.report_json())

    def report_html(self) -> str:
        """The self-contained HTML report a supervisor reads (``<call>.report.html``)."""
        return self._native.report_html()

    def write(self, out_dir: str | os.PathLike[str]) -> dict[str, str]:
        """Writes the files ``tonewatch analyze`` writes for this call into ``out_dir``
        (created if needed): summary, window table (CSV), events, reports, and the
        frame table when kept. Each file appears whole or not at all; the summary
        last. Returns the paths by kind."""
        out = os.fspath(out_dir)
        self._native.write(os.fsencode(out))
        base = os.path.join(out, self.call_id)
        paths = {
            "summary": base + ".summary.json",
            "windows": base + ".windows.csv",
            "events": base + ".events.jsonl",
            "report_json": base + ".report.json",
            "report_html": base + ".report.html",
        }
        if self._native.has_frames:
            paths["frames"] = base + ".frames.csv"
        return paths

    def __repr__(self) -> str:
        detection = self.summary.get("detection", {})
        return (f"<tonewatch.Call {self.call_id!r}: {self.summary.get('duration_s', 0):.1f} s, "
                f"final stage {detection.get('final_stage')}, {len(detection.get('alerts', []))} alert(s)>")


def _table(csv_text: str):
    import pandas  # imported on first use: analysing needs no pandas

    # keep_default_na=False then na_values=[""]: an empty cell is missing (the CSV's
    # NaN), but text such as "NA" or "null" in a column stays text.
    # The call id and the speaker are text whatever they look like ("0042").
    return pandas.read_csv(io.StringIO(csv_text), keep_default_na=False, na_values=[""],
                           dtype={"call": str, "speaker": str, "stage": str})
