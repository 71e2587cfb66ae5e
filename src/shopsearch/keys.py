"""API keys: random secrets handed to a shop's services, stored only as SHA-256 digests, each with one role.

The roles nest: `search` < `events` < `admin` (a back end that may post events may also search).
Keys are 256-bit random, so a plain SHA-256 (no salt, no slow hash) cannot be reversed or guessed;
digests are compared with hmac.compare_digest against every configured key, so the time taken says
nothing about which one nearly matched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

Role = Literal["search", "events", "admin"]
ROLES: tuple[Role, ...] = ("search", "events", "admin")


def new_key() -> str:
    return "sk_" + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def match(key: str, digests: dict[str, Role]) -> Role | None:
    """The role of the key whose digest is among `digests` (digest -> role), else None."""
    found: Role | None = None
    asked = digest(key)
    for known, role in digests.items():
        if hmac.compare_digest(asked, known):
            found = role
    return found


def covers(role: Role | None, needed: Role) -> bool:
    return role is not None and ROLES.index(role) >= ROLES.index(needed)
