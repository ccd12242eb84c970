"""Generate ``istio/openapi.json`` from the vendored ``istio/crd-all.gen.yaml``.

Parsing Istio's 1 MB CRD YAML costs a noticeable fraction of a second, so the analysis layer reads
a pre-built index instead: a JSON object mapping ``"<group>/<version>/<Kind>"`` to the
``openAPIV3Schema`` of that version, for every served version of every CRD. The output is compact
(no whitespace), has sorted keys and ends in one newline, so regenerating it is byte-for-byte
reproducible and a test can check that it never drifts from the YAML.

Usage (from the repository root)::

    python -m pulumi_meshgw.schemas._generate          # rewrite istio/openapi.json
    python -m pulumi_meshgw.schemas._generate --check  # exit 1 if istio/openapi.json is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CRD_YAML", "OPENAPI_JSON", "build_index", "main", "render", "render_file"]

_HERE = Path(__file__).resolve().parent
CRD_YAML = _HERE / "istio" / "crd-all.gen.yaml"
"""The vendored Istio CRDs (never edited)."""
OPENAPI_JSON = _HERE / "istio" / "openapi.json"
"""The generated index this module writes."""

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def build_index(documents: Sequence[Any]) -> dict[str, Any]:
    """Map ``<group>/<version>/<Kind>`` to the ``openAPIV3Schema`` of each served CRD version.

    Args:
        documents: The parsed YAML documents; anything that is not a CustomResourceDefinition
            (including empty documents) is skipped.

    Returns:
        The index, with one entry per served version of every CRD.

    Raises:
        ValueError: A CRD is malformed, or two CRDs claim the same group/version/kind.
    """
    index: dict[str, Any] = {}
    for doc in documents:
        if not isinstance(doc, Mapping) or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        for version in spec["versions"]:
            if not version.get("served", False):
                continue
            key = f"{group}/{version['name']}/{kind}"
            if key in index:
                raise ValueError(f"duplicate CRD version {key}")
            try:
                index[key] = version["schema"]["openAPIV3Schema"]
            except KeyError as exc:
                raise ValueError(f"{key} has no schema.openAPIV3Schema") from exc
    return index


def render(crd_yaml: str) -> bytes:
    """Return the exact bytes of ``openapi.json`` for the given CRD YAML text.

    Args:
        crd_yaml: The text of a multi-document CRD YAML file.

    Returns:
        Compact UTF-8 JSON with sorted keys, followed by a single newline.
    """
    documents = list(yaml.load_all(crd_yaml, Loader=_Loader))
    text = json.dumps(build_index(documents), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8") + b"\n"


def render_file(crd_yaml: Path = CRD_YAML) -> bytes:
    """Return the exact bytes ``openapi.json`` should have for a CRD YAML file.

    Args:
        crd_yaml: The CRD YAML file; the vendored one by default.

    Returns:
        The bytes :func:`render` produces for the file's contents.
    """
    return render(crd_yaml.read_text(encoding="utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with ``--check``, verify) ``istio/openapi.json``.

    Args:
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` by default.

    Returns:
        The process exit code: 0 on success, 1 if ``--check`` found the file out of date.
    """
    parser = argparse.ArgumentParser(prog="python -m pulumi_meshgw.schemas._generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file is stale")
    args = parser.parse_args(argv)
    expected = render_file()
    if args.check:
        current = OPENAPI_JSON.read_bytes() if OPENAPI_JSON.exists() else b""
        if current != expected:
            print(f"{OPENAPI_JSON} is out of date; run python -m pulumi_meshgw.schemas._generate")
            return 1
        print(f"{OPENAPI_JSON} is up to date")
        return 0
    OPENAPI_JSON.write_bytes(expected)
    print(f"wrote {OPENAPI_JSON} ({len(expected):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
