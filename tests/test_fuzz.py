"""A short pass of the crash fuzzer (fuzz/harness.py) over the three ways in, and ``meshgw diff``: no
input may escape as a traceback, a hang or anything but the project's own error. ``fuzz/run.py``
runs 10,000 cases."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from fuzz.harness import (
    api_calls,
    check_files,
    run_api,
    run_check_file,
    run_diff_file,
    run_stack_file,
    stack_files,
)

SHORT = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@SHORT
@given(stack_files)
def test_stack_files_never_escape(data: bytes) -> None:
    outcome = run_stack_file(data)
    assert outcome.escape is None, outcome.escape


@SHORT
@given(check_files)
def test_check_input_never_escapes(data: bytes) -> None:
    outcome = run_check_file(data)
    assert outcome.escape is None, outcome.escape


@SHORT
@given(api_calls())
def test_python_api_never_escapes(call: dict[str, Any]) -> None:
    outcome = run_api(call)
    assert outcome.escape is None, outcome.escape


@SHORT
@given(check_files)
def test_diff_input_never_escapes(data: bytes) -> None:
    outcome = run_diff_file(data)
    assert outcome.escape is None, outcome.escape
