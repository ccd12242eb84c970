"""The exceptions pulumi_meshgw raises for bad input.

Every problem carries the config path it is about (``gateways[0].servers[1].tls.mode``), the value
that was found, and what to do instead. Validation collects every problem before raising once, so a
user fixes a whole config in one round trip.

This module is pure: it does not import Pulumi. The component layer re-raises these errors as
subclasses that the Pulumi language host prints without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

__all__ = ["ConfigError", "MeshgwError", "Problem", "format_path", "headline", "problem_line", "show"]

SHOW_LIMIT = 80
"""How many characters of a value a message shows. Default: 80."""


def show(value: Any, limit: int = SHOW_LIMIT) -> str:
    """A value as a message shows it: bounded, deterministic and in config terms.

    Strings are quoted (``'shop'``), mappings and lists are written inline in YAML flow style
    (``{port: 80}``, ``[a, b]``) with mapping keys in input order and set members sorted,
    ``true``/``false``/``null`` as in YAML, and any other object by its type name only. The walk
    stops once ``limit`` characters are written and ends with ``...``, so a huge or deeply nested
    value costs no more than a short one, and no Python ``repr`` of it is ever built.

    Args:
        value: Anything a user gave.
        limit: The most characters to show, before the ``...``. Default: 80.

    Returns:
        At most ``limit + 3`` characters.
    """
    parts: list[str] = []
    room = [limit + 1]  # one past the limit tells "cut" from "exactly full"

    def emit(text: str) -> bool:
        if room[0] <= 0:
            return False
        parts.append(text[: room[0]])
        room[0] -= len(text)
        return room[0] > 0

    def walk(v: Any) -> bool:
        if v is None or isinstance(v, bool):
            return emit({None: "null", True: "true", False: "false"}[v])
        if isinstance(v, str):
            return emit(repr(v[: limit + 1]))
        if isinstance(v, (int, float)):
            return emit(repr(v) if abs(v) < 10**30 else f"{v:.3g}")
        if isinstance(v, Mapping):
            items: Iterable[tuple[Any, Any]] = v.items()
            if not emit("{"):
                return False
            for i, (k, item) in enumerate(items):
                key = k if isinstance(k, str) and k.isidentifier() else None
                if not (emit(", ") if i else True) or not (emit(key) if key else walk(k)) or not emit(": "):
                    return False
                if not walk(item):
                    return False
            return emit("}")
        if isinstance(v, (Sequence, Set)) and not isinstance(v, (bytes, bytearray)):
            seq = sorted(v, key=lambda x: show(x, 20)) if isinstance(v, Set) else v
            if not emit("["):
                return False
            for i, item in enumerate(seq):
                if (i and not emit(", ")) or not walk(item):
                    return False
            return emit("]")
        return emit(f"<{type(v).__name__}>")

    walk(value)
    text = "".join(parts)
    return text if len(text) <= limit else text[:limit] + "..."


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
    """Base class of every error pulumi_meshgw raises on purpose.

    Attributes:
        code: The code the message is printed with (:func:`headline`). Default: ``MGW0003``, the
            command cannot run as asked (a project or stack file missing, a path it cannot write).
    """

    code: str = "MGW0003"


def problem_line(level: str, where: str, message: str, code: str) -> str:
    """One problem as every message of the project prints it: ``LEVEL: WHERE: MESSAGE [CODE]``.

    ``WHERE`` is the config path (``gateways[0].servers``), the object and its field
    (``VirtualService shop/shop spec.hosts[1]``), or a file; the message names the bad value and
    the fix; the code is searchable in docs/checks.md. The shape is the compilers' one
    (``file:line: error: ... [-Wflag]``), so editors and CI annotations parse it. ``meshgw check``
    puts ``FILE:LINE:`` in front.

    Args:
        level: ``error``, ``warning`` or ``info``.
        where: Where the problem is; empty when it is about the input as a whole.
        message: What is wrong and how to fix it.
        code: The ``IST``/``MGW`` code.

    Returns:
        The line, without a newline.
    """
    return f"{level}: {where + ': ' if where else ''}{message} [{code}]"


def headline(error: BaseException) -> str:
    """What a command prints for an error that stops it: a :class:`ConfigError` as its header and
    one ``- WHERE: MESSAGE [CODE]`` line per problem, anything else as one :func:`problem_line`.

    Errors without a code of their own (``pulumi.RunError`` for a missing ``pulumi config``
    value, say) get ``MGW0003``.
    """
    if isinstance(error, ConfigError):
        return f"error: {error}"
    return problem_line("error", "", str(error), getattr(error, "code", MeshgwError.code))


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
