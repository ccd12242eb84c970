"""Print a :class:`~.diff.MeshDiff` as text (terminals, CI logs), Markdown (a PR comment) or JSON.

All three list the security-relevant flags first, then the changes by section (gateways, routes,
egress, policy), one line per change. An empty diff prints nothing at all, in every format, so a
script can test for empty output.
"""

from __future__ import annotations

import json
from enum import Enum

from .diff import Change, MeshDiff

__all__ = ["MARKDOWN_TITLE", "DiffFormat", "format_diff"]

MARKDOWN_TITLE = "### Mesh changes (`meshgw diff`)"

_SECTIONS = (
    ("gateways", "Gateways"),
    ("routes", "Routes"),
    ("egress", "Egress"),
    ("policy", "Security policy"),
)


class DiffFormat(str, Enum):
    """Output formats of ``meshgw diff``."""

    text = "text"
    markdown = "markdown"
    json = "json"


def _by_section(changes: tuple[Change, ...]) -> list[tuple[str, list[Change]]]:
    return [(title, [c for c in changes if c.section == key]) for key, title in _SECTIONS]


def _summary(diff: MeshDiff) -> str:
    n = len(diff.changes)
    flagged = f", {len(diff.flags)} security-relevant" if diff.flags else ""
    return f"{n} change{'s' if n != 1 else ''}{flagged}"


def _text(diff: MeshDiff) -> str:
    lines: list[str] = []
    if diff.flags:
        lines.append("Security-relevant:")
        lines.extend(f.line() for f in diff.flags)
    for title, changes in _by_section(diff.changes):
        if changes:
            lines.append(f"{title}:")
            lines.extend(c.line() for c in changes)
    lines.append(_summary(diff))
    return "\n".join(lines) + "\n"


def _markdown(diff: MeshDiff) -> str:
    lines = [MARKDOWN_TITLE, "", f"{_summary(diff)}.", ""]
    if diff.flags:
        lines.append("**Security-relevant**")
        lines.append("")
        # A "diff" block, so GitHub colours the "+" and "-" lines.
        lines.extend(["```diff", *(f.line() for f in diff.flags), "```", ""])
    for title, changes in _by_section(diff.changes):
        if changes:
            lines.extend([f"**{title}**", "", "```diff", *(c.line() for c in changes), "```", ""])
    return "\n".join(lines)


def format_diff(diff: MeshDiff, output_format: DiffFormat) -> str:
    """Render ``diff`` for people or programs.

    Args:
        diff: The comparison.
        output_format: ``text``: a heading per section and one line per change, then a count.
            ``markdown``: a PR comment, sections as ``diff`` code blocks. ``json``: one object with
            ``flags`` and ``changes`` (each item has its fields and its ``line``).

    Returns:
        The text to print, ending in a newline; an empty string when nothing changed.
    """
    if diff.empty:
        return ""
    if output_format is DiffFormat.json:
        data = {"flags": [f.to_dict() for f in diff.flags], "changes": [c.to_dict() for c in diff.changes]}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output_format is DiffFormat.markdown:
        return _markdown(diff)
    return _text(diff)
