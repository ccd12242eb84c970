"""Running a program in-process under the mock runtime: one thread, a fresh event loop and context,
one RPC at a time; and running a whole project's stack."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import inspect
import logging
import os
import runpy
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import pulumi

# The project has no protobuf stubs (types-protobuf); struct_pb2 is used for its two classes.
from pulumi.runtime import settings as pulumi_settings

from .monitor import EchoMocks, RecordingMonitor
from .project import find_project, load_project, load_stack_config
from .recording import LogMessage, ProjectError, Recording, _log

# --------------------------------------------------------------------------------------------
# Running a program
# --------------------------------------------------------------------------------------------

_P = ParamSpec("_P")
_T = TypeVar("_T")


class _OneAtATimeExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each submitted call on its one worker thread and returns only when it is done.

    The SDK issues every RPC with ``run_in_executor(None, ...)``. With the default thread pool the
    monitor receives them in a different order on each run; with this executor the RPCs happen
    in the order the event loop issues them, which is reproducible. The calls still run on another
    thread because the mock monitor drives coroutines with ``_sync_await``, which must not pump the
    program's own event loop re-entrantly.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="meshgw-offline-rpc")

    def submit(
        self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> concurrent.futures.Future[_T]:
        """Run ``fn`` on the worker thread and wait for it; return its finished future."""
        future = super().submit(fn, *args, **kwargs)
        concurrent.futures.wait([future])
        return future


def _close_thread_event_loop() -> None:
    # The monitor creates an event loop on the RPC thread (for _sync_await); close it with the run.
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        return
    if not loop.is_running():
        loop.close()
    asyncio.set_event_loop(None)


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[LogMessage] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(LogMessage(record.levelname.lower(), record.getMessage()))


def _quiet_loop_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Outputs that depend on a failed one fail too and are never awaited. The first failure is
    # re-raised to the caller already, so "exception was never retrieved" goes to debug only.
    _log.debug("event loop: %s", context.get("message"), exc_info=context.get("exception"))


# set_mocks only creates (and immediately finishes) a root Stack when there is none.
_NOT_A_STACK: Any = object()


@contextlib.contextmanager
def _without_env(*names: str) -> Iterator[None]:
    """Hide environment variables for the duration of a run.

    The SDK falls back to ``PULUMI_CONFIG`` for keys the explicit config lacks. The real CLI always
    overwrites that variable with the stack's config, so a value left in the user's shell must not
    leak into an offline run either.
    """
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _configure_runtime(
    monitor: RecordingMonitor,
    logger: logging.Logger,
    *,
    project: str,
    stack: str,
    preview: bool,
    config: Mapping[str, str],
    secret_keys: Sequence[str],
    root_directory: str | None,
) -> None:
    token = pulumi_settings.ROOT.set(_NOT_A_STACK)
    try:
        pulumi.runtime.set_mocks(
            monitor.mocks,
            project=project,
            stack=stack,
            preview=preview,
            logger=logger,
            monitor=monitor,
            organization="organization",  # what the CLI passes for self-managed backends
        )
    finally:
        pulumi_settings.ROOT.reset(token)
    # set_mocks configures a partial Settings bag; reset the rest so nothing a previous run (or the
    # caller) left in the shared defaults is reused, above all the set of pending Output tasks.
    settings = pulumi_settings.SETTINGS
    settings.outputs = set()
    settings.lock = threading.Lock()
    settings.root_directory = root_directory
    settings.parallel = None
    settings.legacy_apply_enabled = os.getenv("PULUMI_ENABLE_LEGACY_APPLY", "false") == "true"
    settings.package_refs = {}
    settings.base_providers_by_ref = {}
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))


def _run_on_this_thread(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    preview: bool,
    config: Mapping[str, str],
    secret_keys: Sequence[str],
    root_directory: str | None,
) -> Recording:
    monitor = RecordingMonitor(EchoMocks(preview=preview))
    collector = _LogCollector()
    # A logger outside the logging tree: the program's messages go to the Recording, not to
    # whatever handlers the caller configured.
    logger = logging.Logger("pulumi_meshgw.offline.program", logging.INFO)
    logger.addHandler(collector)

    def entry() -> Awaitable[None] | None:
        result = program()
        return cast("Awaitable[None]", result) if inspect.isawaitable(result) else None

    loop = asyncio.new_event_loop()
    executor = _OneAtATimeExecutor()
    loop.set_default_executor(executor)
    loop.set_exception_handler(_quiet_loop_errors)
    asyncio.set_event_loop(loop)
    try:
        _configure_runtime(
            monitor,
            logger,
            project=project,
            stack=stack,
            preview=preview,
            config=config,
            secret_keys=secret_keys,
            root_directory=root_directory,
        )
        # run_in_stack is what the language host runs: it creates the Stack, runs the program,
        # registers the exports, then waits for every RPC and Output. It re-raises the program's
        # own exception object.
        loop.run_until_complete(pulumi.runtime.run_in_stack(entry))
        monitor.check()
        return monitor.recording(project=project, stack=stack, preview=preview, logs=collector.messages)
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        executor.submit(_close_thread_event_loop)
        executor.shutdown(wait=True)
        asyncio.set_event_loop(None)
        loop.close()
        monitor.scrub()


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Collect young objects less often while a program runs; restore the setting after.

    A run allocates a few hundred thousand tasks, futures and Outputs, most of them alive until
    the end. With CPython's default threshold (700) the collector rescans that growing heap so
    often that collection, not the program, dominates: a 4,000-resource program took 10.9 s
    instead of 7.1 s with 50,000 (pulumi 3.272, Python 3.11). Every offline run (``meshgw
    render``, tests, benchmarks) gets the same setting, so their timings compare like with like.
    """
    saved = gc.get_threshold()
    gc.set_threshold(max(saved[0], 50_000), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def run_program(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
    preview: bool = False,
    root_directory: str | os.PathLike[str] | None = None,
) -> Recording:
    """Run a Pulumi program under the mock runtime and return what it registered.

    The program runs on a new thread with a fresh event loop and ``contextvars`` context, so runs
    are independent and the caller may itself be inside an event loop. The call returns once every
    registration, Output and RPC has finished.

    Args:
        program: Called once, with no arguments, inside the Pulumi runtime; it creates resources.
            It may return an awaitable, which is awaited.
        project: The project name (``pulumi.get_project()``, the default config namespace).
        stack: The stack name (``pulumi.get_stack()``).
        config: Full config keys (``meshgw:gateways``) to string values; structured values
            JSON-encoded, as the CLI passes them in ``PULUMI_CONFIG``.
        secret_keys: The config keys that are secret.
        preview: Run as ``pulumi preview``: outputs the mocks do not echo stay unknown, and
            ``apply`` callbacks on them never run.
        root_directory: What ``pulumi.get_root_directory()`` returns (the Pulumi.yaml directory).

    Returns:
        The recording, with secrets replaced by ``"[secret]"``.

    Raises:
        DuplicateUrnError: If two resources share a URN.
        BaseException: Whatever the program raised, directly or in an ``apply``: the same object,
            not wrapped.
    """
    config = dict(config or {})
    bad = sorted(key for key, value in config.items() if not isinstance(value, str))
    if bad:
        raise TypeError(f"config values must be strings (JSON-encode structured values): {', '.join(bad)}")
    outcome: list[Recording | BaseException] = []

    def work() -> None:
        try:
            outcome.append(
                _run_on_this_thread(
                    program,
                    project=project,
                    stack=stack,
                    preview=preview,
                    config=config,
                    secret_keys=sorted(set(secret_keys)),
                    root_directory=os.fspath(root_directory) if root_directory is not None else None,
                )
            )
        except BaseException as error:  # handed to the caller's thread unchanged
            outcome.append(error)

    thread = threading.Thread(target=work, name="meshgw-offline", daemon=True)
    with _without_env("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS"), _fewer_gc_passes():
        thread.start()
        thread.join()
    result = outcome[0]
    if isinstance(result, BaseException):
        try:
            raise result
        finally:
            del result, outcome  # break the frame <-> exception reference cycle
    return result


@contextlib.contextmanager
def _program_directory(directory: Path) -> Iterator[None]:
    """Run with ``directory`` as cwd and first on sys.path, as the language host does.

    Afterwards restore both and forget modules imported from ``directory``, so the next program
    (perhaps another project with its own ``helpers.py``) does not get this one's.
    """
    saved_cwd, saved_path = os.getcwd(), list(sys.path)
    before = set(sys.modules)
    sys.path.insert(0, str(directory))
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules.get(name), "__file__", None)
            if module_file and Path(module_file).resolve().is_relative_to(directory):
                del sys.modules[name]


def run_stack(
    project_dir: Path | str | None = None,
    stack_name: str | None = None,
    stack_file: Path | str | None = None,
    *,
    preview: bool = False,
) -> Recording:
    """Run a project's program for one stack, offline.

    Loads Pulumi.yaml and the stack file, then runs ``<main>/__main__.py`` with ``runpy`` as
    ``__main__``, with the main directory as cwd and first on sys.path for the whole run.

    Args:
        project_dir: The directory of Pulumi.yaml. Default: found above ``stack_file``, or the
            current directory.
        stack_name: The stack, when ``stack_file`` is not given.
        stack_file: A ``Pulumi.<stack>.yaml`` file, instead of ``stack_name``.
        preview: Run as a preview (see :func:`run_program`).

    Returns:
        The recording; the stack file's warnings come first in its ``logs``.

    Raises:
        ProjectError: If the project or stack cannot be loaded.
        BaseException: Whatever the program raised, unchanged.
    """
    if project_dir is not None:
        project = load_project(project_dir)
    elif stack_file is not None:
        project = find_project(Path(stack_file).resolve().parent)
    else:
        project = load_project(Path.cwd())
    stack = load_stack_config(project, stack_name, stack_file)
    program_file = project.program_file
    if not program_file.is_file():
        raise ProjectError(f"{project.file}: the program {program_file} does not exist (see 'main')")

    def program() -> None:
        runpy.run_path(str(program_file), run_name="__main__")

    with _program_directory(program_file.parent):
        recording = run_program(
            program,
            project=project.name,
            stack=stack.name,
            config=stack.config,
            secret_keys=stack.secret_keys,
            preview=preview,
            root_directory=project.directory,
        )
    warnings = tuple(LogMessage("warning", text) for text in stack.warnings)
    shown = {k: ("[secret]" if k in stack.secret_keys else v) for k, v in stack.config.items()}
    return replace(recording, logs=warnings + recording.logs, config=shown)
