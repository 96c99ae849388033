import numpy as np

from flowae.evaluation.vote import VoteKeys, auto_window, detection_delay, vote


def _keys(sources, order=None):
    sources = np.unique(np.asarray(sources, dtype=str), return_inverse=True)[1]
    order = np.arange(sources.size, dtype=float) if order is None else np.asarray(order, float)
    return VoteKeys(sources, order, "test")


def test_majority_of_the_last_w_decisions_per_source():
    decisions = np.array([1, 1, 0, 1, 0, 0, 0, 1], dtype=bool)
    keys = _keys(["a"] * 8)
    assert vote(decisions, keys, 1).tolist() == decisions.tolist()
    # window 3: more than 1.5 of the last three (fewer at the start count as normal)
    assert vote(decisions, keys, 3).astype(int).tolist() == [0, 1, 1, 1, 0, 0, 0, 0]


def test_sources_vote_apart_and_in_their_own_order():
    # two interleaved sources, rows given out of time order
    decisions = np.array([1, 0, 1, 0, 1, 0], dtype=bool)
    keys = _keys(["a", "b", "a", "b", "a", "b"], order=[5, 1, 3, 2, 1, 0])
    voted = vote(decisions, keys, 3)
    # a's decisions in time order (rows 4, 2, 0) are 1, 1, 1: the last two are alerts
    assert voted.tolist() == [True, False, True, False, False, False]


def test_auto_window_is_the_smallest_without_false_alarm_and_delay_counts_flows():
    rng = np.random.default_rng(0)
    is_attack = np.array([False] * 40 + [True] * 40)
    decisions = np.where(is_attack, rng.random(80) < 0.9, rng.random(80) < 0.2)
    keys = _keys(["normal-host"] * 40 + ["bot"] * 40)
    window, found = auto_window(decisions, is_attack, keys)
    assert found and not vote(decisions, keys, window)[~is_attack].any()
    smaller = [w for w in (1, 3, 5, 7, 9, 11, 15, 21, 31, 51) if w < window]
    assert all(vote(decisions, keys, w)[~is_attack].any() for w in smaller)
    delay = detection_delay(vote(decisions, keys, window), is_attack, keys)
    assert delay["sources"] == 1 and delay["missed"] == 0
    assert delay["mean_flows"] >= (window + 1) // 2  # a majority of W must accumulate first
