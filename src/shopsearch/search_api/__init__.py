"""The search API (Flask): HTTP -> query builder -> OpenSearch -> rerank -> response.

``app.create_app`` is the factory; ``search``, ``users`` and ``ops`` are its blueprints.
"""
