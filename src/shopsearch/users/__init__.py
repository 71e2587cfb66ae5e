"""Users: shopper vectors (the math and the store in one place, for the API and the events pipeline)."""
