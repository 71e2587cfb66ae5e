"""Relevance: profiles (weights as files), pure query builders, scoring math, and the searcher that joins them."""
