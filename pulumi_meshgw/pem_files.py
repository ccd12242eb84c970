"""Reading the PEM files a config names: the only file I/O of planning, kept at the edge.

Istio's classic ``serverCertificate``/``privateKey``/``caCertificates`` (and an egress
destination's ``clientCertificate``) are file paths. They are read when the program runs and
become a Secret; the paths are never emitted. Planning (:mod:`pulumi_meshgw.plan`) takes a
:class:`PemSource` and never opens a file itself, so it can be run on text held in memory, and
the components decide where files come from (:class:`PemFiles`, relative to ``base_dir``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .errors import Problem, show

__all__ = ["PemFiles", "PemSource"]


class PemSource(Protocol):
    """Where planning gets the PEM text a config path names."""

    def read(self, path: str, field_path: str, problems: list[Problem]) -> str | None:
        """The PEM text of ``path``, or None after appending a problem at ``field_path``."""


class PemFiles:
    """PEM files on disk, relative paths resolved against ``base_dir``, each file read once.

    Args:
        base_dir: Where relative paths resolve. Default: the working directory when created.

    Problems (all code ``MGW0110``, at the config path of the field): the file does not exist, it
    cannot be read as ASCII text (a directory, no permission, a binary DER file), or it has no
    ``-----BEGIN`` line.
    """

    def __init__(self, base_dir: Path | None = None) -> None:
        self.base_dir = base_dir if base_dir is not None else Path.cwd()
        self._cache: dict[Path, str | tuple[str, str]] = {}

    def read(self, path: str, field_path: str, problems: list[Problem]) -> str | None:
        """The text of the PEM file ``path``, or None after appending one problem at ``field_path``."""
        p = Path(path)
        if not p.is_absolute():
            p = self.base_dir / p
        if p not in self._cache:
            self._cache[p] = _load(p)
        got = self._cache[p]
        if isinstance(got, tuple):
            problems.append(Problem(field_path, got[0], got[1]))
            return None
        return got


def _load(p: Path) -> str | tuple[str, str]:
    """The file's text, or (message, code)."""
    try:
        text = p.read_text(encoding="ascii")
    except FileNotFoundError:
        return f"file {show(str(p))} does not exist; give the path of a PEM file", "MGW0110"
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        if isinstance(exc, UnicodeDecodeError):
            why = f"byte {exc.start} is not ASCII (a DER or binary file?)"
        return f"cannot read {show(str(p))} as PEM text: {why}; give a PEM file", "MGW0110"
    if "-----BEGIN " not in text:
        return f"file {show(str(p))} is not PEM (no -----BEGIN line)", "MGW0110"
    return text
