"""GET /: the demo shop page (server-rendered shell; static JS talks to the JSON API)."""

from __future__ import annotations

import json

from flask import Blueprint, render_template

from shopsearch.access import tokens
from shopsearch.config import AuthSettings
from shopsearch.errors import ConfigError
from shopsearch.search_api.services import services

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/shop")


@bp.get("/")
def index() -> str:
    auth = services().settings.auth
    return render_template(
        "index.html",
        page_key=auth.page_key.get_secret_value() if auth.page_key else "",
        shoppers=json.dumps(demo_shoppers(auth)) if auth.demo_shoppers else "",
    )


@bp.get("/admin")
def admin() -> str:
    """The analytics page: a shell; its script fetches /admin/analytics with the admin key typed into it."""
    return render_template("admin.html")


def demo_shoppers(auth: AuthSettings) -> list[dict[str, str]]:
    """What a shop's back end does at sign-in, for the demo's shopper switcher: a token per shopper."""
    if auth.shopper_secret is None:  # the settings refuse demo_shoppers without it
        raise ConfigError("auth.demo_shoppers needs auth.shopper_secret to mint the tokens")
    secret = auth.shopper_secret.get_secret_value()
    return [{"id": user, "token": tokens.sign(secret, user, auth.token_ttl)} for user in services().users.first(12)]
