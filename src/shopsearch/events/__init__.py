"""User events: validated, stored durably in an OpenSearch data stream, and turned into shopper vectors."""
