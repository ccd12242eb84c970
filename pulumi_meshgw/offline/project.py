"""``Pulumi.yaml`` and ``Pulumi.<stack>.yaml``: the project, and a stack's config as the CLI would
pass it to the program."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

# The project has no protobuf stubs (types-protobuf); struct_pb2 is used for its two classes.
from pulumi_meshgw.errors import show
from pulumi_meshgw.spec.yaml_input import YamlInputError, load_one

from .recording import SECRET, ProjectError

# --------------------------------------------------------------------------------------------
# Pulumi.yaml and stack files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """A Pulumi project, read from its ``Pulumi.yaml``.

    Attributes:
        directory: The directory holding Pulumi.yaml.
        file: The Pulumi.yaml path.
        name: The project name (the default config namespace).
        runtime: The runtime name (``python``).
        main: The program directory or file, relative to ``directory`` (``main``, default ".").
        stack_config_dir: Where the stack files live, relative to ``directory`` (default ".").
        config: The project-level ``config:`` block, as written.
    """

    directory: Path
    file: Path
    name: str
    runtime: str
    main: str = "."
    stack_config_dir: str = "."
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stack_dir(self) -> Path:
        """The directory of the ``Pulumi.<stack>.yaml`` files."""
        return (self.directory / self.stack_config_dir).resolve()

    @property
    def program_file(self) -> Path:
        """The file the Python language host runs: ``<main>/__main__.py``, or ``main`` if a file."""
        main = (self.directory / self.main).resolve()
        return main if main.is_file() else main / "__main__.py"

    def stack_file(self, stack: str) -> Path:
        """The settings file of a stack (``org/project/dev`` uses ``Pulumi.dev.yaml``)."""
        return self.stack_dir / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"

    def available_stacks(self) -> list[str]:
        """The stacks that have a settings file, sorted."""
        if not self.stack_dir.is_dir():
            return []
        names = {_stack_name_from_file(p) for p in self.stack_dir.iterdir() if p.is_file()}
        return sorted(name for name in names if name)


@dataclass(frozen=True)
class StackConfig:
    """A stack's configuration, ready for :func:`run_program`.

    Attributes:
        project: The project it belongs to.
        name: The stack name.
        file: The ``Pulumi.<stack>.yaml`` path.
        config: Full keys to string values; project defaults included.
        secret_keys: Keys whose values were ``secure:``; offline, their value is ``"[secret]"``.
        warnings: Things in the file an offline run cannot honour.
    """

    project: Project
    name: str
    file: Path
    config: Mapping[str, str]
    secret_keys: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = ()


# The top-level keys of a Pulumi.<stack>.yaml (the CLI's workspace.ProjectStack); anything else is
# most likely config written without its 'config:' parent, which the CLI would ignore.
_STACK_FILE_KEYS = frozenset({"config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"})


def _stack_name_from_file(path: Path) -> str | None:
    match = re.fullmatch(r"Pulumi\.(?P<stack>.+)\.ya?ml", path.name)
    return match["stack"] if match else None


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file as Pulumi's YAML 1.2 config; return the data and the root node.

    Raises:
        ProjectError: If it cannot be read or is not plain YAML data (see
            :mod:`pulumi_meshgw.spec.yaml_input`); the message has the file and line.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ProjectError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return load_one(data, str(path), yaml12=True)
    except YamlInputError as error:
        failure = ProjectError(str(error))
        failure.code = error.code  # the file cannot be read as data (MGW0002), as in meshgw check
        raise failure from None


def _raw_scalars(root: yaml.Node | None, section: str) -> dict[str, str]:
    """The source text of the scalar values directly under ``section``.

    The CLI reads a top-level config value into a Go string first, which keeps a scalar exactly
    as written (``1.50``, ``0x1F``, ``yes``); only maps and lists are decoded and re-encoded.
    """
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key_node, value_node in root.value:
        if key_node.value == section and isinstance(value_node, yaml.MappingNode):
            return {
                str(k.value): ("" if v.tag == "tag:yaml.org,2002:null" else str(v.value))
                for k, v in value_node.value
                if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
            }
    return {}


def _find_project_file(directory: Path) -> Path | None:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        if (directory / name).is_file():
            return directory / name
    return None


def load_project(project_dir: Path | str) -> Project:
    """Read ``Pulumi.yaml`` (or ``Pulumi.yml``) in ``project_dir``.

    Raises:
        ProjectError: If there is no such file, it is malformed, or it is not a Python project.
    """
    directory = Path(project_dir).resolve()
    file = _find_project_file(directory)
    if file is None:
        raise ProjectError(f"no Pulumi.yaml in {directory}: pass the project directory (--project-dir)")
    data, _ = _read_yaml(file)
    if not isinstance(data, dict):
        raise ProjectError(f"{file}: expected a mapping with at least 'name' and 'runtime'")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{file}: 'name' is missing")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProjectError(f"{file}: runtime is {show(runtime_name)}; only Python programs can run offline")
    main, stack_config_dir = data.get("main", "."), data.get("stackConfigDir", ".")
    for key, value in (("main", main), ("stackConfigDir", stack_config_dir)):
        if not isinstance(value, str):
            raise ProjectError(f"{file}: '{key}' must be a path, got {show(value)}")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ProjectError(f"{file}: 'config' must be a mapping")
    return Project(directory, file, name, runtime_name, main, stack_config_dir, config)


def find_project(start: Path | str) -> Project:
    """Load the nearest project at or above ``start`` (a directory or a file in it).

    Raises:
        ProjectError: If no Pulumi.yaml is found up to the filesystem root.
    """
    here = Path(start).resolve()
    for directory in [here, *here.parents] if here.is_dir() else list(here.parents):
        if _find_project_file(directory) is not None:
            return load_project(directory)
    raise ProjectError(f"no Pulumi.yaml in {here} or any directory above it")


def _config_string(value: Any) -> str:
    # The CLI keeps a top-level scalar as written and passes objects and lists as compact JSON
    # with sorted keys (Go's encoding/json), which the SDK's require_object decodes.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(_go_numbers(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _go_numbers(value: Any) -> Any:
    # Go's encoding/json writes the float64 2.0 as 2, which the program then decodes as an int.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value


def _mask_secure(value: Any) -> tuple[Any, bool]:
    """Replace every ``{secure: <ciphertext>}`` inside a value by the placeholder."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("secure"), str):
            return SECRET, True
        items = {str(k): _mask_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(value, list):
        masked = [_mask_secure(v) for v in value]
        return [v for v, _ in masked], any(s for _, s in masked)
    return value, False


def normalize_config(project: str, config: Mapping[str, Any]) -> tuple[dict[str, str], frozenset[str]]:
    """Turn a stack file's ``config:`` mapping into what the CLI hands a program.

    Keys without a namespace get ``<project>:``. Non-string values are JSON-encoded. Encrypted
    ``{secure: ...}`` values, which cannot be decrypted offline, become ``"[secret]"`` and their
    keys are returned as secret.

    Args:
        project: The project name.
        config: Keys to values as read from YAML (or given by a test).

    Returns:
        The config map and the secret keys.
    """
    out: dict[str, str] = {}
    secret: set[str] = set()
    for raw_key, raw_value in config.items():
        key = str(raw_key)
        if ":" not in key:
            key = f"{project}:{key}"
        value, is_secret = _mask_secure(raw_value)
        out[key] = _config_string(value)
        if is_secret:
            secret.add(key)
    return out, frozenset(secret)


def _project_defaults(project: Project) -> dict[str, Any]:
    """Values the project file gives every stack: schema defaults and plain values."""
    defaults: dict[str, Any] = {}
    for key, spec in project.config.items():
        full = str(key) if ":" in str(key) else f"{project.name}:{key}"
        if isinstance(spec, dict) and ("value" in spec or "default" in spec):
            defaults[full] = spec["value"] if "value" in spec else spec["default"]
        elif not isinstance(spec, dict):
            defaults[full] = spec
    return defaults


def load_stack_config(
    project: Project | None = None,
    stack_name: str | None = None,
    stack_file: Path | str | None = None,
) -> StackConfig:
    """Read a stack's settings file and return its config as the CLI would pass it.

    Give either ``stack_name`` (the file is ``Pulumi.<stack>.yaml`` in the project's
    ``stackConfigDir``) or ``stack_file`` (the stack name comes from the file name; without a
    ``project``, the nearest Pulumi.yaml above the file is used).

    Project-level ``config:`` values and schema defaults apply unless the stack sets the key.

    Raises:
        ProjectError: If the file is missing (the message lists the stacks that exist), is
            malformed (with its line), or a declared project key has no value.
    """
    if (stack_name is None) == (stack_file is None):
        raise ValueError("give exactly one of stack_name and stack_file")
    if stack_file is not None:
        path = Path(stack_file).resolve()
        name = _stack_name_from_file(path)
        if name is None:
            raise ProjectError(f"{path}: a stack file must be named Pulumi.<stack>.yaml")
        if not path.is_file():
            raise ProjectError(f"stack file {path} does not exist")
        project = project or find_project(path.parent)
    else:
        if project is None:
            raise ValueError("stack_name needs a project")
        name = cast(str, stack_name)
        path = project.stack_file(name)
        if not path.is_file():
            stacks = project.available_stacks()
            listed = ", ".join(stacks) if stacks else "none"
            raise ProjectError(
                f"stack {show(name)} has no settings file {path.name} in {project.stack_dir}; "
                f"stacks with a settings file there: {listed}"
            )
    data, root = _read_yaml(path)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a mapping with a 'config:' section")
    misplaced = sorted(str(k) for k in data if str(k) not in _STACK_FILE_KEYS)
    if misplaced:
        raise ProjectError(
            f"{path}: {', '.join(show(k) for k in misplaced)} "
            f"{'is not a stack file setting' if len(misplaced) == 1 else 'are not stack file settings'}"
            f" (those are {', '.join(sorted(_STACK_FILE_KEYS))}); config keys go indented under 'config:'"
        )
    stack_values = data.get("config") or {}
    if not isinstance(stack_values, dict):
        raise ProjectError(f"{path}: 'config' must be a mapping of keys to values")
    stack_values = {**stack_values, **_raw_scalars(root, "config")}
    merged = _project_defaults(project)
    merged.update({(k if ":" in str(k) else f"{project.name}:{k}"): v for k, v in stack_values.items()})
    missing = sorted(
        f"{project.name}:{key}"
        for key, spec in project.config.items()
        if ":" not in str(key)
        and isinstance(spec, dict)
        and "type" in spec
        and f"{project.name}:{key}" not in merged
    )
    if missing:
        raise ProjectError(f"stack {show(name)} is missing configuration values: {', '.join(missing)}")
    config, secret_keys = normalize_config(project.name, merged)
    warnings = []
    if data.get("environment"):
        warnings.append(
            f"{path.name}: 'environment' (Pulumi ESC) cannot be resolved offline; its values are not "
            "set; give them as plain config to render them [MGW0004]"
        )
    if secret_keys:
        warnings.append(
            f"{path.name}: secure config values cannot be decrypted offline and read as "
            f"{show(SECRET)}: {', '.join(sorted(secret_keys))} [MGW0004]"
        )
    return StackConfig(project, name, path, config, secret_keys, tuple(warnings))
