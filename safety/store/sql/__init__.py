"""The SQL implementation of every store protocol in `safety.stores`, one module per concept."""
