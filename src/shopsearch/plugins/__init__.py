"""Ranking signals and rerankers: small units that a relevance profile switches on and weights."""
