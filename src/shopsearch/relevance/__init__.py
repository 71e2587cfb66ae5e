"""Relevance: profiles (weights as files), signals, scoring math, rules, and the searcher that joins them."""
