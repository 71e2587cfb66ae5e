"""GET /: the demo shop page (server-rendered shell; static JS talks to the JSON API)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/shop")


@bp.get("/")
def index():
    return render_template("index.html")
