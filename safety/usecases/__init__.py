"""Use cases: what the edges (CLI, HTTP, console, generator) may ask of cameoguard, one module per area.

Each use case takes the stores, adapters and policies it needs (built once by `safety.wiring`) and returns typed
values; JSON is made at the edges (`safety.edges.views`). A use case is the unit that owns a transaction: the ones that
change consent purge in the same transaction, then remove files after the commit.
"""
