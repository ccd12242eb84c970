"""The pool allocator's guarantees (pulumi_meshgw/ipam.py), as properties.

Small pools force collisions, so the interesting cases (probing, displacement, exhaustion) happen
often.
"""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_meshgw.ipam import Claim, PoolDef, allocate, preferred_offset

NET = ipaddress.ip_network("10.9.0.0/28")  # 14 usable addresses
POOL = PoolDef("p", NET, (ipaddress.ip_network("10.9.0.4/31"),))  # 12 after the reservation
USABLE = [str(ip) for ip in NET.hosts() if ip not in POOL.reserved[0]]

owners = st.lists(st.text("abcdefgh", min_size=1, max_size=4), min_size=1, max_size=10, unique=True)


def claims(names: list[str], pins: dict[str, str] | None = None) -> list[Claim]:
    pins = pins or {}
    return [Claim(n, "p", f"claims[{n}]", pins.get(n)) for n in names]


@settings(max_examples=150, deadline=None)
@given(owners, st.randoms(use_true_random=False))
def test_deterministic_whatever_the_order(names: list[str], rnd: object) -> None:
    shuffled = list(names)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a = allocate([POOL], claims(names))
    b = allocate([POOL], claims(shuffled))
    assert a.addresses == b.addresses
    assert sorted(map(str, a.warnings)) == sorted(map(str, b.warnings))


@settings(max_examples=200, deadline=None)
@given(owners, st.text("ijklmn", min_size=1, max_size=3), st.booleans(), st.sampled_from(USABLE))
def test_adding_or_removing_one_moves_only_reported_claimants(
    names: list[str], newcomer: str, pin_it: bool, pin: str
) -> None:
    pins = {newcomer: pin} if pin_it else {}
    small = allocate([POOL], claims(names))
    large = allocate([POOL], claims([*names, newcomer], pins))
    warned = {w.path for w in large.warnings}
    for name in names:
        if name not in small.addresses or name not in large.addresses:
            continue  # exhausted in one of the runs: an error, not a move
        assert small.addresses[name] in USABLE and large.addresses[name] in USABLE
        if small.addresses[name] != large.addresses[name]:
            # A move is never silent: in the run with more claimants it is off its preferred
            # address, and that run warns about it (MGW0707).
            assert large.addresses[name] != large.preferred[name]
            assert f"claims[{name}]" in warned
        if large.addresses.get(name) == large.preferred.get(name):
            assert small.addresses[name] == large.addresses[name]


@settings(max_examples=150, deadline=None)
@given(owners)
def test_no_address_twice_never_reserved_and_exhaustion_reported(names: list[str]) -> None:
    result = allocate([POOL], claims(names))
    got = list(result.addresses.values())
    assert len(got) == len(set(got))
    assert all(ip in USABLE for ip in got)
    assert len(got) == min(len(names), len(USABLE))
    exhausted = [e for e in result.errors if e.code == "MGW0705"]
    assert len(exhausted) == max(0, len(names) - len(USABLE))


@settings(max_examples=100, deadline=None)
@given(owners, st.sampled_from(USABLE))
def test_pins_never_move(names: list[str], pin: str) -> None:
    pinned = names[0]
    result = allocate([POOL], claims(names, {pinned: pin}))
    assert result.addresses[pinned] == pin
    assert list(result.addresses.values()).count(pin) == 1


def test_preferred_offset_depends_on_the_identity_only() -> None:
    assert preferred_offset("workload istio-ingress/public", 14) == preferred_offset(
        "workload istio-ingress/public", 14
    )
    # Spread: 200 identities over 14 slots use most slots.
    assert len({preferred_offset(f"w{i}", 14) for i in range(200)}) == 14


def test_large_reserved_blocks_are_skipped_whole() -> None:
    pool = PoolDef("p", ipaddress.ip_network("2001:db8::/64"), (ipaddress.ip_network("2001:db8::/65"),))
    result = allocate([pool], claims(["a", "b", "c"]))
    assert not result.errors
    assert all(ipaddress.ip_address(ip) not in pool.reserved[0] for ip in result.addresses.values())
