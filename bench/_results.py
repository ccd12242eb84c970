"""Writing a benchmark's results file: one JSON document, the same shape for every benchmark."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any


def write_results(path: Path, benchmark: str, rows: list[dict[str, Any]], **facts: Any) -> None:
    """Write ``{"benchmark", "python", **facts, "results"}`` to ``path`` (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"benchmark": benchmark, "python": platform.python_version(), **facts, "results": rows}
    path.write_text(json.dumps(document, indent=2) + "\n")
