"""One module per kind of source system; each yields Arrow batches in the canonical schema."""
