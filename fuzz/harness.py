"""A crash fuzzer over the three ways in: a stack file (``meshgw render``), YAML for ``meshgw check``,
and the Python API.

Inputs are the repository's own good inputs (the stacks, Istio's examples in tests/corpus), with one
or a few mutations drawn by hypothesis: a value replaced by a value of another shape or a nasty
string, a key removed or renamed, or the text itself cut or given a stray byte, tag or anchor. An
input *escapes* when the entry point raises anything but the project's own error, prints a
traceback, or uses more than :data:`HANG_SECONDS` of CPU time (or two minutes of wall time). A
clean refusal (an error with a message, exit 1) is the expected result for most inputs and counts
as a pass.

``tests/test_fuzz.py`` runs a short pass in the unit suite; ``fuzz/run.py`` runs 10,000 cases and
also compares outputs across processes and hash seeds.
"""

from __future__ import annotations

import copy
import io
import signal
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
HANG_SECONDS = 10

NASTY_STRINGS = [
    "",
    " ",
    "*",
    "public\n",
    "shop.example.com\n",
    "a[²]",
    "a[0]",
    "²",
    "${x}",
    "{{x}}",
    "-",
    "0",
    "true",
    "null",
    "x" * 300,
    "ünï.example.com",
    "a/b/c",
    "*.*.example.com",
    "\t",
    "'",
    '"',
    ":",
]
NASTY_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    2**31,
    2**64,
    float("inf"),
    {},
    [],
    {1: "a"},
    {"a": {"b": {"c": []}}},
    [[]],
    [None],
    ["a", 1, None],
    *NASTY_STRINGS,
]
TEXT_EDITS = [
    "\x00",
    "\x97",
    "!!set {a, b}",
    "!!binary aGk=",
    "!!python/name:os.system",
    "&a [*a]",
    "{",
    "]",
    "\t",
]


def _seed_stacks() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))]


def _seed_manifests() -> list[list[Any]]:
    return [
        [d for d in yaml.safe_load_all(p.read_text()) if d is not None]
        for p in sorted((ROOT / "tests" / "corpus" / "good").glob("*.yaml"))
    ]


SEED_STACKS = _seed_stacks()
SEED_MANIFESTS = _seed_manifests()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return doc


@st.composite
def mutated(draw: st.DrawFn, seed: Any) -> Any:
    """``seed`` (a deep copy) with one to three structural mutations."""
    doc = yaml.safe_load(yaml.safe_dump(seed))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "rename"]))
        if action == "replace" or not path:
            doc = _set(doc, path, copy.deepcopy(draw(st.sampled_from(NASTY_VALUES))))
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(NASTY_STRINGS)) + str(path[-1])] = parent.pop(path[-1])
    return doc


@st.composite
def text_of(draw: st.DrawFn, doc: Any) -> bytes:
    """YAML bytes for ``doc``, sometimes with a raw edit of the text (a stray byte, tag or anchor)."""
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    if draw(st.booleans()):
        return text.encode()
    at = draw(st.integers(0, len(text)))
    edit = draw(st.sampled_from(TEXT_EDITS))
    return text[:at].encode() + edit.encode("latin-1" if edit == "\x97" else "utf-8") + text[at:].encode()


stack_files = st.sampled_from(SEED_STACKS).flatmap(mutated).flatmap(text_of)
check_files = (
    st.sampled_from(SEED_MANIFESTS)
    .flatmap(lambda docs: mutated(docs))
    .flatmap(lambda docs: text_of(docs if isinstance(docs, list) else [docs]))
)


@st.composite
def api_calls(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments for an IngressGateway plus a VirtualService bound to it, one mutated."""
    gateway: dict[str, Any] = {
        "namespace": "istio-ingress",
        "exposure": "public",
        "servers": [
            {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
        ],
    }
    route: dict[str, Any] = {"namespace": "shop", "hosts": ["shop.example.com"]}
    target = draw(st.sampled_from(["gateway", "route"]))
    args = gateway if target == "gateway" else route
    names = [*args, "cache", "rate_limit", "firewall", "gateways", "http", "export_to", "hots", "name"]
    if draw(st.booleans()):
        changed = draw(mutated(args))
        # Keyword arguments stay a mapping of names: Python itself refuses anything else.
        args = changed if isinstance(changed, dict) and all(isinstance(k, str) for k in changed) else args
    if draw(st.booleans()):
        args[draw(st.sampled_from(names))] = copy.deepcopy(draw(st.sampled_from(NASTY_VALUES)))
    return {
        "target": target,
        "gateway": gateway if target == "route" else args,
        "route": route if target == "gateway" else args,
    }


# -- running one input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one input did: ``escape`` is None for a pass; ``output`` is what a user would see."""

    escape: str | None
    output: str


class Hang(Exception):
    pass


WALL_SECONDS = 120
"""A case that waits (on nothing the CPU does) this long is a hang too."""


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Raise Hang after ``seconds`` of this process's CPU time (user and system), or after
    WALL_SECONDS of wall time. CPU time is what the input costs: on a shared machine a niced run
    may get a tenth of a core, and a one-second render then passes 10 s of wall time."""

    def cpu(signum: int, frame: Any) -> None:
        raise Hang(f"used more than {seconds} s of CPU time")

    def wall(signum: int, frame: Any) -> None:
        raise Hang(f"ran longer than {WALL_SECONDS} s")

    old_cpu = signal.signal(signal.SIGPROF, cpu)
    old_wall = signal.signal(signal.SIGALRM, wall)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.alarm(WALL_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.alarm(0)
        signal.signal(signal.SIGPROF, old_cpu)
        signal.signal(signal.SIGALRM, old_wall)


def _outcome(call: Callable[[], str]) -> Outcome:
    from pulumi_meshgw.errors import MeshgwError

    try:
        with _deadline(HANG_SECONDS):
            out = call()
    except Hang as err:
        return Outcome(f"hang: {err}", "")
    except MeshgwError as err:
        return Outcome(None, str(err))
    except Exception as err:  # the fuzzer's job: anything else is an escape
        if type(err).__name__ in ("RunError", "InputPropertyError"):
            return Outcome(None, str(err))
        return Outcome(f"{type(err).__name__}: {err}"[:300] + "\n" + traceback.format_exc()[-1500:], "")
    if "Traceback (most recent call last)" in out:
        return Outcome("traceback in the output", out)
    return Outcome(None, out)


def _cli(args: list[str]) -> str:
    from pulumi_meshgw.cli import app

    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            app(args, prog_name="meshgw", standalone_mode=False)
        except SystemExit as exit:
            stdout.write(f"\nexit {exit.code}\n")
    return stdout.getvalue() + stderr.getvalue()


def run_stack_file(data: bytes) -> Outcome:
    """``meshgw render`` of ``data`` as the stack file of a config-driven project."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "Pulumi.yaml").write_text("name: meshgw\nruntime: python\n")
        (project / "__main__.py").write_text(
            "from pulumi_meshgw.components.stack import mesh_from_config\nmesh_from_config('mesh')\n"
        )
        (project / "Pulumi.fuzz.yaml").write_bytes(data)
        out = project / "out"
        return _outcome(
            lambda: _cli(["render", "-s", "fuzz", "-o", str(out), "-C", str(project)]).replace(tmp, "TMP")
        )


def run_check_file(data: bytes) -> Outcome:
    """``meshgw check --format json`` of ``data``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.yaml"
        path.write_bytes(data)
        return _outcome(lambda: _cli(["check", "--format", "json", str(path)]).replace(tmp, "TMP"))


def run_diff_file(data: bytes) -> Outcome:
    """``meshgw diff --format json`` from nothing to ``data``: every object is described as new."""
    with tempfile.TemporaryDirectory() as tmp:
        base, head = Path(tmp) / "base.yaml", Path(tmp) / "head.yaml"
        base.write_bytes(b"")
        head.write_bytes(data)
        return _outcome(lambda: _cli(["diff", "--format", "json", str(base), str(head)]).replace(tmp, "TMP"))


def run_api(call: dict[str, Any]) -> Outcome:
    """The Python API: an IngressGateway and a VirtualService bound to it, under the mock runtime."""
    from pulumi_meshgw import IngressGateway, VirtualService
    from pulumi_meshgw.testing import run

    def program() -> None:
        gw = IngressGateway("public", **call["gateway"])
        VirtualService("shop", **{"gateways": [gw.gateway], **call["route"]})

    def go() -> str:
        rec = run(program)
        return "\n".join(f"{m.filename}" for m in rec.manifests())

    return _outcome(go)
