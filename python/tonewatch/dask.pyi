from typing import Any, Iterable, Mapping, Sequence

import pandas

from . import Config, PathLike

def analyze_archive(paths_or_glob: str | PathLike | Iterable[PathLike], out_dir: PathLike, *, client: Any = ...,
                    config: Config | Mapping[str, Any] | PathLike | None = ..., resume: bool = ...,
                    channels: Sequence[str] = ..., model: PathLike | None = ..., root: PathLike | None = ...,
                    format: str = ..., frames: bool = ..., progress: bool | None = ...) -> pandas.DataFrame: ...
