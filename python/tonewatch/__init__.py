"""tonewatch: call-center audio stress monitor, from Python.

The same C++ analysis as the ``tonewatch`` command, in process::

    import tonewatch
    call = tonewatch.analyze("examples/example_call.wav")
    call.summary["detection"]      # what `tonewatch analyze` writes to <call>.summary.json
    call.events                    # <call>.events.jsonl, as dicts
    call.windows                   # <call>.windows.csv, as a pandas DataFrame

Streams: :class:`Session`. Thresholds: :class:`Config`. Archives on a Dask
cluster: :func:`tonewatch.dask.analyze_archive`. Every analysis releases the GIL,
so threads analyse calls in parallel. See docs/python.md.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any, Mapping, Sequence, Union

from . import _native
from ._call import Call
from ._config import Config
from ._errors import AudioError, ConfigError, OutputFolderError

__version__: str = _native.__version__

__all__ = ["analyze", "Session", "Call", "Config", "AudioError", "ConfigError", "OutputFolderError",
           "model_id", "__version__"]

_ROLES = ("caller", "agent")

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def _channel_choices(channels: Sequence[str]) -> tuple[str, str]:
    """(--channels, --mono-role) for a tuple of roles in channel order."""
    if isinstance(channels, str):
        channels = tuple(part.strip() for part in channels.split(","))
    channels = tuple(channels)
    if not 1 <= len(channels) <= 2 or any(role not in _ROLES for role in channels):
        raise ValueError(f"channels {channels!r}: give the roles in channel order, "
                         "('caller', 'agent'), ('agent', 'caller'), ('caller',) or ('agent',)")
    if len(channels) == 2:
        if channels[0] == channels[1]:
            raise ValueError(f"channels {channels!r}: one caller and one agent")
        return ",".join(channels), "caller"
    return "caller,agent", channels[0]


def _config_json(config: Config | Mapping[str, Any] | PathLike | None) -> str | None:
    if config is None:
        return None
    if isinstance(config, Config):
        return config.to_json()
    if isinstance(config, Mapping):
        return Config(config).to_json()
    return Config.load(config).to_json()


def _analyzer(channels: Sequence[str], config: Any, model: PathLike | None,
              raw: Mapping[str, Any] | None = None) -> _native.Analyzer:
    stereo, mono = _channel_choices(channels)
    raw = dict(raw or {})
    unknown = set(raw) - {"encoding", "sample_rate", "channels", "big_endian"}
    if unknown:
        raise ValueError(f"raw: unknown keys {sorted(unknown)} (encoding, sample_rate, channels, big_endian)")
    model_path = os.fsencode(model) if model is not None else b""
    # A model file is known by its path and its state on disk: an edited file is read again.
    model_state: tuple = ()
    if model_path:
        try:
            stat = os.stat(model_path)
            model_state = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        except OSError:
            model_state = ("missing",)
    return _cached_analyzer(stereo, mono, _config_json(config), model_path, model_state,
                            str(raw.get("encoding", "")), int(raw.get("sample_rate", 8000)),
                            int(raw.get("channels", 1)), bool(raw.get("big_endian", False)))


@functools.lru_cache(maxsize=16)
def _cached_analyzer(stereo: str, mono: str, config_json: str | None, model_path: bytes, _model_state: tuple,
                     raw_encoding: str, raw_rate_hz: int, raw_channels: int, raw_big_endian: bool) -> _native.Analyzer:
    # Reading the model and validating the thresholds once per set of choices, not
    # once per call: analyze() of many short calls pays only for the analysis.
    return _native.Analyzer(channels=stereo, mono_role=mono, config_json=config_json, model_path=model_path,
                            raw_encoding=raw_encoding, raw_rate_hz=raw_rate_hz, raw_channels=raw_channels,
                            raw_big_endian=raw_big_endian)


def _is_path(source: Any) -> bool:
    return isinstance(source, (str, bytes, os.PathLike))


def analyze(source: Any, *, sample_rate: int | None = None, channels: Sequence[str] = ("caller", "agent"),
            config: Config | Mapping[str, Any] | PathLike | None = None, model: PathLike | None = None,
            call_id: str | None = None, frames: bool = True, raw: Mapping[str, Any] | None = None) -> Call:
    """Analyses one call and returns it as a :class:`Call`.

    Args:
        source: a recording's path (any file ``tonewatch analyze`` reads: WAV, FLAC,
            or headerless with ``raw``), or a NumPy array of shape (frames,) or
            (frames, channels) with 1 or 2 channels, dtype float32 or float64
            (samples in [-1, 1]) or int16. A C-contiguous float32 array is read
            without a copy.
        sample_rate: the array's rate in Hz (8000-48000); required for an array,
            not allowed for a path (the file says its own).
        channels: the speakers' roles in channel order: ``("caller", "agent")``
            (the default, as ``--channels caller,agent``), ``("agent", "caller")``,
            or one role for a one-channel source (as ``--mono-role``).
        config: detection thresholds: a :class:`Config`, a dict of changes, or a
            config file's path; None for the defaults.
        model: an agitation model file; None for the model built in.
        call_id: the name the call's files go under (default: as ``tonewatch analyze``
            names a lone input, its file name's stem; "call" for an array).
        frames: keep the per-hop table (:attr:`Call.frames`).
        raw: for headerless files, ``{"encoding": "s16", "sample_rate": 8000,
            "channels": 1, "big_endian": False}`` (as ``--raw``, ``--raw-rate``, ...).

    Raises:
        AudioError: the file cannot be analysed (the message names it and why).
        FileNotFoundError: no such file.
        ConfigError: unusable thresholds, model or channel layout.
        TypeError: an array of another dtype, or a source that is neither.
        ValueError: a bad shape, no samples, a NaN or infinite sample, a bad rate.
    """
    analyzer = _analyzer(channels, config, model, raw)
    if _is_path(source):
        if sample_rate is not None:
            raise ValueError("sample_rate is for arrays: a file says its own rate (headerless files: raw=)")
        path = os.fsencode(source)
        if not os.path.exists(path):
            raise FileNotFoundError(2, "No such file", os.fsdecode(path))
        if call_id is None:
            call_id = _native.call_ids([path])[0]
        return Call(analyzer.analyze_file(path, call_id, frames))
    import numpy

    if not isinstance(source, numpy.ndarray):
        raise TypeError(f"source: a path or a NumPy array, not {type(source).__name__}")
    if sample_rate is None:
        raise ValueError("sample_rate is needed for an array (Hz, 8000-48000)")
    if raw is not None:
        raise ValueError("raw is for headerless files, not arrays")
    _check_array_roles(source, channels)
    return Call(analyzer.analyze_array(source, int(sample_rate), "call" if call_id is None else call_id, frames))


def _check_array_roles(array: Any, channels: Sequence[str]) -> None:
    n = 1 if array.ndim == 1 else (array.shape[1] if array.ndim == 2 else 0)
    if n == 2 and len(tuple(channels)) == 1:
        raise ValueError(f"the array has 2 channels but channels names one role {tuple(channels)!r}")


class Session:
    """A call analysed as its audio arrives, block by block.

    ::

        s = tonewatch.Session(sample_rate=8000, channels=("caller", "agent"))
        for block in blocks:              # arrays of shape (frames, 2), any length
            for event in s.process(block):
                print(event["type"], event["message"])
        call = s.finish()                 # a Call, as analyze() returns it

    Any block sizes give the same analysis as the whole audio at once. A session
    is one stream: use it from one thread at a time (different sessions analyse
    in parallel; the GIL is released while they do).
    """

    def __init__(self, sample_rate: int = 8000, channels: Sequence[str] = ("caller", "agent"), *,
                 config: Config | Mapping[str, Any] | PathLike | None = None, model: PathLike | None = None,
                 call_id: str = "call", frames: bool = True) -> None:
        roles = tuple(channels) if not isinstance(channels, str) else tuple(r.strip() for r in channels.split(","))
        self._analyzer = _analyzer(roles, config, model)
        self._session = _native.StreamSession(self._analyzer, int(sample_rate), len(roles), call_id, frames)
        self._events: list[dict[str, Any]] = []
        self._call: Call | None = None

    def process(self, block: Any) -> list[dict[str, Any]]:
        """Analyses ``block`` (shape (frames,) or (frames, channels), float32,
        float64 or int16, as :func:`analyze` takes) and returns the events decided
        since the last call, as dicts."""
        if self._call is not None:
            raise ValueError("the session is finished: start a new Session for another call")
        new = [json.loads(text) for text in self._session.process(block)]
        self._events.extend(new)
        return new

    def finish(self) -> Call:
        """Ends the call (open episodes close, the summary is made) and returns it.
        The events decided at the end are in the Call's events."""
        if self._call is None:
            self._call = Call(self._session.finish())
        return self._call

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event decided so far."""
        return list(self._events) if self._call is None else list(self._call.events)

    @property
    def duration_s(self) -> float:
        """Stream time analysed so far, in seconds."""
        return self._session.duration_s

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.finish()


def model_id(model: PathLike | None = None) -> dict[str, str]:
    """What names the agitation model in every summary's ``analysis`` object:
    ``{"model": ..., "model_fnv1a64": ..., "tonewatch_version": ...}`` for ``model``
    (a file) or the model built in."""
    analysis = json.loads(_analyzer(_ROLES, None, model).analysis_json())
    return {key: analysis[key] for key in ("model", "model_fnv1a64", "tonewatch_version")}
