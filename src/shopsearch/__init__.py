"""shopsearch: e-commerce search and recommendation on OpenSearch.

Subpackages follow a request's path: ``engine`` runs a local OpenSearch, ``indexer`` writes the
catalog, ``search_api`` serves it, ``plugins`` hold the ranking signals. ``config`` and ``client``
are shared by all of them.
"""

__version__ = "0.1.0"
