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

import asyncio
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import pulumi

from ..errors import ConfigError, Problem, format_path
from ..render._meta import Manifest
from ._runtime import ComponentConfigError, child_name, current_state, register_manifest

__all__ = [
    "MESH_PLAIN",
    "NAMING",
    "NAMING_MESSAGE",
    "Late",
    "LateCheckError",
    "LateRefs",
    "Leaf",
    "check_known",
    "fill",
    "is_stand_in_host",
    "late_ref",
    "lift_origination_pem",
    "lift_pem",
    "log_waiting",
    "namespace_output",
    "output_leaves",
    "refuse_at",
    "refuse_outputs",
    "register_input",
    "registered_input",
    "resolved",
    "same_shape",
    "shape",
    "stand_in",
    "stand_in_failure",
    "stand_in_model",
    "stand_ins",
    "touches",
]

Path = tuple[str | int, ...]
Leaf = tuple[Path, pulumi.Output[Any]]
T = TypeVar("T")

MESH_PLAIN = (
    "is an Output; a Mesh is built from stack config, whose values are known when the program runs "
    "(a secret PEM comes from `pulumi config set --secret` through certificate.config); to pass "
    "Outputs, declare the individual components, which take them (docs/inputs.md)"
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


NAMING = frozenset({"name", "credentialName", "mode", "protocol", "exposure", "cloud", "revision"})
"""Keys whose value names objects (a port's name names its TLS Secret) or decides their kind (a TLS
mode, a protocol): a gateway component takes them plain (docs/inputs.md)."""


def refuse_at(leaves: Sequence[Leaf], keys: frozenset[str] | set[str], message: str, context: str) -> None:
    """Refuse the Outputs whose path holds one of ``keys``, each named by its path.

    Raises:
        ComponentConfigError: MGW0100 per Output, with ``message``.
    """
    bad = [p for p, _ in leaves if any(k in keys for k in p if isinstance(k, str))]
    if bad:
        raise ComponentConfigError(
            [Problem(format_path(p), message, "MGW0100") for p in bad], context=context
        )


NAMING_MESSAGE = (
    "is an Output; this value names the objects the component registers or decides their kind "
    "(a port's name names its TLS Secret), so it takes a value known when the program runs "
    "(docs/inputs.md)"
)


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


def refuse_outputs(raw: Mapping[str, Any], context: str, message: str) -> None:
    """Refuse Outputs where a component takes plain values only (a Mesh: docs/inputs.md).

    Raises:
        ComponentConfigError: one MGW0100 problem per Output, naming its path.
    """
    leaves = output_leaves(raw)
    if leaves:
        raise ComponentConfigError(
            [Problem(format_path(p), message, "MGW0100") for p, _ in leaves],
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


_NUMBERS = {
    "number",
    "port",
    "weight",
    "targetPort",
    "httpPort",
    "replicas",
    "minReplicas",
    "maxReplicas",
    "drainDurationSeconds",
}
_CIDRS = {"allow", "deny", "loadBalancerSourceRanges", "egressCidrs", "allowedCidrs", "cidrs"}
_ADDRESSES = {"egressIPs", "addresses"}
_HOSTS = {"hosts", "host"}
_BOOLS = {"enabled", "createNamespace", "create_namespace", "topologySpread", "topology_spread"}


def stand_in(path: Path, n: int = 0) -> Any:
    """A plain value that passes the shape checks in place of the ``n``-th Output, so that the known
    values around it are checked now: a number for ports and counts, a documentation CIDR
    (RFC 5737) for address lists, a name under ``.invalid`` (RFC 2606) for hosts, a DNS label
    otherwise. Each Output gets its own, so two of them never collide as duplicates."""
    keys = [k for k in path if isinstance(k, str)]
    last = keys[-1] if keys else ""
    if path and path[-1] in _NUMBERS:
        return 1
    if last in _BOOLS:
        return True
    if last in _CIDRS:
        return f"198.51.100.{n % 256}/32"
    if last in _ADDRESSES:
        return f"198.51.100.{n % 256}"
    if last in _HOSTS:
        return f"pending-{n}.invalid"
    return "pending"


def is_stand_in_host(host: str) -> bool:
    """Whether ``host`` is the stand-in of an Output (see :func:`stand_in`)."""
    return host.split("/", 1)[-1].startswith("pending-") and host.endswith(".invalid")


def stand_ins(leaves: Sequence[Leaf]) -> dict[Path, Any]:
    """The stand-in of each Output of ``leaves``, by path."""
    return {p: stand_in(p, n) for n, (p, _) in enumerate(leaves)}


def check_known(
    model: Callable[[dict[str, Any]], Any], raw: Mapping[str, Any], leaves: Sequence[Leaf], context: str
) -> Any:
    """Check the plain values of ``raw`` now, the Outputs standing in; return what ``model``
    made, or None when it found problems only about the Outputs.

    Raises:
        ComponentConfigError: the problems about plain values, as without Outputs.
    """
    try:
        return model(fill(raw, stand_ins(leaves)))
    except ConfigError as err:
        problems = [p for p in err.problems if not touches(p.path, leaves)]
        if problems:
            raise ComponentConfigError(problems, context=context) from None
        return None


def stand_in_model(
    model: Callable[[dict[str, Any]], T], raw: Mapping[str, Any], leaves: Sequence[Leaf], context: str
) -> T:
    """What ``model`` makes of ``raw`` with each Output standing in: the shape of what a component
    registers now (which objects, and their names), before the Outputs are known.

    Raises:
        ComponentConfigError: the problems about plain values, as without Outputs; or, when only the
            stand-ins fail (an Output that must agree with another value, such as a firewall host
            with a server host), MGW0100 naming the Output: the value must be known when the
            program runs.
    """
    try:
        return model(fill(raw, stand_ins(leaves)))
    except ConfigError as err:
        raise stand_in_failure(err, leaves, context) from None


def stand_in_failure(err: ConfigError, leaves: Sequence[Leaf], context: str) -> ComponentConfigError:
    """The error of a render with stand-ins: the problems about plain values, as without Outputs;
    else MGW0100 on each problem (its value must be known when the program runs)."""
    problems = [p for p in err.problems if not touches(p.path, leaves)]
    if problems:
        return ComponentConfigError(problems, context=context)
    return ComponentConfigError(
        [
            Problem(
                p.path,
                "is an Output, and this value must agree with other values before the component "
                "can decide which resources it registers; give a value known when the program "
                f"runs (docs/inputs.md) [stand-in check: {p.message}]",
                "MGW0100",
            )
            for p in err.problems
        ],
        context=context,
    )


def shape(manifests: Sequence[Manifest]) -> list[tuple[str, str, str]]:
    """What decides the registered resources: each object's API version, kind and name."""
    return [(str(m["apiVersion"]), str(m["kind"]), str(m["metadata"]["name"])) for m in manifests]


def same_shape(
    planned: Sequence[Manifest], real: Sequence[Manifest], leaves: Sequence[Leaf], context: str
) -> None:
    """Fail when the values the Outputs took change which objects the component registers.

    Raises:
        ComponentConfigError: MGW0100 naming the Outputs.
    """
    if shape(planned) == shape(real):
        return
    planned_set, real_set = set(shape(planned)), set(shape(real))
    diff = sorted(f"{k} {n}" for _, k, n in planned_set ^ real_set) or ["the count of objects"]
    raise ComponentConfigError(
        [
            Problem(
                ", ".join(format_path(p) for p, _ in leaves),
                "the values these Outputs took change which objects the component registers "
                f"({', '.join(diff)}), which is decided when the program runs; give the values that "
                "decide it (a feature on or off, a list's length) as plain values",
                "MGW0100",
            )
        ],
        context=context,
    )


class Late:
    """Objects registered now in the shape stand-in values give, with the bodies the real values
    render once the Outputs resolve.

    ``planned`` are the objects rendered with stand-ins: they decide which resources are registered
    and their Pulumi names. ``real`` renders them again from the real values, after the checks that
    the values allow; a failed check fails the registration of every resource made from it. The
    Pulumi name of an object whose namespace is an Output uses ``owner`` (the component's resource
    name) in place of the namespace (docs/inputs.md).
    """

    def __init__(
        self,
        planned: Sequence[Manifest],
        real: pulumi.Output[list[Manifest]],
        owner: str | None,
        namespace: pulumi.Output[str] | None = None,
    ) -> None:
        self.planned = list(planned)
        self.real = _guarded(real)
        self.owner = owner
        self.namespace = namespace
        self._at = {id(m): i for i, m in enumerate(self.planned)}

    def name(self, m: Manifest) -> str:
        """The Pulumi name of a planned object: :func:`child_name`, or ``kind:owner/name`` when its
        namespace is an Output."""
        if self.owner is not None and m["metadata"].get("namespace"):
            return f"{str(m['kind']).lower()}:{self.owner}/{m['metadata']['name']}"
        return child_name(m)

    def register(
        self, m: Manifest, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = ()
    ) -> pulumi.CustomResource:
        """:func:`register_manifest` of the :meth:`view` of ``m``, under :meth:`name`."""
        return register_manifest(self.view(m), parent, depends_on, name=self.name(m))

    def view(self, m: Manifest) -> Manifest:
        """``m`` with each field an Output of its real value (Secret data key by key). An object
        not planned here (a Secret made from certificate Outputs) gets the real namespace."""
        i = self._at.get(id(m))
        if i is None:
            if self.namespace is None or "namespace" not in m["metadata"]:
                return m
            return {**m, "metadata": {**m["metadata"], "namespace": self.namespace}}
        out: dict[str, Any] = {"apiVersion": m["apiVersion"], "kind": m["kind"]}
        for key, value in m.items():
            if key in out:
                continue
            if key in ("stringData", "data") and isinstance(value, Mapping):
                out[key] = {k: self.real.apply(partial(_pick, i, key, k)) for k in value}
            else:
                out[key] = self.real.apply(partial(_pick, i, key, None))
        return out


class LateRefs(dict[str, pulumi.Output[str]]):
    """The ``namespace/name`` of each Gateway whose checks wait for Outputs, to its ``ref``
    Output: a route that names such a Gateway as text waits for the Gateway's checks too."""


def late_ref(ref: Any) -> Any:
    """``ref``, or the ``ref`` Output of the Gateway it names when that Gateway waits for Outputs."""
    if isinstance(ref, str):
        return current_state().slot(LateRefs).get(ref, ref)
    return ref


class LateCheckError(pulumi.RunError):
    """A check that waited for Outputs failed: the :class:`ComponentConfigError`, with its message
    and problems, as the update's error.

    The SDK wraps a ValueError (which a ComponentConfigError is) raised by a typed resource's
    input in "While processing input ..." and prints a traceback; a ``RunError`` is printed as it
    is, so the message is the one a plain value gets.
    """

    def __init__(self, error: ComponentConfigError) -> None:
        super().__init__(str(error))
        self.error = error
        self.problems = error.problems


def _pick(i: int, key: str, sub: str | None, manifests: Sequence[Manifest]) -> Any:
    value = manifests[i][key]
    return value if sub is None else value[sub]


def _guarded(real: pulumi.Output[list[Manifest]]) -> pulumi.Output[list[Manifest]]:
    async def unwrapped() -> list[Manifest]:
        try:
            return await real.future(with_unknowns=True)  # type: ignore[return-value]
        except ComponentConfigError as err:
            raise LateCheckError(err) from None

    return pulumi.Output(
        real.resources(), asyncio.ensure_future(unwrapped()), real.is_known(), real.is_secret()
    )


def namespace_output(raw: Mapping[str, Any], key: str = "namespace") -> pulumi.Output[str] | None:
    """The namespace argument when it is an Output (the children's names then leave it out)."""
    value = raw.get(key)
    return value if isinstance(value, pulumi.Output) else None


def lift_origination_pem(destinations: Sequence[Any], context: str) -> list[Any]:
    """Egress destinations with each ``origination.certificate.pem`` (the client certificate, key
    and CA bundle: text or Outputs) handed over as :func:`lift_pem` does for servers.

    Raises:
        ComponentConfigError: as :func:`lift_pem`.
    """
    lifted, _ = lift_pem(destinations, context, ("destinations",), at="origination", hosts_key=None)
    return lifted


def lift_pem(
    servers: Sequence[Any],
    context: str,
    prefix: Path = ("servers",),
    at: str = "tls",
    hosts_key: str | None = "hosts",
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
        pem = _pem_of(server, at)
        if pem is None:
            out.append(server)
            continue
        path = format_path((*prefix, i, at, "certificate", "pem"))
        given = server.get(hosts_key) if hosts_key is not None else None
        hosts = [h.split("/", 1)[-1] for h in given or () if isinstance(h, str)]
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
        tls = {**server[at], "certificate": {"config": config}}
        out.append({**server, at: tls})
    if problems:
        raise ComponentConfigError(problems, context=context)
    return out, warnings


def _item(check: Callable[[Sequence[Any]], Sequence[Any]], i: int, pair: Sequence[Any]) -> Any:
    return check(pair)[i]


def _pem_of(server: Any, at: str = "tls") -> Mapping[str, Any] | None:
    if not isinstance(server, Mapping):
        return None
    tls = server.get(at)
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
