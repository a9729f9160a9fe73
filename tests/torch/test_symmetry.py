"""Orbits: the vectorised union of many pairs gives the classes one union per pair gives."""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")
import numpy as np  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from symgrad.torch.symmetry import Orbits  # noqa: E402


def _one_by_one(size: int, pairs) -> Orbits:
    orbits = Orbits({"w": (size,)})
    for a, b in pairs:
        orbits.union(a, b)
    return orbits


@settings(max_examples=150, deadline=None)
@given(
    data=st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))
        )
    ),
    rounds=st.integers(1, 3),
)
def test_union_many_is_union_pair_by_pair(data, rounds):
    """Property: joining pairs in one vectorised call (or a few) gives the same classes and
    the same roots (each class's smallest entry) as joining them one at a time."""
    size, pairs = data
    expected = _one_by_one(size, pairs)
    orbits = Orbits({"w": (size,)})
    for chunk in np.array_split(np.arange(len(pairs)), rounds):
        chosen = [pairs[k] for k in chunk]
        orbits.union_many(np.array([a for a, _ in chosen], dtype=np.int64),
                          np.array([b for _, b in chosen], dtype=np.int64))  # fmt: skip
    assert orbits.groups() == expected.groups()
    assert [orbits.find(i) for i in range(size)] == [expected.find(i) for i in range(size)]
    assert [orbits.find(i) for i in range(size)] == [min(g) for g in _classes(size, pairs)]


def _classes(size: int, pairs) -> list[list[int]]:
    """The connected components, entry by entry (each entry's component)."""
    neighbours = {i: set() for i in range(size)}
    for a, b in pairs:
        neighbours[a].add(b)
        neighbours[b].add(a)
    component = {}
    for start in range(size):
        if start in component:
            continue
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            for other in neighbours[node] - seen:
                seen.add(other)
                stack.append(other)
        for node in seen:
            component[node] = sorted(seen)
    return [component[i] for i in range(size)]


def test_a_long_chain_joins_in_one_call():
    orbits = Orbits({"w": (1000,)})
    orbits.union_many(np.arange(999, 0, -1), np.arange(998, -1, -1))
    assert orbits.groups() == [list(range(1000))]
