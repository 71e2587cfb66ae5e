"""Every search body shopsearch sends to OpenSearch, in one place: `products` (the search path),
`neighbours` (the recommendation rails and the trained model's look-ups, catalog scans), `logs` (the
events stream, the search log, analytics and experiments) and `shoppers` (the shopper vectors index).
Pure functions: arguments in, bodies out, no engine. (Index settings and mappings live in mappings/;
`shopsearch engine check` keeps its own throwaway k-NN probe in engine/check.py.)

The bodies are built with the query DSL that ships inside opensearch-py (`Search`, `Q`, `A`: the OpenSearch
counterpart of elasticsearch-dsl) for the BM25 (multi_match), bool, script-score, sort, suggest and
aggregation parts, and leave as the plain dicts the client sends (`to_dict()`). The DSL does not model
k-NN (the plugin's `knn` query and its `knn_score` script) or msearch, so those parts stay plain dicts,
and a body holding a k-NN clause is put together from the DSL-built parts' `to_dict()`.
"""
