"""Process templates: one module per municipal service (T1, T3, T4, T5)."""
