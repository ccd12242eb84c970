"""Host names as Istio compares them: exact names, left-most wildcards, ``namespace/host`` scoping."""

from __future__ import annotations

__all__ = ["fqdn", "host_matches", "hosts_intersect", "service_of", "split_scoped_host"]

CLUSTER_DOMAIN = "cluster.local"


def host_matches(pattern: str, host: str) -> bool:
    """Whether ``host`` (possibly a wildcard) is covered by ``pattern`` (possibly a wildcard).

    ``*`` covers everything; ``*.example.com`` covers ``a.example.com`` and ``*.a.example.com`` but not
    ``example.com``.
    """
    if pattern == "*" or pattern == host:
        return True
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".example.com"
        return host.endswith(suffix) and len(host) > len(suffix)
    return False


def hosts_intersect(a: str, b: str) -> bool:
    """Whether some concrete name matches both ``a`` and ``b``."""
    return host_matches(a, b) or host_matches(b, a)


def split_scoped_host(host: str) -> tuple[str, str]:
    """Split a Gateway/Sidecar host ``[ns/]dnsName`` into (namespace part, dnsName); ``*`` if omitted."""
    ns, sep, name = host.rpartition("/")
    return (ns, name) if sep else ("*", host)


def fqdn(host: str, namespace: str) -> str:
    """Resolve a short service name the way Istio does for a rule in ``namespace``.

    Only a name without a dot is short (istiod's ``ResolveShortnameToFQDN``): ``reviews`` ->
    ``reviews.<namespace>.svc.cluster.local``. Anything with a dot is taken as written.
    """
    if "." in host or host == "*":
        return host
    return f"{host}.{namespace}.svc.{CLUSTER_DOMAIN}"


def service_of(host: str) -> tuple[str, str] | None:
    """(name, namespace) of a Kubernetes Service FQDN ``name.namespace.svc.cluster.local``, else None."""
    name, _, rest = host.partition(".")
    ns, _, domain = rest.partition(".")
    return (name, ns) if name and ns and domain == f"svc.{CLUSTER_DOMAIN}" else None
