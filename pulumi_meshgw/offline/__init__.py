"""Run a Pulumi program in-process, with no CLI, engine or cluster, and render what it registers.

``meshgw render`` evaluates a stack's program under the Pulumi SDK's mock runtime: a mock "engine"
that echoes every resource's inputs back as its outputs. A recording monitor (the supported hook,
``set_mocks(..., monitor=...)``) sees every registration with its parent, dependencies and secrets.
The result is a :class:`Recording`, from which this module derives Kubernetes manifests in apply
order and a resource graph.

Fidelity notes, each checked against pulumi 3.272 (see ``shared/notes/pulumi.md`` for the rest):

* The program runs on its own thread, with a fresh ``contextvars`` context and a fresh event loop,
  so nothing from one run (runtime settings, the root Stack, config) is visible to the next and the
  caller's own event loop is never touched.
* The SDK sends every RPC through the event loop's default executor, a thread pool, so resources
  reach the monitor in an order that varies from run to run. We install an executor that runs one
  RPC at a time and waits for it: the monitor then sees registrations in a reproducible order.
* ``set_mocks`` creates the root Stack and registers its outputs at once, so ``pulumi.export``
  calls made later never reach the monitor. We let ``pulumi.runtime.run_in_stack`` (the entry
  point of the real language host) create and finish the Stack instead.
* The mock does not apply ``additionalSecretOutputs``; the engine does. We do it in the monitor.
* Secrets are replaced by ``"[secret]"`` as the wire format is read; plaintext never enters a
  :class:`Recording`, and the monitor's own copy is dropped when the run ends.

The package, one module per concern:

* :mod:`.runner`: running a program or a project's stack (:func:`run_program`, :func:`run_stack`);
* :mod:`.monitor`: the wire format, the echoing mocks and the :class:`RecordingMonitor`;
* :mod:`.recording`: what a run recorded (:class:`Recording`) and the engine's errors;
* :mod:`.manifests`: manifests in apply order, and writing a render (:func:`write_render`);
* :mod:`.graph`: the resource graph (``graph.json``);
* :mod:`.project`: ``Pulumi.yaml`` and stack files.

Everything public is importable from ``pulumi_meshgw.offline`` as before.
"""

from __future__ import annotations

from .graph import graph
from .manifests import RenderResult, dump_manifest, write_render
from .monitor import RecordingMonitor
from .project import (
    Project,
    StackConfig,
    find_project,
    load_project,
    load_stack_config,
    normalize_config,
)
from .recording import (
    SECRET,
    UNKNOWN,
    DuplicateUrnError,
    LogMessage,
    Manifest,
    OfflineError,
    ProjectError,
    Recording,
    RegisteredResource,
)
from .runner import run_program, run_stack

__all__ = [
    "SECRET",
    "UNKNOWN",
    "DuplicateUrnError",
    "LogMessage",
    "Manifest",
    "OfflineError",
    "Project",
    "ProjectError",
    "Recording",
    "RecordingMonitor",
    "RegisteredResource",
    "RenderResult",
    "StackConfig",
    "dump_manifest",
    "find_project",
    "graph",
    "load_project",
    "load_stack_config",
    "normalize_config",
    "run_program",
    "run_stack",
    "write_render",
]
