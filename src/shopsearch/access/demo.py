"""`./run demo`'s credentials, fresh each run: `eval "$(python -m shopsearch.access.demo)"`.

The demo runs the API as a shop would: a search-only key in the page, shopper tokens for the
shopper switcher (auth.demo_shoppers, which `serve` allows on loopback only), and an events key
printed for trying personalised calls by hand.
"""

from __future__ import annotations

import json
import secrets
import shlex

from shopsearch import keys


def main() -> None:
    page, backend = keys.new_key(), keys.new_key()
    entries = [
        {"name": "demo-page", "role": "search", "sha256": keys.digest(page)},
        {"name": "demo-backend", "role": "events", "sha256": keys.digest(backend)},
    ]
    exports = {
        "SHOPSEARCH_AUTH_KEYS": json.dumps(entries),
        "SHOPSEARCH_AUTH_PAGE_KEY": page,
        "SHOPSEARCH_AUTH_SHOPPER_SECRET": secrets.token_urlsafe(32),
        "SHOPSEARCH_AUTH_DEMO_SHOPPERS": "true",
        "DEMO_EVENTS_KEY": backend,
    }
    print("\n".join(f"export {name}={shlex.quote(value)}" for name, value in exports.items()))


if __name__ == "__main__":
    main()
