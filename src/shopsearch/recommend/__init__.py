"""Recommendation rails: for-you (profile vector), similar (item vector), bought-together (co-purchases)."""
