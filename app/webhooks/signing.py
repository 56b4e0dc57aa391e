"""Pure: sign a webhook body and check a signature, as Primo sends it and as a receiver should verify it.

    Primo-Signature: t=1733340000,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>

The timestamp is inside the signed text, so an old delivery cannot be sent again with a fresh time: a receiver
rejects a signature whose timestamp is more than `TOLERANCE` seconds away from its own clock (a replay), then
compares the HMAC in constant time. This module imports nothing but the standard library: copy it into a receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Primo-Signature"
TOLERANCE = 300  # seconds: five minutes either way


class SignatureError(ValueError):
    """A signature a receiver must reject: missing, malformed, too old, or not made with the secret."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `timestamp + "." + body` with `secret`."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The `Primo-Signature` value for a body sent at `timestamp` (seconds since the epoch)."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str | None, body: bytes, now: float | None = None, tolerance: int = TOLERANCE) -> int:
    """Check a `Primo-Signature` header against the raw body received; return its timestamp, or raise
    SignatureError. Give the bytes exactly as received (before any JSON parsing)."""
    if not header:
        raise SignatureError("no signature")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("no timestamp in the signature") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("the signature's timestamp is too old (or in the future)")
    expected = sign(secret, timestamp, body)
    # Several v1 values may come while the sender rotates secrets: one matching is enough.
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise SignatureError("the signature does not match")
    return timestamp
