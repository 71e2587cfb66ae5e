"""Access control for every request: who is calling (an API key's role, or a shopper token's user) and
whether the endpoint lets them.

Each endpoint needs a role (NEEDS; unlisted endpoints need admin, so a new one is closed until
listed); a shopper token counts as `search` plus acting for its own user. Personal calls (search
or for-you with a user_id, posting events) check the user in the view with `act_for`. With no keys
configured the API is open, which `serve` allows on a loopback address only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from flask import Flask, g, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from flask_openapi3.types import ResponseDict, SecuritySchemesDict
from werkzeug.exceptions import Forbidden, Unauthorized

from shopsearch import keys
from shopsearch.access import tokens
from shopsearch.config import AuthSettings
from shopsearch.keys import Role
from shopsearch.search_api.metrics import app_metrics
from shopsearch.search_api.schemas import ERRORS, Error

PUBLIC = None
PUBLIC_PREFIXES = ("openapi.", "swagger.")  # the API's own documentation pages
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
NEEDS: dict[str, Role | None] = {
    "ops.health": PUBLIC,
    "ops.openapi": PUBLIC,
    "web.index": PUBLIC,
    "web.admin": PUBLIC,
    "web.static": PUBLIC,
    "static": PUBLIC,
    "search.search": "search",
    "search.product": "search",
    "search.suggest": "search",
    "recommend.similar": "search",
    "recommend.bought_together": "search",
    "recommend.for_you": "search",
    "events.post_events": "search",  # every event must be the caller's own shopper's, or the role events
    "users.list_users": "admin",
    "users.get_vector": "admin",
    "users.set_vector": "admin",
    "users.forget_user": "admin",
    "ops.metrics": "admin",
    "ops.admin_analytics": "admin",
}
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}, {"shopperToken": []}]
RESPONSES: ResponseDict = {401: Error, 403: Error}
SCHEMES: SecuritySchemesDict = {
    "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key (role search, events or admin)."},
    "shopperToken": {"type": "http", "scheme": "bearer", "description": "A shopper token: acts for one user."},
}


@dataclass(frozen=True)
class Caller:
    role: Role | None = None  # from an API key
    shopper: str | None = None  # the user a shopper token acts for
    open: bool = False  # no keys configured

    def may(self, needed: Role) -> bool:
        return self.open or keys.covers(self.role, needed) or (needed == "search" and self.shopper is not None)

    def may_act_for(self, user_id: str) -> bool:
        return self.may("events") or self.shopper == user_id


def blueprint(name: str, import_name: str, tag: str, url_prefix: str | None = None) -> APIBlueprint:
    """A blueprint of endpoints behind credentials: documented with the security schemes, the refusals and
    the errors every endpoint that takes input and reads the engine may answer."""
    return APIBlueprint(
        name,
        import_name,
        url_prefix=url_prefix,
        abp_tags=[Tag(name=tag)],
        abp_security=SECURITY,
        abp_responses={**ERRORS, **RESPONSES},
    )


def act_for(user_id: str | None) -> None:
    """Refuse (403) a personal call for a user the caller may not act for."""
    if user_id is not None and not g.caller.may_act_for(user_id):
        _refuse(Forbidden, f"this credential may not act for user {user_id!r}")


def require(role: Role, what: str) -> None:
    """Refuse (403) a request option that needs more than the endpoint's own role."""
    if not g.caller.may(role):
        _refuse(Forbidden, f"{what} needs the role {role!r}")


def install(app: Flask, auth: AuthSettings) -> None:
    roles = auth.roles()
    secret = auth.shopper_secret.get_secret_value() if auth.shopper_secret else None

    @app.before_request
    def check() -> None:
        if not auth.enabled and request.host.rsplit(":", 1)[0].strip("[]") not in LOOPBACK_NAMES:
            # Open means loopback only: a page elsewhere could point its own name at 127.0.0.1 (DNS rebinding).
            _refuse(Forbidden, "without API keys this API answers requests to a loopback address only")
        g.caller = Caller(open=True) if not auth.enabled else _identify(roles, secret)
        endpoint = request.endpoint
        if endpoint is None or endpoint.startswith(PUBLIC_PREFIXES):
            return
        if (needed := NEEDS.get(endpoint, "admin")) is PUBLIC or g.caller.may(needed):
            return
        if g.caller == Caller():
            _refuse(Unauthorized, "credentials required: Authorization: Bearer <API key or shopper token>")
        _refuse(Forbidden, f"this endpoint needs the role {needed!r}")


def _identify(roles: dict[str, Role], secret: str | None) -> Caller:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if not credential:
        return Caller()
    if scheme.lower() != "bearer":
        _refuse(Unauthorized, "use Authorization: Bearer <API key or shopper token>")
    if tokens.is_token(credential):
        if secret is None:
            _refuse(Unauthorized, "shopper tokens are not enabled (auth.shopper_secret)")
        try:
            return Caller(shopper=tokens.verify(secret, credential))
        except tokens.InvalidToken as exc:
            _refuse(Unauthorized, f"shopper token refused: {exc}")
    role = keys.match(credential, roles)
    if role is None:
        _refuse(Unauthorized, "unknown API key")
    return Caller(role=role)


def _refuse(error: type[Unauthorized] | type[Forbidden], message: str) -> NoReturn:
    app_metrics().refused.labels(str(error.code)).inc()
    raise error(message)
