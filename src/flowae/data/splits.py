"""Seeded, stratified row selections for the paper's protocol.

Splits are done per class with a seeded numpy generator, so each class keeps
its proportion exactly (up to rounding) even when it has a single row, a case
where scikit-learn's stratified splitters refuse to run.
"""

from __future__ import annotations

import numpy as np


def stratified_split(
    is_attack: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split row positions into (rest, held-out) with ``fraction`` of each class held out.

    Both outputs are sorted positions into ``is_attack``.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    rest, held_out = [], []
    for label in (False, True):
        members = np.flatnonzero(is_attack == label)
        shuffled = rng.permutation(members)
        n_held = round(fraction * members.size)
        held_out.append(shuffled[:n_held])
        rest.append(shuffled[n_held:])
    return np.sort(np.concatenate(rest)), np.sort(np.concatenate(held_out))


def balanced_rows(is_attack: np.ndarray, seed: int) -> np.ndarray:
    """All normal rows plus as many attack rows (sampled with ``seed``), sorted.

    When there are fewer attack rows than normal rows, all attack rows are kept.
    """
    rng = np.random.default_rng(seed)
    normal = np.flatnonzero(~is_attack)
    attack = np.flatnonzero(is_attack)
    n_attack = min(normal.size, attack.size)
    sampled = rng.choice(attack, size=n_attack, replace=False) if n_attack else attack[:0]
    return np.sort(np.concatenate([normal, sampled]))
