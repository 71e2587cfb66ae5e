"""Every request body shopsearch sends to OpenSearch, in one place: `search` (the search path), `rails`
(recommendations and the trained model), `events` (the events stream, the search log, analytics and
experiments) and `users` (shopper vectors). Pure functions: arguments in, bodies out, no engine.

The bodies are built with the query DSL that ships inside opensearch-py (`Search`, `Q`, `A`: the OpenSearch
counterpart of elasticsearch-dsl) for the BM25 (multi_match), bool, script-score, sort, suggest and
aggregation parts, and leave as the plain dicts the client sends (`to_dict()`). The DSL does not model
k-NN (the plugin's `knn` query and its `knn_score` script) or msearch, so those parts stay plain dicts,
and a body holding a k-NN clause is put together from the DSL-built parts' `to_dict()`.
"""
