"""``meshgw check PATH...``: analyze Kubernetes and Istio YAML with the engine ``pulumi preview`` uses.

Files are read as multi-document YAML (``.yaml`` and ``.yml``); folders are searched recursively in
sorted order, so a ``meshgw render`` output folder can be checked as it is (``graph.json`` is not
YAML and is skipped). ``kind: List`` documents are expanded. A namespaced object without a
namespace is checked as if applied to ``--namespace`` (default ``default``), as ``kubectl apply``
would.

Output, one finding per line:

- ``--format text`` (default): ``FILE:LINE: LEVEL CODE KIND NAMESPACE/NAME PATH: MESSAGE``, where
  LINE is the first line of the object's document, then a summary line. Readable in a terminal,
  greppable in CI logs, and the ``file:line:`` prefix is what editors and CI annotators link.
- ``--format json``: JSON Lines, one object per finding with ``code``, ``level``, ``kind``,
  ``namespace``, ``name``, ``path``, ``message``, ``file`` and ``line``; nothing else on stdout.

Exit status: 1 when any finding is an error (a file that cannot be read or parsed is one, with its
file and line), else 0. Warnings and infos never fail the command.

``--declare FILE`` names objects that exist outside the files (a Gateway of another team, the Istio
default ingress gateway, a Secret made by cert-manager): a YAML list of items in the shape of
``meshgw:external`` (see ``docs/checks.md``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from pulumi_meshgw.analysis import Diagnostic, Level, MeshIndex, analyze_manifests
from pulumi_meshgw.analysis._access import CLUSTER_SCOPED_KINDS
from pulumi_meshgw.errors import problem_line
from pulumi_meshgw.spec._base import problems_from_validation_error
from pulumi_meshgw.spec.external import ExternalObject
from pulumi_meshgw.spec.yaml_input import YamlInputError, load_documents, load_one

__all__ = ["OutputFormat", "attribute", "check_command", "load_paths"]

PARSE_CODE = "MGW0002"
"""Code of findings about the input files themselves: unreadable, not YAML, not objects."""

_SUFFIXES = (".yaml", ".yml")


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


@dataclass(frozen=True)
class Located:
    """Where something came from: a file and the first line of its YAML document (1-based)."""

    file: str
    line: int


@dataclass
class Loaded:
    """What :func:`load_paths` read: the objects in order, where each came from, and problems."""

    objects: list[Mapping[str, Any]]
    origins: list[Located]
    findings: list[tuple[Located, Diagnostic]]
    files: int


def _files(paths: Sequence[Path]) -> Iterator[Path | tuple[Path, str]]:
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
            if not found:
                yield (path, "folder has no .yaml or .yml files")
            yield from found
        elif path.is_file():
            yield path
        else:
            yield (path, "no such file or folder")


def _problem(message: str) -> Diagnostic:
    return Diagnostic(PARSE_CODE, Level.ERROR, "", "", "", "", message)


def _with_namespace(obj: Mapping[str, Any], namespace: str) -> Mapping[str, Any]:
    meta, kind = obj.get("metadata"), obj.get("kind")
    # A kind or metadata of the wrong type is left as it is, for the schema to report with its path.
    if not isinstance(kind, str) or kind in CLUSTER_SCOPED_KINDS or not isinstance(meta, Mapping):
        return obj
    if meta.get("namespace") is not None:
        return obj
    return {**obj, "metadata": {**meta, "namespace": namespace}}


def load_paths(paths: Sequence[Path], *, namespace: str = "default") -> Loaded:
    """Read every YAML document under ``paths``.

    Args:
        paths: Files and folders (searched recursively for ``.yaml``/``.yml``, sorted).
        namespace: Given to namespaced objects that have none.

    Returns:
        The objects and their origins, plus a finding per unreadable file, YAML syntax error or
        document that is not an object.
    """
    out = Loaded([], [], [], 0)
    for entry in _files(paths):
        if isinstance(entry, tuple):
            out.findings.append((Located(str(entry[0]), 0), _problem(entry[1])))
            continue
        out.files += 1
        name = str(entry)
        try:
            data = entry.read_bytes()
        except OSError as err:
            out.findings.append((Located(name, 0), _problem(f"cannot read the file: {err.strerror or err}")))
            continue
        try:
            for line, doc in load_documents(data, name):
                where = Located(name, line)
                items = doc.get("items") if isinstance(doc, Mapping) and doc.get("kind") == "List" else [doc]
                if not isinstance(items, list):
                    items = [doc]
                for item in items:
                    if item is None:
                        continue
                    if not isinstance(item, Mapping):
                        kind = type(item).__name__
                        out.findings.append(
                            (where, _problem(f"this YAML document is a {kind}, not a Kubernetes object"))
                        )
                        continue
                    out.objects.append(_with_namespace(item, namespace))
                    out.origins.append(where)
        except YamlInputError as err:
            out.findings.append((Located(name, err.line), _problem(err.problem)))
    return out


def load_declarations(path: Path, index: MeshIndex) -> list[tuple[Located, Diagnostic]]:
    """Declare the external objects listed in ``path`` (a YAML list of ``meshgw:external`` items,
    or a mapping with an ``external`` list) on ``index``; return problems with the file."""
    where = Located(str(path), 1)
    try:
        data, _ = load_one(path.read_bytes(), str(path))
    except OSError as err:
        return [(Located(str(path), 0), _problem(f"cannot read the declarations: {err.strerror or err}"))]
    except YamlInputError as err:
        return [(Located(str(path), err.line), _problem(err.problem))]
    if isinstance(data, Mapping) and "external" in data:
        data = data["external"]
    if not isinstance(data, list):
        return [
            (where, _problem("declarations must be a YAML list of items with a kind (see docs/checks.md)"))
        ]
    out: list[tuple[Located, Diagnostic]] = []
    for i, item in enumerate(data):
        try:
            index.declare(ExternalObject.model_validate(item))
        except ValidationError as err:
            for p in problems_from_validation_error(err, ExternalObject, (i,), item):
                diag = Diagnostic(p.code, Level.ERROR, "", "", "", p.path, p.message)
                out.append((where, diag))
    return out


def attribute(diags: Sequence[Diagnostic], loaded: Loaded) -> list[tuple[Located, Diagnostic]]:
    """Each finding with the file and line of the first object it is about."""
    first: dict[tuple[str, str, str], Located] = {}
    for obj, origin in zip(loaded.objects, loaded.origins, strict=True):
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        ident = tuple(
            str(v) if isinstance(v, str) else ""
            for v in (obj.get("kind"), meta.get("namespace"), meta.get("name"))
        )
        first.setdefault((ident[0], ident[1], ident[2]), origin)
    return [(first.get((d.kind, d.namespace, d.name), Located("", 0)), d) for d in diags]


def check_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="YAML files or folders (searched recursively for .yaml/.yml).",
            metavar="PATH",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format", "-f", help="text: one line per finding; json: JSON Lines.", case_sensitive=False
        ),
    ] = OutputFormat.text,
    declare: Annotated[
        list[Path] | None,
        typer.Option(
            "--declare",
            "-d",
            help="YAML list of external objects (Gateways, Services, Secrets, workloads) the files refer to.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    namespace: Annotated[
        str, typer.Option("--namespace", "-n", help="Namespace of namespaced objects that name none.")
    ] = "default",
    schema: Annotated[
        bool, typer.Option("--schema/--no-schema", help="Validate each object against its schema.")
    ] = True,
) -> None:
    """Analyze Kubernetes and Istio YAML: schemas, Istio's admission rules, cross-object checks.

    Exits 1 when there is an error. Every code is documented in docs/checks.md.
    """
    index = MeshIndex()
    index.hosts_complete = True  # the files are the whole input, as for `istioctl analyze`
    findings: list[tuple[Located, Diagnostic]] = []
    for path in declare or []:
        findings.extend(load_declarations(path, index))
    loaded = load_paths(paths, namespace=namespace)
    findings.extend(loaded.findings)
    diags = [_for_check(d) for d in analyze_manifests(loaded.objects, index=index, schema=schema)]
    findings.extend(attribute(diags, loaded))
    if output_format is OutputFormat.json:
        for where, d in findings:
            typer.echo(
                json.dumps({**d.to_dict(), "file": where.file, "line": where.line}, ensure_ascii=False)
            )
    else:
        for where, d in findings:
            prefix = (
                f"{where.file}:{where.line}: " if where.line else (f"{where.file}: " if where.file else "")
            )
            typer.echo(f"{prefix}{_line(d)}")
        typer.echo(_summary(findings, loaded))
    if any(d.level is Level.ERROR for _, d in findings):
        raise typer.Exit(1)


_DECLARE = re.compile(r"\bdeclare (it|an external|the workload with)\b")


def _for_check(d: Diagnostic) -> Diagnostic:
    """The finding in ``meshgw check`` terms: where the analysis says "declare" an object that
    lives elsewhere, name the option that does it here."""
    # Every way the analysis says it (an external workload, Gateway or Service; a workload with its
    # Service ports): the fix here is always --declare.
    if _DECLARE.search(d.message) and "--declare" not in d.message:
        return replace(d, message=f"{d.message} (meshgw check --declare FILE, see docs/checks.md)")
    return d


def _line(d: Diagnostic) -> str:
    if d.kind or d.name:
        return str(d)
    # About a file or a declaration item, not an object: no "<unnamed object>".
    return problem_line(d.level.value, d.path, d.message, d.code)


def _summary(findings: Sequence[tuple[Located, Diagnostic]], loaded: Loaded) -> str:
    counts = {level: sum(1 for _, d in findings if d.level is level) for level in Level}
    scope = f"{loaded.files} file{'s' if loaded.files != 1 else ''}, {len(loaded.objects)} object"
    scope += "s" if len(loaded.objects) != 1 else ""
    if not findings:
        return f"no findings in {scope}"
    parts = [f"{n} {level.value}{'s' if n != 1 else ''}" for level, n in counts.items() if n]
    return f"{', '.join(parts)} in {scope}"
