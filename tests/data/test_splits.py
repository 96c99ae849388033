import numpy as np

from flowae.data.splits import balanced_rows, stratified_split


def test_stratified_split_keeps_class_shares_and_partitions_rows():
    is_attack = np.array([False] * 100 + [True] * 900)
    rest, held = stratified_split(is_attack, 0.2, seed=3)
    assert len(np.intersect1d(rest, held)) == 0
    assert len(rest) + len(held) == 1000
    assert (~is_attack[held]).sum() == 20 and is_attack[held].sum() == 180


def test_stratified_split_is_seeded():
    is_attack = np.arange(50) % 3 == 0
    assert np.array_equal(
        stratified_split(is_attack, 0.2, 1)[1], stratified_split(is_attack, 0.2, 1)[1]
    )
    assert not np.array_equal(
        stratified_split(is_attack, 0.2, 1)[1], stratified_split(is_attack, 0.2, 2)[1]
    )


def test_single_row_class_does_not_break_the_split():
    is_attack = np.array([False] + [True] * 9)
    rest, _held = stratified_split(is_attack, 0.2, 0)
    assert 0 in rest  # round(0.2) = 0 normal rows held out


def test_balanced_rows_keeps_all_normal_rows_and_as_many_attacks():
    is_attack = np.array([False] * 10 + [True] * 100)
    chosen = balanced_rows(is_attack, seed=0)
    assert (~is_attack[chosen]).sum() == 10 and is_attack[chosen].sum() == 10
    few_attacks = np.array([False] * 10 + [True] * 3)
    assert len(balanced_rows(few_attacks, seed=0)) == 13
