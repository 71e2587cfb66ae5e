"""Recommendation rails: for-you (the shopper vector), similar (item vector), bought-together (co-purchases)."""
