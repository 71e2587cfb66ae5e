"""Who may call the API: hashed API keys with roles, and signed shopper tokens (no Flask here, so a
shop's back end can import the token helper alone)."""
