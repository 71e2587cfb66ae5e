"""GET /: the demo shop page (server-rendered shell; static JS talks to the JSON API)."""

from __future__ import annotations

from flask import Blueprint, render_template

from shopsearch.search_api.services import services

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/shop")


@bp.get("/")
def index():
    page_key = services().settings.auth.page_key
    return render_template("index.html", page_key=page_key.get_secret_value() if page_key else "")
