"""Istio's admission rules over raw manifests: what istiod's validating webhook rejects (or warns
about) although the CRD schemas accept it.

The typed spec models (:mod:`pulumi_meshgw.spec`) already carry these rules for config; this module
applies the same validators to the ``spec`` of raw objects, so a YAML file handed to ``meshgw check``
and a stack config are held to one set of rules:

- Gateway (``spec.istio.Server`` per server, then ``spec.resources.GatewaySpec`` for what spans
  servers): FQDN hosts, wildcards only as the whole left-most label, namespace parts, known protocols,
  no ``targetPort``, port names unique per Gateway, TLS mode against the certificate fields, HTTPS or
  TLS without a ``tls`` block; plus at least one server, ``bind`` an IP or ``unix://`` path, unique
  server names.
- VirtualService (``spec.istio.VirtualServiceFields``, ``spec.resources.parse_gateway_ref``): host
  format, route weights, one action per HTTP route, TLS routes with ``sniHosts``, at least one route
  list, gateway references; plus ``*`` only for gateway-bound routes.
- DestinationRule (``spec.istio.DestinationRuleFields``): host format, unique DNS-label subsets,
  client TLS modes.
- ServiceEntry: host format, ``*`` alone refused, FQDN hosts for ``DNS`` resolution without
  endpoints, unique port numbers and names.
- Every object: ``metadata.name`` and ``metadata.namespace`` are DNS-1123 names (labels for
  Namespaces and Istio Gateways, DNS-1035 labels for Services, subdomains otherwise).

Codes: Istio kinds use ``IST0106`` (errors) and ``IST0133`` (warnings), the codes ``istioctl
analyze`` gives webhook findings; other kinds use ``MGW0106``, the API server's rejection. One error
is ours beside Istio's warning: ``MGW0102``, an omitted ``tls.mode`` with certificate fields.

Where the spec models are stricter than Istio on purpose (they are the library's own defaults), the
stricter rule is relaxed here to what istiod does, because a raw manifest is someone else's
decision: an omitted ``tls.mode`` (with certificate fields, MGW0102 is the error), certificate
fields on a PASSTHROUGH server, ``httpsRedirect`` on an HTTPS server, TLS 1.0/1.1 and legacy
``name.namespace`` gateway references are warnings, as in istiod; port names need not be DNS labels.

Istio's webhook rules that the spec models do not carry, for every Istio kind (Sidecar,
WorkloadEntry, the security and telemetry kinds too), are in :mod:`.webhook`; and where a model
rule is stricter than istiod, :func:`_as_istio` makes it a warning. Both were found, and are held,
by the admission differential against ``istioctl validate`` (``e2e/admission_diff.py``,
docs/checks.md).

Fields that the schema already reports (unknown fields, wrong types) are left to the schema
validation; :func:`admission_diagnostics` only adds what the schema cannot see.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import format_path, show
from ..spec._base import NestedProblems, describe_pydantic_error, dns_label, dns_subdomain
from ..spec.istio import DestinationRuleFields, Server, VirtualServiceFields, is_ip, validate_route_host
from ..spec.resources import GatewaySpec, parse_gateway_ref
from ._access import Manifest, api_group, key_of, mapping, seq, text
from .diagnostics import Diagnostic, Level
from .webhook import istio_dns1123_label, istio_wildcard_domain, webhook_rules

__all__ = ["admission_diagnostics"]

M = TypeVar("M", bound=BaseModel)
Path = tuple[str | int, ...]

_ISTIO_ERROR, _ISTIO_WARNING, _CORE = "IST0106", "IST0133", "MGW0106"
_OMITTED_MODE = "MGW0102"
"""An HTTPS/TLS server with certificate fields and no ``tls.mode``: an error of ours, beside Istio's
IST0133 warning (docs/checks.md)."""
_DNS1035 = re.compile(r"\A[a-z]([-a-z0-9]*[a-z0-9])?\Z")
# Pydantic error types that the CRD/OpenAPI schemas report already (with their own messages).
_SCHEMA_TYPES = frozenset({"extra_forbidden"})
_CERT_FIELDS = ("serverCertificate", "privateKey", "caCertificates", "credentialName", "credentialNames")


def admission_diagnostics(obj: Manifest) -> list[Diagnostic]:
    """Istio's admission rules and Kubernetes name rules for one object.

    Args:
        obj: A Kubernetes object as plain data; malformed input yields diagnostics, never an error.

    Returns:
        The findings, sorted by path then message.
    """
    if not isinstance(obj, Mapping):
        return []
    key = key_of(obj)
    istio = api_group(obj).endswith("istio.io")
    found: list[tuple[Path, Level, str]] = list(_name_problems(obj))
    spec = obj.get("spec")
    if istio and api_group(obj) == "networking.istio.io" and isinstance(spec, Mapping):
        check = _KIND_CHECKS.get(key[0])
        if check is not None:
            found.extend(
                (("spec", *p), level, msg) for p, level, msg in _as_istio(key[0], spec, check(spec, key[1]))
            )
    if istio and isinstance(spec, Mapping):
        reported = {path for path, level, _ in found if level is Level.ERROR}
        found.extend(
            (("spec", *p), level, msg)
            for p, level, msg in webhook_rules(key[0], spec)
            if ("spec", *p) not in reported
        )
    out = []
    for path, level, message in sorted(set(found), key=lambda f: (_path_sort(f[0]), f[2])):
        code = (_ISTIO_ERROR if level is Level.ERROR else _ISTIO_WARNING) if istio else _CORE
        out.append(Diagnostic(code, level, key[0], key[1], key[2], format_path(path), message))
    if key[0] == "Gateway" and api_group(obj) == "networking.istio.io" and isinstance(spec, Mapping):
        out.extend(
            Diagnostic(_OMITTED_MODE, Level.ERROR, key[0], key[1], key[2], f"spec.servers[{i}].tls.mode", m)
            for i, m in _omitted_mode_with_certificate(spec)
        )
    return out


def _omitted_mode_with_certificate(spec: Mapping[str, Any]) -> list[tuple[int, str]]:
    """MGW0102: servers with certificate fields and no ``tls.mode``.

    Istio reads an omitted mode as PASSTHROUGH (the enum's zero value) and only warns that the
    certificate is ignored (IST0133, ``pkg/config/validation/validation.go``,
    ``validateTLSOptions``: "PASSTHROUGH mode does not use certificates, they will be ignored").
    The gateway then never terminates TLS: the server's HTTP routes do not apply and clients get a
    TLS error or a 404, so this is an error here.
    """
    out = []
    for i, raw in enumerate(seq(spec.get("servers"))):
        tls = mapping(mapping(raw).get("tls"))
        fields = [f for f in _CERT_FIELDS if f in tls]
        if tls and "mode" not in tls and fields:
            out.append(
                (
                    i,
                    f"no tls.mode with {', '.join(fields)}: Istio reads the mode as PASSTHROUGH, so the "
                    "certificate is never served and HTTP routes on this server never apply; set mode: "
                    "SIMPLE to terminate TLS (or PASSTHROUGH and drop the certificate fields)",
                )
            )
    return out


def _path_sort(path: Path) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in path)


# -- the library's stricter rules, held to what istiod accepts ---------------------------------------

_HOST_RULES = (
    "must be lowercase",
    "is not a valid DNS name",
    "is a short name",
    "has a wildcard that is not",
)


def _as_istio(
    kind: str, spec: Mapping[str, Any], found: list[tuple[Path, Level, str]]
) -> list[tuple[Path, Level, str]]:
    """The spec models' findings, with each error that Istio's webhook accepts made a warning.

    The models are the library's own defaults and stricter than istiod in places; on a raw object an
    error must be one that Istio rejects too (the admission differential, ``e2e/admission_diff.py``).
    Relaxed here, each by Istio's own rule:

    - hosts: ``ValidateWildcardDomain`` (``pkg/config/validation/agent/validation.go``) accepts upper
      case letters, a trailing dot and a wildcard label such as ``*example``, and does not ask a
      gateway host for a dot;
    - subset names: ``validateSubsetName`` (``pkg/config/validation/validation.go``) takes
      ``labels.IsDNS1123Label``, which accepts upper case;
    - a lone ``serverCertificate`` or ``privateKey`` beside ``credentialName`` (``validateTLSOptions``:
      with a credential name the files are not read);
    - server names used twice (``validateServer`` does not look at names; the second name only
      makes the server's stats ambiguous);
    - an HTTP route with ``route: []`` beside its one action (an empty list is unset to the proto);
    - ``match.port: 0`` (unset to the proto: every port), ``AUTO_PASSTHROUGH`` on a non-TLS port;
    - a string match with two members or none (jsonpb keeps the last member; the API server's
      ``oneOf`` still refuses two, MGW0106).
    """
    out = []
    for path, level, message in found:
        if level is Level.ERROR and _istio_accepts(kind, spec, path, message):
            level = Level.WARNING
            message = f"{message} (Istio accepts this; the stricter rule is meshgw's)"
        out.append((path, level, message))
    return out


def _at(data: Any, path: Path) -> Any:
    """The value at ``path`` in nested dicts/lists, or None."""
    for part in path:
        if isinstance(data, Mapping) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _istio_accepts(kind: str, spec: Mapping[str, Any], path: Path, message: str) -> bool:
    value = _at(spec, path)
    field = next((p for p in reversed(path) if isinstance(p, str)), "")
    if field in ("hosts", "host") and isinstance(value, str) and any(r in message for r in _HOST_RULES):
        host = value.split("/", 1)[1] if kind == "Gateway" and "/" in value else value
        short = kind == "Gateway" and host != "*" and "." not in host  # validateSidecarOrGatewayHostnamePart
        return istio_wildcard_domain(host) is None and not short
    if kind == "DestinationRule" and field == "name" and path[:1] == ("subsets",) and isinstance(value, str):
        return istio_dns1123_label(value)
    if kind == "Gateway" and "go together" in message:
        tls = mapping(value)
        return bool(tls.get("credentialName") or tls.get("credentialNames")) and text(tls.get("mode")) in (
            "SIMPLE",
            "MUTUAL",
            "OPTIONAL_MUTUAL",
        )
    if kind == "Gateway" and "requires a client CA bundle" in message and path[-1:] == ("caCertificates",):
        # validateTLSOptions returns before the CA check when a credential name is set: the CA
        # comes from the Secret (its ca.crt, or a <name>-cacert Secret).
        tls = mapping(_at(spec, path[:-1]))
        return bool(tls.get("credentialName") or tls.get("credentialNames"))
    if kind == "VirtualService" and "needs exactly one of route, redirect" in message:
        # An empty list is an unset field to Istio's proto: `route: []` beside a redirect is one action.
        return (
            sum(bool(mapping(value).get(k)) for k in ("route", "redirect", "directResponse", "delegate")) == 1
        )
    if "set exactly one of exact, prefix or regex" in message:
        # jsonpb sets a oneof's members one after another (the last wins); an empty match is unset.
        return True
    if field == "port" and "must be at least 1 (got 0)" in message:
        return True  # port 0 is an unset proto3 field: the match applies to every port
    if kind == "Gateway" and "AUTO_PASSTHROUGH requires port.protocol TLS" in message:
        return True  # validateServer does not tie AUTO_PASSTHROUGH to a protocol
    return kind == "Gateway" and field == "name" and "server names must be unique" in message


# -- names ------------------------------------------------------------------------------------------


def _name_problems(obj: Manifest) -> list[tuple[Path, Level, str]]:
    meta = mapping(obj.get("metadata"))
    kind, group = text(obj.get("kind")) or "", api_group(obj)
    out: list[tuple[Path, Level, str]] = []
    name = meta.get("name")
    if isinstance(name, str) and name:
        try:
            if kind == "Namespace" and not group:
                dns_label(name, "Namespace name")
            elif kind == "Gateway" and group == "networking.istio.io":
                dns_label(name, "Gateway name")
            elif kind == "Service" and not group:
                if len(name) > 63 or not _DNS1035.match(name):
                    raise ValueError(
                        f"Service name {show(name)} is not a DNS-1035 label: use at most 63 lowercase "
                        f"letters, "
                        "digits and '-', starting with a letter and ending with a letter or digit"
                    )
            else:
                dns_subdomain(name, f"{kind or 'object'} name")
        except ValueError as err:
            out.append((("metadata", "name"), Level.ERROR, str(err)))
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        try:
            dns_label(namespace, "namespace")
        except ValueError as err:
            out.append((("metadata", "namespace"), Level.ERROR, str(err)))
    return out


# -- parsing raw specs with the spec models ------------------------------------------------------


def _drop(data: Any, loc: Sequence[str | int]) -> None:
    """Remove the entry at ``loc`` from nested dicts/lists, if it is there."""
    for part in loc[:-1]:
        if isinstance(data, Mapping) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return
    if isinstance(data, dict) and loc and loc[-1] in data:
        del data[loc[-1]]


def _clean_loc(loc: Sequence[str | int]) -> Path:
    # Pydantic can add validator names to locations; they are not config paths.
    return tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))


def _parse(model: type[M], data: Any) -> tuple[M | None, list[tuple[Path, str, str]]]:
    """Validate ``data`` into ``model``, ignoring fields the model does not declare.

    The spec models reject unknown fields; in a raw manifest those are the schema's business (and
    some are Istio fields the models leave out), so they are dropped and validation repeated.

    Returns:
        The model (None if invalid) and the problems as (path, pydantic error type, message).
    """
    work = copy.deepcopy(data)
    errors: list[Any] = []
    for _ in range(4):
        try:
            return model.model_validate(work), []
        except ValidationError as err:
            errors = err.errors(include_url=False)
        extras = [e["loc"] for e in errors if e["type"] in _SCHEMA_TYPES]
        if not extras or not isinstance(work, dict):
            break
        for loc in extras:
            _drop(work, _clean_loc(loc))
    return None, _problems(errors)


def _problems(errors: Sequence[Any]) -> list[tuple[Path, str, str]]:
    out: list[tuple[Path, str, str]] = []
    for e in errors:
        if e["type"] in _SCHEMA_TYPES:
            continue
        loc = _clean_loc(e["loc"])
        err = (e.get("ctx") or {}).get("error")
        if isinstance(err, NestedProblems):
            out.extend(((*loc, *sub), "nested", msg) for sub, msg in err.items)
            continue
        if e["type"] == "value_error":
            message = str(e["msg"]).removeprefix("Value error, ")
        else:
            message = describe_pydantic_error(e)
        out.append((loc, e["type"], message))
    return out


# -- Gateway ----------------------------------------------------------------------------------------


def _gateway(spec: Mapping[str, Any], namespace: str) -> list[tuple[Path, Level, str]]:
    out: list[tuple[Path, Level, str]] = []
    servers = spec.get("servers")
    if servers is None or (isinstance(servers, list) and not servers):
        return [(("servers",), Level.ERROR, "a Gateway needs at least one server")]
    parsed: list[tuple[int, Server, Mapping[str, Any]]] = []
    names: dict[str, int] = {}
    for i, raw in enumerate(seq(servers)):
        server, problems = _parse(Server, raw)
        if server is None and isinstance(raw, Mapping):
            server = _stand_in(raw, [p[0] for p in problems])
        raw_tls = mapping(mapping(raw).get("tls"))
        for loc, _, message in problems:
            level = _server_level(loc, message, raw_tls)
            if level is not None:
                out.append((("servers", i, *loc), level, _raw_wording(message)))
        srv = mapping(raw)
        bind = text(srv.get("bind"))
        if bind and not bind.startswith("unix://") and not is_ip(bind):
            out.append(
                (
                    ("servers", i, "bind"),
                    Level.ERROR,
                    f"bind {show(bind)} must be an IP address or a unix:// path",
                )
            )
        name = text(srv.get("name"))
        if name:
            if name in names:
                out.append(
                    (
                        ("servers", i, "name"),
                        Level.ERROR,
                        f"server name {show(name)} is already used by servers[{names[name]}]; server names "
                        "must be unique",
                    )
                )
            names.setdefault(name, i)
        if server is not None:
            parsed.append((i, server, raw_tls))
    if not parsed:
        return out
    try:
        GatewaySpec.model_validate(
            {"name": "admission", "workload": "admission", "servers": [p[1] for p in parsed]}
        )
    except ValidationError as err:
        for loc, _, message in _problems(err.errors(include_url=False)):
            if len(loc) < 2 or loc[0] != "servers" or not isinstance(loc[1], int):
                continue
            i, _, raw_tls = parsed[loc[1]]
            level = _server_level(loc[2:], message, raw_tls)
            if level is not None:
                out.append((("servers", i, *loc[2:]), level, _raw_wording(message)))
    return out


def _stand_in(raw: Mapping[str, Any], failed: list[Path]) -> Server | None:
    """The server with its bad hosts and port name replaced, so that the TLS and port-name rules
    still run on it; None if something else is wrong too."""
    work = dict(raw)
    if any(loc[:1] == ("hosts",) for loc in failed):
        work["hosts"] = ["admission.invalid"]
    if ("port", "name") in failed and isinstance(work.get("port"), Mapping):
        work["port"] = {**work["port"], "name": "admission-" + str(len(failed))}
    server, _ = _parse(Server, work)
    return server


def _server_level(loc: Path, message: str, raw_tls: Mapping[str, Any]) -> Level | None:
    """How istiod treats a rule of the spec models for a raw server (None: it does not)."""
    where = format_path(loc)
    if where == "port.name" and "DNS-1123" in message:
        return None  # Istio only needs a name; the DNS-label rule is the library's own
    if where == "tls.mode" and message.startswith("required;"):
        return Level.WARNING  # with certificate fields, MGW0102 is the error (_omitted_mode_...)
    if "mode PASSTHROUGH uses no server certificate" in message or "mode AUTO_PASSTHROUGH uses no" in message:
        return Level.WARNING  # "PASSTHROUGH mode does not use certificates, they will be ignored"
    if where in ("tls.httpsRedirect", "tls.minProtocolVersion"):
        return Level.WARNING
    return Level.ERROR


def _raw_wording(message: str) -> str:
    # ``certificate`` (selfSigned, certManager, config) is the library's own field, not Istio's.
    return message.replace("certificate (selfSigned, certManager or config), ", "").replace(
        "set certificate (selfSigned, certManager or config), serverCertificate", "set serverCertificate"
    )


# -- VirtualService ---------------------------------------------------------------------------------


def _virtual_service(spec: Mapping[str, Any], namespace: str) -> list[tuple[Path, Level, str]]:
    out: list[tuple[Path, Level, str]] = []
    fields = {k: v for k, v in spec.items() if k != "gateways"}
    _, problems = _parse(VirtualServiceFields, fields)
    for loc, etype, message in problems:
        if loc == ("hosts",) and etype == "missing":
            continue  # a delegate VirtualService has no hosts
        out.append((loc, Level.ERROR, message))
    gateways = spec.get("gateways")
    for i, ref in enumerate(seq(gateways)):
        if not isinstance(ref, str):
            continue
        try:
            parse_gateway_ref(ref, namespace or "default")
        except ValueError as err:
            level = Level.WARNING if "legacy" in str(err) else Level.ERROR
            out.append((("gateways", i), level, str(err)))
    mesh = gateways is None or "mesh" in seq(gateways)
    for i, host in enumerate(seq(spec.get("hosts"))):
        if host == "*" and mesh:
            out.append(
                (
                    ("hosts", i),
                    Level.ERROR,
                    "host '*' is only allowed on VirtualServices bound to gateways (not to mesh); "
                    "list the hosts, or bind only gateways",
                )
            )
    return out


def _destination_rule(spec: Mapping[str, Any], namespace: str) -> list[tuple[Path, Level, str]]:
    _, problems = _parse(DestinationRuleFields, spec)
    return [(loc, Level.ERROR, message) for loc, _, message in problems]


def _service_entry(spec: Mapping[str, Any], namespace: str) -> list[tuple[Path, Level, str]]:
    out: list[tuple[Path, Level, str]] = []
    resolution = text(spec.get("resolution")) or "NONE"
    dns = resolution in ("DNS", "DNS_ROUND_ROBIN") and not seq(spec.get("endpoints"))
    for i, host in enumerate(seq(spec.get("hosts"))):
        if not isinstance(host, str):
            continue
        if host == "*":
            out.append(
                (("hosts", i), Level.ERROR, "host '*' is not allowed on a ServiceEntry; list the hosts")
            )
            continue
        try:
            validate_route_host(host)
        except ValueError as err:
            out.append((("hosts", i), Level.ERROR, str(err)))
            continue
        if dns and "*" in host:
            out.append(
                (
                    ("hosts", i),
                    Level.ERROR,
                    f"host {show(host)} is a wildcard, but resolution {resolution} without endpoints "
                    f"resolves "
                    "each host as a DNS name; list the concrete hosts, or give endpoints",
                )
            )
    numbers: dict[int, int] = {}
    port_names: dict[str, int] = {}
    for i, raw in enumerate(seq(spec.get("ports"))):
        port = mapping(raw)
        number, pname = port.get("number"), text(port.get("name"))
        if isinstance(number, int) and not isinstance(number, bool):
            if number in numbers:
                out.append(
                    (
                        ("ports", i, "number"),
                        Level.ERROR,
                        f"port {number} is already defined by ports[{numbers[number]}]; each port once",
                    )
                )
            numbers.setdefault(number, i)
        if pname:
            if pname in port_names:
                out.append(
                    (
                        ("ports", i, "name"),
                        Level.ERROR,
                        f"port name {show(pname)} is already used by ports[{port_names[pname]}]; names "
                        f"must be "
                        "unique",
                    )
                )
            port_names.setdefault(pname, i)
    return out


_KIND_CHECKS = {
    "Gateway": _gateway,
    "VirtualService": _virtual_service,
    "DestinationRule": _destination_rule,
    "ServiceEntry": _service_entry,
}
