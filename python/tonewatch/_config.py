"""Detection thresholds: the same JSON config files `tonewatch analyze --config` reads."""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

from . import _native


class Config:
    """The detection thresholds, as `tonewatch defaults` prints them.

    ``Config()`` holds the defaults; ``Config({"agent_tone": {...}})`` or
    ``Config.load(path)`` change only the keys given, exactly as a ``--config``
    file does. Every change is validated at once: an unknown section or key, a
    value of the wrong type or out of range raises :class:`tonewatch.ConfigError`
    with the message ``tonewatch analyze`` would print.
    """

    __slots__ = ("_values",)

    def __init__(self, changes: Mapping[str, Any] | None = None) -> None:
        text = json.dumps(dict(changes) if changes is not None else {})
        self._values: dict[str, Any] = json.loads(_native.config_resolve(text))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Config":
        """Reads a config file over the defaults (only the keys it holds change)."""
        config = cls.__new__(cls)
        config._values = json.loads(_native.config_load(os.fsencode(path)))
        return config

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes every threshold to ``path``, a file ``--config`` and :meth:`load` read."""
        with open(path, "w", encoding="utf-8") as out:
            json.dump(self._values, out, indent=2)
            out.write("\n")

    def to_dict(self) -> dict[str, Any]:
        """Every threshold, by section: a copy."""
        return json.loads(json.dumps(self._values))

    def replace(self, changes: Mapping[str, Any]) -> "Config":
        """A new Config with ``changes`` applied over this one's values."""
        merged = self.to_dict()
        for section, values in changes.items():
            if isinstance(values, Mapping) and isinstance(merged.get(section), dict):
                merged[section].update(values)
            else:
                merged[section] = values
        return Config(merged)

    def to_json(self) -> str:
        return json.dumps(self._values, sort_keys=True)

    def __getitem__(self, section: str) -> dict[str, Any]:
        return json.loads(json.dumps(self._values[section]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self._values == other._values

    def __repr__(self) -> str:
        changed = _changed(json.loads(_native.config_defaults()), self._values)
        return f"Config({changed!r})" if changed else "Config()"


def _changed(defaults: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, entries in values.items():
        base = defaults.get(section, {})
        if isinstance(entries, dict):
            diff = {k: v for k, v in entries.items() if base.get(k) != v}
            if diff:
                out[section] = diff
        elif base != entries:
            out[section] = entries
    return out
