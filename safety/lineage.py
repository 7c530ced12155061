"""Lineage as values: which videos derive from which, transitively. Pure.

The store answers the same question with one recursive query over indexed edges (`VideoStore.descendants`); this
function is its definition, used where the edges are already in hand and to test the query against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def derived_videos(roots: Iterable[str], children_of: Mapping[str, Sequence[str]]) -> list[str]:
    """Every video reachable from `roots` through remix edges (roots excluded unless a cycle leads back),
    in breadth-first order, each once."""
    seen: dict[str, None] = {}
    frontier = list(dict.fromkeys(roots))
    while frontier:
        following: list[str] = []
        for parent in frontier:
            for child in children_of.get(parent, ()):
                if child not in seen:
                    seen[child] = None
                    following.append(child)
        frontier = following
    return list(seen)
