"""The exceptions pulumi_meshgw raises for bad input.

Every problem carries the config path it is about (``gateways[0].servers[1].tls.mode``), the value
that was found, and what to do instead. Validation collects every problem before raising once, so a
user fixes a whole config in one round trip.

This module is pure: it does not import Pulumi. The component layer re-raises these errors as
subclasses that the Pulumi language host prints without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["ConfigError", "MeshgwError", "Problem", "format_path"]


def format_path(parts: Iterable[str | int]) -> str:
    """Join path parts into the ``a.b[0].c`` form used in every message."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    Attributes:
        path: Where it is, in config terms, e.g. ``gateways[0].servers[1].tls.mode``.
        message: What is wrong and how to fix it.
        code: An ``istioctl analyze`` code (``IST0132``) where Istio has one, else ``MGW``-prefixed.
    """

    path: str
    message: str
    code: str = "MGW0001"

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message} [{self.code}]"


class MeshgwError(Exception):
    """Base class of every error pulumi_meshgw raises on purpose."""


class ConfigError(MeshgwError, ValueError):
    """The input (stack config or Python arguments) is invalid.

    Attributes:
        problems: Every problem found, in input order.
    """

    def __init__(self, problems: Sequence[Problem], *, context: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.context = context
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        head = f"{self.context}: " if self.context else ""
        head += f"{n} problem{'s' if n != 1 else ''} in the mesh configuration"
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)

    def with_prefix(self, prefix: str) -> ConfigError:
        """Return a copy whose paths are nested under ``prefix`` (``gateways[2]``)."""

        def join(path: str) -> str:
            if not path:
                return prefix
            return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"

        return ConfigError(
            [Problem(join(p.path), p.message, p.code) for p in self.problems], context=self.context
        )
