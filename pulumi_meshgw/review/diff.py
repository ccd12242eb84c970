"""Compare two :class:`~.model.MeshView` s route by route: what changes for traffic.

Every change is one :class:`Change` and prints as one line, ``OP SUBJECT: WHAT``, where OP is
``+`` (added), ``-`` (removed) or ``~`` (changed; the old values follow as ``(was ...)``)::

    ~ shop.example.com on istio-ingress/public: /api → shop:8080 v1 90% / v2 10% (was v1 100%)

Security-relevant changes are also reported as :class:`Flag` s, listed before everything else:

- a host newly on an internet-facing gateway (a new host, or a gateway that became public);
- a firewall, JWT or other DENY/CUSTOM AuthorizationPolicy rule removed or applying to fewer
  hosts, ports or paths; a JWT issuer removed;
- a wider source range: a load balancer's ``loadBalancerSourceRanges`` or a firewall allow-list
  that admits addresses it did not, fewer addresses denied, an ALLOW rule added or naming more
  sources (which is how an egress destination opens to new sources);
- a new wildcard host (Gateway, VirtualService, ServiceEntry);
- weaker transport security: a server's TLS mode dropped or minimum version lowered, an HTTPS
  redirect removed, a PeerAuthentication no longer STRICT;
- a trust anchor changed: the client CA of a MUTUAL server, or the CA (or client certificate)
  an egress gateway uses to originate TLS, by SHA-256 fingerprint.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import EgressView, MeshView, RouteView, ServerView

__all__ = ["Change", "Flag", "MeshDiff", "diff_views"]

_TLS_VERSIONS = {"TLS_AUTO": 0, "TLSV1_0": 10, "TLSV1_1": 11, "TLSV1_2": 12, "TLSV1_3": 13}
_IP_FIELDS = ("ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks")
_JWT_FIELDS = ("requestPrincipals", "notRequestPrincipals")
_TO_FIELDS = ("hosts", "ports", "paths", "methods")
_SOURCE_FIELDS = (
    "principals",
    "namespaces",
    "ipBlocks",
    "remoteIpBlocks",
    "requestPrincipals",
    *(
        f"not{f[0].upper()}{f[1:]}"
        for f in ("principals", "namespaces", "ipBlocks", "remoteIpBlocks", "requestPrincipals")
    ),
)


@dataclass(frozen=True)
class Change:
    """One changed thing, printed as one line.

    Attributes:
        section: ``gateways``, ``routes``, ``egress`` or ``policy``.
        op: ``+``, ``-`` or ``~``.
        subject: What changed (``shop.example.com on istio-ingress/public``).
        text: How, with ``(was ...)`` for a ``~``.
    """

    section: str
    op: str
    subject: str
    text: str

    def line(self) -> str:
        """``OP SUBJECT: TEXT``."""
        return f"{self.op} {self.subject}: {self.text}"

    def to_dict(self) -> dict[str, str]:
        """JSON-ready fields, plus ``line``."""
        return {
            "section": self.section,
            "op": self.op,
            "subject": self.subject,
            "text": self.text,
            "line": self.line(),
        }


@dataclass(frozen=True)
class Flag:
    """A security-relevant change: which kind (see the module docs) and what exactly."""

    reason: str
    detail: str

    def line(self) -> str:
        """``! REASON: DETAIL``."""
        return f"! {self.reason}: {self.detail}"

    def to_dict(self) -> dict[str, str]:
        """JSON-ready fields, plus ``line``."""
        return {"reason": self.reason, "detail": self.detail, "line": self.line()}


@dataclass(frozen=True)
class MeshDiff:
    """The result of :func:`diff_views`: flags first, then changes in section order."""

    flags: tuple[Flag, ...]
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        """Whether nothing changed for traffic."""
        return not self.flags and not self.changes


def _server_text(s: ServerView) -> str:
    parts = [",".join(s.hosts) or "(no hosts)"]
    parts.extend(f"{k} {v}" for k, v in s.tls.items())
    return "; ".join(parts)


def _server_change(old: ServerView, new: ServerView) -> str:
    parts: list[str] = []
    added = [h for h in new.hosts if h not in old.hosts]
    removed = [h for h in old.hosts if h not in new.hosts]
    if added or removed:
        parts.append("hosts " + " ".join([*(f"+{h}" for h in added), *(f"-{h}" for h in removed)]))
    for k in sorted(set(old.tls) | set(new.tls)):
        before, after = old.tls.get(k), new.tls.get(k)
        if before != after:
            parts.append(f"{k} {after or 'unset'} (was {before or 'unset'})")
    return "; ".join(parts)


def _gateways(base: MeshView, head: MeshView, changes: list[Change], flags: list[Flag]) -> None:
    for ref in sorted(set(base.gateways) | set(head.gateways)):
        old, new = base.gateways.get(ref), head.gateways.get(ref)
        if new is not None and new.internet_facing:
            before = old.hosts if old is not None and old.internet_facing else frozenset()
            flags.extend(
                Flag("host newly on an internet-facing gateway", f"{h} on {ref}")
                for h in sorted(new.hosts - before)
            )
        if old is not None and new is not None and old.internet_facing != new.internet_facing:
            now = "internet-facing" if new.internet_facing else "not internet-facing"
            changes.append(Change("gateways", "~", f"gateway {ref}", f"now {now}"))
        old_servers = old.servers if old is not None else {}
        new_servers = new.servers if new is not None else {}
        for port in sorted(set(old_servers) | set(new_servers), key=_port_key):
            a, b = old_servers.get(port), new_servers.get(port)
            subject = f"{ref} {port}"
            if a is None and b is not None:
                changes.append(Change("gateways", "+", subject, _server_text(b)))
            elif b is None and a is not None:
                changes.append(Change("gateways", "-", subject, _server_text(a)))
            elif a is not None and b is not None and a != b:
                changes.append(Change("gateways", "~", subject, _server_change(a, b)))
                _tls_flags(subject, a, b, flags)


def _port_key(port: str) -> tuple[int, str]:
    number, _, proto = port.partition("/")
    return (int(number) if number.isdigit() else 0, proto)


def _tls_flags(subject: str, a: ServerView, b: ServerView, flags: list[Flag]) -> None:
    weaker = "weaker transport security"
    if a.tls.get("mode") and not b.tls.get("mode"):
        flags.append(Flag(weaker, f"{subject} TLS mode {a.tls['mode']} removed"))
    old_min = _TLS_VERSIONS.get(a.tls.get("minProtocolVersion", "TLS_AUTO"), 0)
    new_min = _TLS_VERSIONS.get(b.tls.get("minProtocolVersion", "TLS_AUTO"), 0)
    if new_min < old_min:
        flags.append(
            Flag(
                weaker,
                f"{subject} minProtocolVersion {b.tls.get('minProtocolVersion', 'unset')} "
                f"(was {a.tls['minProtocolVersion']})",
            )
        )
    if a.tls.get("httpsRedirect") == "true" and b.tls.get("httpsRedirect") != "true":
        flags.append(Flag(weaker, f"{subject} no longer redirects to HTTPS"))
    if a.tls.get("client CA") != b.tls.get("client CA"):
        now, was = b.tls.get("client CA", "none"), a.tls.get("client CA", "none")
        flags.append(Flag("trust anchor changed", f"{subject} client CA {now} (was {was})"))


def _route_text(r: RouteView) -> str:
    lead = "" if r.kind == "http" else f"{r.kind} "
    body = f"{lead}{r.match}"
    if r.destinations:
        body += f" → {r.destinations}"
    extras = "; ".join(r.extras.values())
    return f"{body}; {extras}" if extras else body


def _route_change(old: RouteView, new: RouteView) -> str:
    """The new match and split, the actions that changed, and their old values after ``was``."""
    now: list[str] = []
    was: list[str] = []
    if old.destinations != new.destinations:
        was.append(old.destinations or "no destination")
    for k in sorted(set(old.extras) | set(new.extras)):
        if old.extras.get(k) != new.extras.get(k):
            now.append(new.extras.get(k) or f"no {k}")
            was.append(old.extras.get(k) or f"no {k}")
    if old.source != new.source:
        now.append(f"VirtualService {new.source}")
        was.append(f"VirtualService {old.source}")
    lead = "" if new.kind == "http" else f"{new.kind} "
    text = f"{lead}{new.match}" + (f" → {new.destinations}" if new.destinations else "")
    return "; ".join([text, *now]) + f" (was {'; '.join(was)})"


def _routes(base: MeshView, head: MeshView, changes: list[Change]) -> None:
    for key in sorted(set(base.routes) | set(head.routes)):
        old, new = base.routes.get(key), head.routes.get(key)
        subject = f"{key[0]} on {key[1]}"
        if old is None and new is not None:
            where = _position(head.route_order.get(key[:3], ()), new.match, key[4])
            changes.append(Change("routes", "+", subject, _route_text(new) + where))
        elif new is None and old is not None:
            changes.append(Change("routes", "-", subject, _route_text(old)))
        elif old is not None and new is not None and old != new:
            changes.append(Change("routes", "~", subject, _route_change(old, new)))
    for group in sorted(set(base.route_order) & set(head.route_order)):
        before, after = base.route_order[group], head.route_order[group]
        common_before = [m for m in before if m in after]
        common_after = [m for m in after if m in before]
        if common_before != common_after:
            host, gw, kind = group
            changes.append(
                Change(
                    "routes",
                    "~",
                    f"{host} on {gw}",
                    f"{kind} rule order (first match wins): {', '.join(after)} (was {', '.join(before)})",
                )
            )


def _position(order: Sequence[str], match: str, n: int) -> str:
    label = match if n == 0 else f"{match} #{n + 1}"
    if label not in order:
        return ""
    i = order.index(label)
    return f" (before {order[i + 1]})" if i + 1 < len(order) else ""


def _egress_text(e: EgressView) -> str:
    sources = ", ".join(e.sources) or "no source allowed"
    trust = "".join(f"; {t}" for t in e.trust)
    return f"{e.ports}, {e.mode} via {e.gateway}, from {sources}{trust}"


def _egress(base: MeshView, head: MeshView, changes: list[Change], flags: list[Flag]) -> None:
    for host in sorted(set(base.egress) | set(head.egress)):
        old, new = base.egress.get(host), head.egress.get(host)
        if old is None and new is not None:
            changes.append(Change("egress", "+", host, _egress_text(new)))
        elif new is None and old is not None:
            changes.append(Change("egress", "-", host, _egress_text(old)))
        elif old is not None and new is not None and old != new:
            before = {
                "ports": old.ports,
                "mode": old.mode,
                "gateway": old.gateway,
                "sources": ", ".join(old.sources) or "none",
            }
            was = [f"{k} {v}" for k, v in before.items() if getattr(old, k) != getattr(new, k)]
            gone = [t for t in old.trust if t not in new.trust]
            came = [t for t in new.trust if t not in old.trust]
            if gone or came:
                was.extend(gone or ["the system trust store"])
                detail = "; ".join(came) or "the system trust store"
                flags.append(
                    Flag(
                        "trust anchor changed",
                        f"egress to {host}: {detail} (was {'; '.join(gone) or 'none'})",
                    )
                )
            changes.append(Change("egress", "~", host, f"{_egress_text(new)} (was {'; '.join(was)})"))


def _summarize_rule(data: Mapping[str, Any]) -> str:
    rule = data.get("rule")
    if not isinstance(rule, Mapping):
        effect = "denies" if data.get("action") == "ALLOW" else "matches"
        return f"{data.get('action')} (no rules: {effect} nothing)"
    parts = [str(data.get("action"))]
    for section, inner in (("from", "source"), ("to", "operation")):
        for item in rule.get(section) or []:
            fields = item.get(inner, {}) if isinstance(item, Mapping) else {}
            bits = [
                f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
                for k, v in sorted(fields.items())
            ]
            parts.append(f"{section} " + " ".join(bits))
    for cond in rule.get("when") or []:
        if isinstance(cond, Mapping):
            values = cond.get("values") or cond.get("notValues") or []
            neg = "!" if "notValues" in cond else ""
            parts.append(f"when {cond.get('key')}{neg}={','.join(map(str, values))}")
    return " ".join(parts)


def _rule_fields(rule: Any, names: Iterable[str], section: str = "from") -> dict[str, list[str]]:
    """The values of the ``source`` (or, for ``to``, ``operation``) fields ``names`` of a rule."""
    inner = "source" if section == "from" else "operation"
    out: dict[str, list[str]] = {}
    if not isinstance(rule, Mapping):
        return out
    for item in rule.get(section) or []:
        fields = item.get(inner, {}) if isinstance(item, Mapping) else {}
        for name in names:
            out.setdefault(name, []).extend(str(v) for v in fields.get(name) or [])
    return {k: v for k, v in out.items() if v}


def _without(rule: Any, names: Sequence[str]) -> str:
    """``rule`` as JSON without the source fields ``names`` and the operation fields it applies to.

    Any shape is accepted (a rule is user YAML): a field of the wrong type counts as empty, and
    keys are compared as strings, so ``{1: a, b: c}`` sorts instead of failing."""
    if not isinstance(rule, Mapping):
        return json.dumps(_keys_as_text(rule), sort_keys=True)
    stripped = dict(rule)
    stripped["from"] = [
        {"source": {k: v for k, v in _map(i.get("source")).items() if k not in names}}
        for i in _list(rule.get("from"))
        if isinstance(i, Mapping)
    ]
    stripped["to"] = [
        {"operation": {k: v for k, v in _map(i.get("operation")).items() if k not in _TO_FIELDS}}
        for i in _list(rule.get("to"))
        if isinstance(i, Mapping)
    ]
    return json.dumps(_keys_as_text(stripped), sort_keys=True)


def _map(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _keys_as_text(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _keys_as_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_keys_as_text(v) for v in value]
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def _covered(cidrs: Iterable[str], by: Iterable[str]) -> list[str]:
    """The entries of ``cidrs`` that no entry of ``by`` contains (strings that are not CIDRs
    must match exactly)."""
    nets = []
    for b in by:
        try:
            nets.append(ipaddress.ip_network(b, strict=False))
        except ValueError:
            nets.append(b)  # type: ignore[arg-type]
    out = []
    for c in cidrs:
        try:
            net = ipaddress.ip_network(c, strict=False)
        except ValueError:
            if c not in nets:
                out.append(c)
            continue
        if not any(
            not isinstance(n, str) and n.version == net.version and net.subnet_of(n)  # type: ignore[arg-type]
            for n in nets
        ):
            out.append(c)
    return out


def _policy(base: MeshView, head: MeshView, changes: list[Change], flags: list[Flag]) -> None:
    for ref in sorted(set(base.policy_rules) | set(head.policy_rules)):
        old_rules = [json.loads(r) for r in sorted(base.policy_rules.get(ref, ()))]
        new_rules = [json.loads(r) for r in sorted(head.policy_rules.get(ref, ()))]
        removed = [r for r in old_rules if r not in new_rules]
        added = [r for r in new_rules if r not in old_rules]
        pairs = _policy_flags(ref, removed, added if ref in base.policy_rules else [], flags)
        edited = {i for i, _ in pairs}
        for i, j in pairs:
            was = _summarize_rule(removed[i])
            changes.append(Change("policy", "~", ref, f"{_summarize_rule(added[j])} (was {was})"))
        for i, r in enumerate(removed):
            if i not in edited:
                changes.append(Change("policy", "-", ref, _summarize_rule(r)))
        paired = {j for _, j in pairs}
        for j, r in enumerate(added):
            if j not in paired:
                changes.append(Change("policy", "+", ref, _summarize_rule(r)))
    for ref in sorted(set(base.jwt_issuers) | set(head.jwt_issuers)):
        old_set, new_set = base.jwt_issuers.get(ref, frozenset()), head.jwt_issuers.get(ref, frozenset())
        for r in sorted(old_set - new_set):
            issuer = json.loads(r).get("issuer", "?")
            changes.append(Change("policy", "-", ref, f"JWT issuer {issuer} {r}"))
            if not any(json.loads(n).get("issuer") == issuer for n in new_set):
                flags.append(Flag("JWT rule removed", f"{ref} no longer accepts tokens of {issuer}"))
        for r in sorted(new_set - old_set):
            changes.append(Change("policy", "+", ref, f"JWT issuer {json.loads(r).get('issuer', '?')} {r}"))
    for ref in sorted(set(base.source_ranges) | set(head.source_ranges)):
        before, after = base.source_ranges.get(ref), head.source_ranges.get(ref)
        if before == after:
            continue
        if before is None or after is None:
            op, ranges = ("+", after) if before is None else ("-", before)
            shown = ", ".join(ranges or ()) or "any address"
            changes.append(Change("policy", op, ref, f"load balancer admitting {shown}"))
            continue
        shown, was = ", ".join(after) or "any address", ", ".join(before) or "any address"
        changes.append(Change("policy", "~", ref, f"loadBalancerSourceRanges {shown} (was {was})"))
        if before:
            wider = _covered(after, before) if after else ["any address"]
            if wider:
                flags.append(Flag("wider source range", f"{ref} now admits {', '.join(wider)}"))
    for ref in sorted(set(base.peer_auth) | set(head.peer_auth)):
        pa_before, pa_after = base.peer_auth.get(ref), head.peer_auth.get(ref)
        if pa_before == pa_after:
            continue
        if pa_before is None or pa_after is None:
            op = "+" if pa_before is None else "-"
            changes.append(Change("policy", op, ref, f"mTLS {pa_after or pa_before}"))
        else:
            changes.append(Change("policy", "~", ref, f"mTLS {pa_after} (was {pa_before})"))
        if pa_before == "STRICT":
            flags.append(
                Flag("weaker transport security", f"{ref} mTLS {pa_after or 'removed'} (was STRICT)")
            )
    for w in sorted(head.wildcards - base.wildcards):
        flags.append(Flag("new wildcard", w))


def _rule_kind(r: Mapping[str, Any]) -> str:
    """``firewall``, ``JWT`` or the action, for the flag of a removed or narrowed rule."""
    rule = r.get("rule")
    if _rule_fields(rule, _IP_FIELDS):
        return "firewall"
    if _rule_fields(rule, _JWT_FIELDS) or "request.auth" in json.dumps(rule):
        return "JWT"
    return str(r.get("action", "")).split()[0] if r.get("action") else "policy"


def _pair(
    rule: Mapping[str, Any], candidates: list[dict[str, Any]], paired: set[int], fields: Sequence[str]
) -> int | None:
    """The index of an unpaired candidate equal to ``rule`` but for the source ``fields``."""
    shape = _without(rule.get("rule"), fields)
    for i, c in enumerate(candidates):
        if (
            i not in paired
            and c.get("action") == rule.get("action")
            and _without(c.get("rule"), fields) == shape
        ):
            paired.add(i)
            return i
    return None


def _policy_flags(
    ref: str, removed: list[dict[str, Any]], added: list[dict[str, Any]], flags: list[Flag]
) -> list[tuple[int, int]]:
    """Flag removed DENY/CUSTOM rules, and rules that now let more sources through; return the
    (removed, added) index pairs that are one edited rule.

    A removed rule and an added one that differ only in their sources and in the hosts, ports,
    paths and methods they apply to are one edited rule. A DENY rule lets more through when its
    ``notIpBlocks`` admit more, its ``ipBlocks`` deny less, or it applies to fewer hosts, ports,
    paths or methods (a DENY rule that now names more hosts is not flagged: it protects more). An
    ALLOW rule lets more through when it names more sources or operations. ``added`` is empty for
    a policy that is new, since a new ALLOW policy narrows (everything it does not list is denied).
    """
    paired: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for index, r in enumerate(removed):
        action = str(r.get("action", ""))
        rule = r.get("rule")
        deny = action.startswith(("DENY", "CUSTOM"))
        fields = _IP_FIELDS if deny else _SOURCE_FIELDS
        twin = _pair(r, added, paired, fields)
        if twin is None:
            if deny:
                flags.append(Flag(f"{_rule_kind(r)} rule removed", f"{ref}: {_summarize_rule(r)}"))
            continue
        pairs.append((index, twin))
        new_rule = added[twin].get("rule")
        old_to, new_to = _rule_fields(rule, _TO_FIELDS, "to"), _rule_fields(new_rule, _TO_FIELDS, "to")
        if deny:
            old, new = _rule_fields(rule, fields), _rule_fields(new_rule, fields)
            wider = [
                *(
                    f"now admits {c}"
                    for c in _covered(new.get("notIpBlocks", []), old.get("notIpBlocks", []))
                ),
                *(
                    f"now admits {c}"
                    for c in _covered(new.get("notRemoteIpBlocks", []), old.get("notRemoteIpBlocks", []))
                ),
                *(
                    f"no longer denies all of {c}"
                    for c in _covered(old.get("ipBlocks", []), new.get("ipBlocks", []))
                ),
                *(
                    f"no longer denies all of {c}"
                    for c in _covered(old.get("remoteIpBlocks", []), new.get("remoteIpBlocks", []))
                ),
            ]
            flags.extend(Flag("wider source range", f"{ref} {w}") for w in wider)
            # A DENY rule that covers (when its "to" lists are empty: everything) less than before.
            narrower = [
                f"{k}={v}"
                for k in _TO_FIELDS
                for v in old_to.get(k, [])
                if new_to.get(k) and v not in new_to[k]
            ]
            narrower += [f"{k}=(any)" for k in _TO_FIELDS if k in new_to and k not in old_to]
            if narrower:
                flags.append(
                    Flag(
                        f"{_rule_kind(r)} rule narrowed", f"{ref} no longer applies to {', '.join(narrower)}"
                    )
                )
        else:
            old, new = _rule_fields(rule, fields), _rule_fields(new_rule, fields)
            wider = [
                f"now also admits {k}={v}"
                for k in fields
                for v in new.get(k, [])
                if v not in old.get(k, []) and not k.startswith("not")
            ]
            wider += [
                f"now also allows {k}={v}"
                for k in _TO_FIELDS
                for v in new_to.get(k, [])
                if v not in old_to.get(k, [])
            ]
            flags.extend(Flag("wider source range", f"{ref} {w}") for w in wider)
    for i, a in enumerate(added):
        # Rules of one ALLOW policy are ORed: one more rule lets more through.
        if i not in paired and str(a.get("action", "")).startswith("ALLOW"):
            flags.append(Flag("wider source range", f"{ref} allows more: {_summarize_rule(a)}"))
    return pairs


def diff_views(base: MeshView, head: MeshView) -> MeshDiff:
    """What changes for traffic going from ``base`` to ``head``.

    Args:
        base: The view of the config before the change (the base branch).
        head: The view after it.

    Returns:
        Flags and changes, each list in a fixed order (section, then subject), so the same two
        configs always give the same bytes.
    """
    changes: list[Change] = []
    flags: list[Flag] = []
    _gateways(base, head, changes, flags)
    _routes(base, head, changes)
    _egress(base, head, changes, flags)
    _policy(base, head, changes, flags)
    return MeshDiff(tuple(dict.fromkeys(flags)), tuple(changes))
