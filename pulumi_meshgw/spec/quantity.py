"""Kubernetes resource quantities (``500m``, ``1Gi``): checked at preview, written in canonical form.

The API server stores every quantity in one canonical spelling: ``2000m`` becomes ``2`` and
``1024Mi`` becomes ``1Gi``. A program that sends another spelling gets back a different value than it
sent, and a preview after ``pulumi refresh`` shows that as a change (pulumi-kubernetes#644). Render
writes the canonical form, so the sent and the stored object are the same.

The rules are those of ``k8s.io/apimachinery/pkg/api/resource/quantity.go`` (``CanonicalizeBytes``):
no precision lost, no fractional digits, the largest suffix that keeps the number whole; binary
suffixes (``Ki``...``Ei``) stay binary for whole values of 1024 or more, anything else is written
with decimal suffixes (``n``, ``u``, ``m``, none, ``k``, ``M``...``E``). Exponent notation
(``1e3``) is kept as written.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["canonical_quantity", "parse_quantity"]

# The grammar of quantity.go: a signed decimal number and an optional suffix.
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?P<suffix>[a-zA-Z]*|[eE][+-]?[0-9]+)$"
)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse_quantity(text: str) -> tuple[Decimal, str]:
    """Read a quantity.

    Args:
        text: A Kubernetes quantity such as ``500m``, ``1.5``, ``64Mi`` or ``1e3``.

    Returns:
        (value, format): the exact value and ``binary``, ``decimal`` or ``exponent``.

    Raises:
        ValueError: If ``text`` is not a quantity; the message names the value and the forms.
    """
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    suffix = match["suffix"] if match else ""
    if match is None or not (suffix in _BINARY or suffix in _DECIMAL or suffix[:1] in ("e", "E")):
        raise ValueError(
            f"{text!r} is not a Kubernetes quantity; write a number with an optional suffix, such as "
            "500m or 2 (CPU) and 128Mi or 1Gi (memory)"
        )
    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from None
    if suffix in _BINARY:
        return number * (Decimal(2) ** _BINARY[suffix]), "binary"
    if suffix in _DECIMAL:
        return number.scaleb(_DECIMAL[suffix]), "decimal"
    return number.scaleb(int(suffix[1:])), "exponent"


def _decimal_form(value: Decimal) -> str | None:
    for suffix, exponent in sorted(_DECIMAL.items(), key=lambda item: -item[1]):
        mantissa = value.scaleb(-exponent)
        if mantissa == mantissa.to_integral_value():
            return f"{int(mantissa)}{suffix}"
    return None  # finer than a nano: quantity.go rounds; keep what the user wrote


def canonical_quantity(text: str) -> str:
    """The spelling the API server stores for ``text``.

    Examples: ``2000m`` -> ``2``, ``1024Mi`` -> ``1Gi``, ``0.5`` -> ``500m``, ``1.5Gi`` ->
    ``1536Mi``, ``128Mi`` -> ``128Mi``.

    Args:
        text: A Kubernetes quantity.

    Returns:
        The canonical form (exponent notation and sub-nano values as written).

    Raises:
        ValueError: If ``text`` is not a quantity.
    """
    value, form = parse_quantity(text)
    if value == 0:
        return "0"
    if form == "exponent":
        return text.strip()
    if form == "binary" and value == value.to_integral_value() and abs(value) >= 1024:
        whole = int(value)
        for suffix, bits in sorted(_BINARY.items(), key=lambda item: -item[1]):
            if whole % (1 << bits) == 0:
                return f"{whole >> bits}{suffix}"
        return str(whole)
    return _decimal_form(value) or text.strip()
