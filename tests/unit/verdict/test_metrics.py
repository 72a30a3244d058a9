from envsim.journal import StatsPoint
from envsim.verdict.metrics import WindowStats, merge_histograms, window_stats
from envsim.verdict.phases import Interval


def stats_of(histogram, requests=None, failures=0, seconds=1):
    merged = merge_histograms([histogram])
    total = sum(c for _, c in merged) if requests is None else requests
    return WindowStats(total, failures, seconds, merged)


def test_percentiles_are_nearest_rank_over_the_histogram():
    # 100 samples: 1..100 ms, one each
    stats = stats_of([(ms, 1) for ms in range(1, 101)])
    assert stats.metric("p50") == 0.050
    assert stats.metric("p90") == 0.090
    assert stats.metric("p95") == 0.095
    assert stats.metric("p99") == 0.099
    assert stats.metric("max") == 0.100
    assert abs(stats.metric("avg") - 0.0505) < 1e-12


def test_percentile_with_heavy_counts_picks_the_value_at_the_rank():
    # 94 fast requests and 6 slow ones: p95 is slow, p90 is fast
    stats = stats_of([(20, 94), (900, 6)])
    assert stats.metric("p90") == 0.020
    assert stats.metric("p95") == 0.900


def test_merging_histograms_adds_counts_per_millisecond():
    assert merge_histograms([[(10, 2), (30, 1)], [(10, 3), (20, 1)], []]) == ((10, 5), (20, 1), (30, 1))


def test_window_percentile_is_exact_not_an_average_of_per_second_percentiles():
    # second 0: 99 x 10ms + 1 x 1000ms ; second 1: 100 x 10ms  -> 1 slow out of 200
    points = [
        StatsPoint(0, "", 100, 0, ((10, 99), (1000, 1))),
        StatsPoint(1, "", 100, 0, ((10, 100),)),
    ]
    stats = window_stats(points, [Interval(0, 2)])
    assert stats.requests == 200
    assert stats.metric("p99") == 0.010
    assert stats.metric("max") == 1.0


def test_error_rate_and_rps_over_the_window():
    points = [StatsPoint(t, "", 20, 2 if t < 5 else 0, ((50, 20),)) for t in range(10)]
    stats = window_stats(points, [Interval(0, 10)])
    assert stats.metric("error_rate") == 10 / 200
    assert stats.metric("rps") == 20.0
    # seconds without any completed request still count towards the window's length
    sparse = window_stats(points[:5], [Interval(0, 10)])
    assert sparse.metric("rps") == 10.0


def test_buckets_belong_to_the_window_holding_their_midpoint():
    points = [StatsPoint(t, "", 1, 0, ((t, 1),)) for t in range(10)]
    before = window_stats(points, [Interval(0, 4.4)])
    after = window_stats(points, [Interval(4.4, 10)])
    assert before.requests == 4 and after.requests == 6
    assert before.seconds + after.seconds == 10


def test_empty_window_has_no_metrics():
    stats = window_stats([], [Interval(0, 5)])
    assert stats.requests == 0
    assert stats.metric("p95") is None
    assert stats.metric("error_rate") is None


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(
    samples=st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=300),
    fraction=st.sampled_from([0.5, 0.9, 0.95, 0.99]),
    split=st.integers(min_value=0, max_value=300),
)
def test_merged_histogram_percentile_equals_the_percentile_of_the_raw_samples(samples, fraction, split):
    import math
    from collections import Counter

    # the same samples recorded over two seconds, then merged by the window
    first, second = samples[:split], samples[split:]
    points = [
        StatsPoint(0, "", len(first), 0, tuple(sorted(Counter(first).items()))),
        StatsPoint(1, "", len(second), 0, tuple(sorted(Counter(second).items()))),
    ]
    stats = window_stats(points, [Interval(0, 2)])
    ordered = sorted(samples)
    expected = ordered[max(1, math.ceil(fraction * len(ordered))) - 1] / 1000
    assert stats.percentile(fraction) == expected
    assert stats.metric("max") == ordered[-1] / 1000
