"""The search API (Flask): HTTP -> query builder -> OpenSearch -> rerank -> response."""
