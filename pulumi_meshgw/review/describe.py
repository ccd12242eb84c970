"""Short, stable words for route parts: a match, a destination split, a redirect, a retry policy.

These strings are what a reviewer reads in ``meshgw diff`` and what the diff compares, so each one
is canonical: the parts of a value that Istio ignores the order of are sorted, and the ones it does
not (the ``http`` routes themselves) are kept in order by the caller.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..analysis._access import integer, mapping, seq, text
from ..analysis.hosts import CLUSTER_DOMAIN

__all__ = [
    "canonical_json",
    "describe_destinations",
    "describe_extras",
    "describe_match",
    "short_host",
]

_STRING_MATCH = {"exact": "=", "prefix": "", "regex": "~"}


def _str_keys(value: Any) -> Any:
    """``value`` with every map key a string (YAML allows ``1:`` or ``true:`` as keys)."""
    if isinstance(value, Mapping):
        return {str(k): _str_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_str_keys(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys, for any value read from YAML (non-string keys, dates).

    Args:
        value: Plain data.

    Returns:
        The same text for equal values, whatever their key order.
    """
    return json.dumps(
        _str_keys(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def short_host(host: str, namespace: str) -> str:
    """``shop`` for ``shop.<namespace>.svc.cluster.local``, ``shop.other`` for another namespace.

    Args:
        host: A destination host as written in the route.
        namespace: The route's namespace, where a short name resolves.

    Returns:
        The shortest name that still says where the traffic goes; external hosts unchanged.
    """
    suffix = f".svc.{CLUSTER_DOMAIN}"
    if not host.endswith(suffix):
        return host
    name, _, ns = host[: -len(suffix)].partition(".")
    return name if ns == namespace else f"{name}.{ns}"


def _string_match(value: Any) -> str:
    m = mapping(value)
    for key, sign in _STRING_MATCH.items():
        if isinstance(m.get(key), str):
            return f"{sign}{m[key]}"
    return canonical_json(value) if value is not None else ""


def _one_match(m: Mapping[str, Any]) -> str:
    """One ``HTTPMatchRequest``/``TLSMatchAttributes``/``L4MatchAttributes`` as one token."""
    parts: list[str] = []
    if "uri" in m:
        parts.append(_string_match(m["uri"]))
    for key in ("method", "authority", "scheme"):
        if key in m:
            parts.append(f"{key}{_string_match(m[key])}")
    for key in ("headers", "queryParams", "withoutHeaders"):
        for name, value in sorted(mapping(m.get(key)).items(), key=lambda item: str(item[0])):
            sign = "!" if key == "withoutHeaders" else ("?" if key == "queryParams" else "")
            parts.append(f"[{sign}{name}{_string_match(value) or ''}]")
    if integer(m.get("port")) is not None:
        parts.append(f":{m['port']}")
    hosts = sorted(h for h in seq(m.get("sniHosts")) if isinstance(h, str))
    if hosts:
        parts.append("sni " + ",".join(hosts))
    for key in ("sourceLabels", "sourceNamespace", "destinationSubnets", "gateways", "ignoreUriCase", "name"):
        if key in m and key not in ("gateways",):
            parts.append(f"{key}={canonical_json(m[key])}")
    return " ".join(parts) or "*"


def describe_match(matches: Any) -> str:
    """The match conditions of one route: ``/api``, ``/api [x-canary=1]``, ``*`` for any request.

    Conditions in one match are ANDed and listed in a fixed order; the matches of a route are ORed,
    so their order does not matter and they are sorted (``/a | /b``). A prefix is written as is,
    an exact path with ``=``, a regex with ``~``.

    Args:
        matches: The route's ``match`` list (any value; malformed entries are shown as JSON).

    Returns:
        One line.
    """
    tokens = sorted({_one_match(mapping(m)) for m in seq(matches)})
    return " | ".join(tokens) if tokens else "*"


def _destination(dest: Mapping[str, Any], namespace: str) -> tuple[str, str]:
    d = mapping(dest.get("destination"))
    host = short_host(text(d.get("host")) or "?", namespace)
    port = integer(mapping(d.get("port")).get("number"))
    where = f"{host}:{port}" if port is not None else host
    return where, text(d.get("subset")) or ""


def describe_destinations(route: Sequence[Any], namespace: str) -> str:
    """A weighted split as one phrase: ``shop:8080 v1 90% / v2 10%``.

    Destinations are sorted (Istio picks by weight; their order in the list means nothing). A
    destination without a weight gets the rest of 100, as Istio does for a single destination.

    Args:
        route: The rule's ``route`` list.
        namespace: The route's namespace, for short service names.

    Returns:
        The split, or ``no destination`` for an empty list.
    """
    items = [mapping(r) for r in route]
    if not items:
        return "no destination"
    weights = [integer(r.get("weight")) for r in items]
    given = sum(w for w in weights if w is not None)
    missing = [i for i, w in enumerate(weights) if w is None]
    parts: list[tuple[str, str, int]] = []
    for i, r in enumerate(items):
        w = weights[i]
        if w is None:
            w = (100 - given) // len(missing) if given < 100 else 0
        where, subset = _destination(r, namespace)
        parts.append((where, subset, w))
    parts.sort(key=lambda p: (-p[2], p[0], p[1]))
    out: list[str] = []
    last = None
    for where, subset, w in parts:
        label = " ".join(x for x in ((where if where != last else ""), subset, f"{w}%") if x)
        out.append(label)
        last = where
    return " / ".join(out)


def describe_extras(rule: Mapping[str, Any], namespace: str) -> dict[str, str]:
    """Everything a route does besides matching and splitting, one short phrase per field.

    Args:
        rule: One ``http``/``tls``/``tcp`` rule of a VirtualService.
        namespace: The route's namespace, for short service names.

    Returns:
        Field name to phrase, for the fields that are set: ``redirect``, ``rewrite``, ``timeout``,
        ``retries``, ``mirror``, ``fault``, ``directResponse``, ``headers``, ``corsPolicy`` and any
        other field (as compact JSON).
    """
    out: dict[str, str] = {}
    for key in sorted(rule, key=str):
        value = rule[key]
        if key in ("match", "route", "name") or value is None:
            continue
        if key == "redirect":
            r = mapping(value)
            target = "".join(
                (
                    f"{r['scheme']}://" if "scheme" in r else "",
                    str(r.get("authority", "")),
                    f":{r['port']}" if "port" in r else "",
                    str(r.get("uri", "")),
                )
            )
            code = r.get("redirectCode", 301)
            out[key] = f"redirect {code} → {target or canonical_json(r)}"
        elif key == "rewrite":
            r = mapping(value)
            bits = [
                f"uri {r['uri']!s}" if "uri" in r else "",
                f"authority {r['authority']!s}" if "authority" in r else "",
            ]
            if "uriRegexRewrite" in r:
                bits.append(f"uri ~{canonical_json(r['uriRegexRewrite'])}")
            out[key] = "rewrite " + (" ".join(b for b in bits if b) or canonical_json(value))
        elif key == "timeout":
            out[key] = f"timeout {value}"
        elif key == "retries":
            r = mapping(value)
            bits = [f"{r.get('attempts', '?')}x"]
            if "perTryTimeout" in r:
                bits.append(f"{r['perTryTimeout']}")
            if "retryOn" in r:
                bits.append(f" on {r['retryOn']}")
            out[key] = "retries " + "".join(bits)
        elif key == "mirror":
            d = mapping(value)
            port = integer(mapping(d.get("port")).get("number"))
            host = short_host(text(d.get("host")) or "?", namespace)
            pct = mapping(rule.get("mirrorPercentage")).get("value", 100)
            out[key] = f"mirror {host}{f':{port}' if port is not None else ''} {pct}%"
        elif key == "mirrorPercentage":
            continue  # part of "mirror"
        else:
            out[key] = f"{key} {canonical_json(value)}"
    return out
