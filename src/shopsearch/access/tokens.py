"""Shopper tokens: a browser may act for its own shopper only.

A token is `st1.<user id, base64url>.<expiry, unix seconds>.<HMAC-SHA256 hex of what precedes it>`,
signed with `auth.shopper_secret`. The shop's back end mints one when a shopper signs in (this
module's `sign`, `shopsearch users token USER_ID`, or the same five lines in any language) and hands
it to the page; the API trusts the user id inside only when the signature and expiry hold.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

VERSION = "st1"
_HEX64 = re.compile(r"[0-9a-f]{64}")  # compare_digest refuses non-ASCII text with a TypeError


class InvalidToken(ValueError):
    """Malformed, tampered with, or expired."""


def sign(secret: str, user_id: str, ttl_s: int, now: float | None = None) -> str:
    expires = int(time.time() if now is None else now) + ttl_s
    user = base64.urlsafe_b64encode(user_id.encode()).rstrip(b"=").decode()
    payload = f"{VERSION}.{user}.{expires}"
    return f"{payload}.{_mac(secret, payload)}"


def verify(secret: str, token: str, now: float | None = None) -> str:
    """The shopper's user id; InvalidToken says why not."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION:
        raise InvalidToken("not a shopper token")
    payload = ".".join(parts[:3])
    if not _HEX64.fullmatch(parts[3]) or not hmac.compare_digest(_mac(secret, payload), parts[3]):
        raise InvalidToken("bad signature")
    if not parts[2].isdigit() or int(parts[2]) < (time.time() if now is None else now):
        raise InvalidToken("expired")
    try:
        return base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("bad user id") from None


def is_token(credential: str) -> bool:
    return credential.startswith(VERSION + ".")


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
