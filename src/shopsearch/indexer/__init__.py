"""The indexer: catalog rows in, validated products with BERT vectors out, bulk-written to OpenSearch."""
