"""The exceptions tonewatch raises, besides TypeError and ValueError for bad arguments."""

from . import _native

#: A recording that cannot be analysed: missing, unreadable, not audio, an
#: encoding or layout tonewatch does not take, truncated, empty. An OSError;
#: the message names the file and the problem, as `tonewatch analyze` reports it.
AudioError = _native.AudioError

#: A configuration that cannot be used: an unknown key, a value of the wrong type
#: or out of range, an unreadable config or model file. A ValueError whose message
#: is the CLI's (it names the flag: "--config ...", "--model ...", "--channels ...").
ConfigError = _native.ConfigError

#: An output folder that cannot be used: not a folder, cannot be created, or in use
#: by another run (a `tonewatch analyze` or another analyze_archive). An OSError.
OutputFolderError = _native.OutputFolderError

__all__ = ["AudioError", "ConfigError", "OutputFolderError"]
