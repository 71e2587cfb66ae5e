"""The relevance lab: judgments, offline evaluation through the /search code path, and learned weights."""
