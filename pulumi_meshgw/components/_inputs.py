"""Pulumi Inputs at the component edge: values that are Outputs of other resources.

The pure layers check plain values. A component whose arguments hold Outputs resolves them here:

- a value known when the program runs (a plain value) is checked at once, exactly as without
  Outputs;
- a value that is an Output is checked when it resolves, with the same message, and the resource
  that needs it fails its update when the check fails. At preview an Output that is not known yet
  leaves its checks waiting; the component logs which checks wait for which argument;
- resources are never created inside ``apply``: only the inputs of resources registered now are
  Outputs (docs/inputs.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import pulumi

from ..errors import ConfigError, Problem, format_path
from ._runtime import ComponentConfigError, current_state

__all__ = [
    "PLAIN_HERE",
    "Leaf",
    "check_known",
    "fill",
    "lift_pem",
    "log_waiting",
    "output_leaves",
    "refuse_outputs",
    "register_input",
    "registered_input",
    "resolved",
    "stand_in",
    "touches",
]

Path = tuple[str | int, ...]
Leaf = tuple[Path, pulumi.Output[Any]]

PLAIN_HERE = (
    "Outputs are taken by certificate.pem values here, and by every field of VirtualService and "
    "DestinationRule (docs/inputs.md)"
)

_INPUT_PREFIX = "meshgw.input/"
"""How a value handed over in ``certificate.pem`` is named in the ``config`` certificate source it
travels as: not a config key (config keys never hold a ``/`` before their ``:``)."""


def output_leaves(value: Any, path: Path = ()) -> list[Leaf]:
    """The Outputs inside ``value`` (mappings and lists are walked), each with its path."""
    if isinstance(value, pulumi.Output):
        return [(path, value)]
    if isinstance(value, Mapping):
        return [leaf for k, v in value.items() for leaf in output_leaves(v, (*path, str(k)))]
    if isinstance(value, (list, tuple)):
        return [leaf for i, v in enumerate(value) for leaf in output_leaves(v, (*path, i))]
    return []


def fill(value: Any, values: Mapping[Path, Any], path: Path = ()) -> Any:
    """``value`` with the leaf at each path of ``values`` replaced (mappings and lists copied)."""
    if path in values:
        return values[path]
    if isinstance(value, Mapping):
        return {k: fill(v, values, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [fill(v, values, (*path, i)) for i, v in enumerate(value)]
    return value


def touches(problem_path: str, leaves: Sequence[Leaf], prefix: Path = ()) -> bool:
    """Whether a problem is about a value that is still an Output (or an object holding one)."""
    for path, _ in leaves:
        full = format_path((*prefix, *path))
        if full == problem_path or full.startswith(problem_path + ".") or full.startswith(problem_path + "["):
            return True
        if problem_path.startswith(full):
            return True
    return False


def log_waiting(context: str, leaves: Sequence[Leaf], checks: str, resource: pulumi.Resource | None) -> None:
    """Say at preview which checks wait for which Outputs (in an update they run before any
    resource made from the values is created, so there is nothing to say)."""
    if not pulumi.runtime.is_dry_run():
        return
    paths = ", ".join(format_path(p) for p, _ in leaves)
    pulumi.log.info(
        f"{context}: {checks} wait for {paths}, which come from other resources; they run when the "
        "values are known, and a bad value fails the update with the same message",
        resource,
    )


def resolved(leaves: Sequence[Leaf], build: Callable[[dict[Path, Any]], Any]) -> pulumi.Output[Any]:
    """``build({path: value})`` once every Output is known: the values, not the Outputs.

    ``build`` runs the same checks as the plain path and raises :class:`ComponentConfigError`,
    which fails the registration of every resource whose inputs come from the result. The result
    is secret when any value is.
    """
    paths = [p for p, _ in leaves]

    def run(values: list[Any]) -> Any:
        return build(dict(zip(paths, values, strict=True)))

    return pulumi.Output.all(*[o for _, o in leaves]).apply(run)


def refuse_outputs(raw: Mapping[str, Any], context: str, accepted: str) -> None:
    """Refuse Outputs where a component needs the value to decide what it registers.

    Raises:
        ComponentConfigError: one MGW0100 problem per Output, naming its path.
    """
    leaves = output_leaves(raw)
    if leaves:
        raise ComponentConfigError(
            [
                Problem(
                    format_path(p),
                    "is an Output; this value decides which resources the component registers and "
                    f"what they are named, so it must be known when the program runs. {accepted}",
                    "MGW0100",
                )
                for p, _ in leaves
            ],
            context=context,
        )


def register_input(value: Any, label: str) -> str:
    """Hand a value over to the credential code under a name (``certificate.pem`` travels as the
    ``config`` source, whose values are Outputs too); returns the name."""
    state = current_state()
    name = f"{_INPUT_PREFIX}{label}"
    state.inputs[name] = value
    return name


def registered_input(name: str) -> Any | None:
    """The value handed over as ``name``, or None when ``name`` is a config key."""
    if not name.startswith(_INPUT_PREFIX):
        return None
    return current_state().inputs.get(name)


_NUMBERS = {"number", "port", "weight", "targetPort", "httpPort"}


def stand_in(path: Path) -> Any:
    """A plain value that passes the shape checks in place of an Output, so that the known values
    around it are checked now (a number for ports and weights, a DNS label otherwise)."""
    return 1 if path and path[-1] in _NUMBERS else "pending"


def check_known(
    model: Callable[[dict[str, Any]], Any], raw: Mapping[str, Any], leaves: Sequence[Leaf], context: str
) -> Any:
    """Check the plain values of ``raw`` now, the Outputs standing in; return what ``model``
    made, or None when it found problems only about the Outputs.

    Raises:
        ComponentConfigError: the problems about plain values, as without Outputs.
    """
    try:
        return model(fill(raw, {p: stand_in(p) for p, _ in leaves}))
    except ConfigError as err:
        problems = [p for p in err.problems if not touches(p.path, leaves)]
        if problems:
            raise ComponentConfigError(problems, context=context) from None
        return None


def lift_pem(
    servers: Sequence[Any], context: str, prefix: Path = ("servers",)
) -> tuple[list[Any], list[Problem]]:
    """Servers with each ``tls.certificate.pem`` handed over to the credential code.

    ``pem`` values (``cert``, ``key``, ``ca``: PEM text or Outputs) travel as the ``config``
    certificate source, whose values are deploy-time values too. Text is checked now, as a
    certificate file is; an Output when it resolves, and the Secret made from it fails its update
    on a bad value with the same message.

    Returns:
        The servers, and the warnings (MGW0113) of the values checked now.

    Raises:
        ComponentConfigError: a value known now is not a certificate or key, the two do not
            match, or the certificate has expired (MGW0111, IST0161).
    """
    out: list[Any] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for i, server in enumerate(servers):
        pem = _pem_of(server)
        if pem is None:
            out.append(server)
            continue
        path = format_path((*prefix, i, "tls", "certificate", "pem"))
        hosts = [h.split("/", 1)[-1] for h in server.get("hosts") or () if isinstance(h, str)]
        cert, key, ca = pem.get("cert"), pem.get("key"), pem.get("ca")
        if isinstance(cert, str) and isinstance(key, str):
            problems.extend(_pem_problems(cert, key, hosts, path, warnings))
        elif cert is not None and key is not None:
            both = pulumi.Output.all(cert, key)
            check = partial(_checked_pair, hosts=hosts, path=path, context=context)
            cert = both.apply(partial(_item, check, 0))
            key = pulumi.Output.secret(both.apply(partial(_item, check, 1)))
        config = {
            field: register_input(value, f"{context}/{path}.{field}")
            for field, value in (("cert", cert), ("key", key), ("ca", ca))
            if value is not None
        }
        tls = {**server["tls"], "certificate": {"config": config}}
        out.append({**server, "tls": tls})
    if problems:
        raise ComponentConfigError(problems, context=context)
    return out, warnings


def _item(check: Callable[[Sequence[Any]], Sequence[Any]], i: int, pair: Sequence[Any]) -> Any:
    return check(pair)[i]


def _pem_of(server: Any) -> Mapping[str, Any] | None:
    if not isinstance(server, Mapping):
        return None
    tls = server.get("tls")
    cert = tls.get("certificate") if isinstance(tls, Mapping) else None
    pem = cert.get("pem") if isinstance(cert, Mapping) else None
    return pem if isinstance(pem, Mapping) else None


_PEM_FIELDS = {".serverCertificate": ".cert", ".privateKey": ".key"}


def _pem_problems(
    cert: str, key: str, hosts: Sequence[str], path: str, warnings: list[Problem] | None = None
) -> list[Problem]:
    """The certificate-file checks (parses, matches the key, in date, covers the hosts), with the
    problems named by their ``pem`` field."""
    from ..plan.credentials import check_pem_pair  # the one certificate check, shared with files

    found: list[Problem] = []
    raw_warnings: list[Problem] = []
    check_pem_pair(cert, key, hosts, path, found, raw_warnings)
    if warnings is not None:
        warnings.extend(_renamed(p) for p in raw_warnings)
    return [_renamed(p) for p in found]


def _renamed(problem: Problem) -> Problem:
    for old, new in _PEM_FIELDS.items():
        if problem.path.endswith(old):
            return Problem(problem.path.removesuffix(old) + new, problem.message, problem.code)
    return problem


def _checked_pair(pair: Sequence[Any], *, hosts: Sequence[str], path: str, context: str) -> Sequence[Any]:
    problems = _pem_problems(pair[0], pair[1], hosts, path)
    if problems:
        raise ComponentConfigError(problems, context=context)
    return pair
