"""Stack-wide bookkeeping for the security objects Gateways share."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import Problem, show
from ..render._meta import Manifest
from ._runtime import ComponentConfigError, StackState

__all__ = ["shared_peer_authentications"]


def shared_peer_authentications(
    extras: Sequence[Manifest], state: StackState, context: str
) -> list[Manifest]:
    """Drop the PeerAuthentications an earlier Gateway of the stack already registered.

    A namespace has one namespace-wide PeerAuthentication (``default``), however many Gateways name
    it; the first Gateway registers it. A different mode for the same namespace is an error
    (MGW0153).

    Raises:
        ComponentConfigError: another Gateway set a different mode for the namespace.
    """
    out: list[Manifest] = []
    for m in extras:
        if m["kind"] != "PeerAuthentication":
            out.append(m)
            continue
        ns = m["metadata"]["namespace"]
        existing = state.index.objects.get(("PeerAuthentication", ns, m["metadata"]["name"]))
        if existing is None:
            out.append(m)
            continue
        have, want = existing["spec"]["mtls"]["mode"], m["spec"]["mtls"]["mode"]
        if have != want:
            raise ComponentConfigError(
                [
                    Problem(
                        "authentication.peerAuthentication.mode",
                        f"namespace {show(ns)} already has PeerAuthentication mode {have} from another "
                        f"Gateway; one namespace has one namespace-wide policy: use {have} here too",
                        "MGW0153",
                    )
                ],
                context=context,
            )
    return out
