"""The bodies that read the shopper vectors index."""

from __future__ import annotations

from opensearchpy import Q, Search

from shopsearch.queries.products import Body


def first_shoppers(count: int, forgotten_field: str) -> Body:
    """The first `count` shoppers with a shopper vector (not a forgotten one's tombstone), in id order; ids only."""
    search = Search().query(~Q("exists", field=forgotten_field)).sort({"id": "asc"}).source(False).extra(size=count)
    body: Body = search.to_dict()
    return body
