from envsim.run.second_buckets import SecondBuckets, WorkerMerger, merge_records, round_response_time


def test_rounding_matches_locust_buckets():
    assert [round_response_time(x) for x in (0.4, 42.6, 123, 1234, 12345)] == [0, 43, 120, 1200, 12000]


def test_requests_land_in_the_second_they_completed_in():
    buckets = SecondBuckets(t0=100.0)
    buckets.record(100.2, "browse", 10.0, failed=False)
    buckets.record(100.9, "browse", 10.4, failed=True)
    buckets.record(101.0, "checkout", 250.0, failed=False)
    first = buckets.pop_before(1, users=3)
    assert first == [{"t": 0, "users": 3, "endpoints": {"browse": [2, 1, [[10, 2]]]}}]
    assert buckets.pop_all(users=3) == [{"t": 1, "users": 3, "endpoints": {"checkout": [1, 0, [[250, 1]]]}}]


def test_idle_seconds_are_reported_empty_and_only_once():
    buckets = SecondBuckets(t0=0.0)
    assert [r["t"] for r in buckets.pop_before(3, users=1)] == [0, 1, 2]
    assert buckets.pop_before(3, users=1) == []
    assert buckets.pop_before(4, users=2) == [{"t": 3, "users": 2, "endpoints": {}}]


def test_merging_adds_counts_and_histograms():
    a = {"t": 4, "users": 2, "endpoints": {"x": [2, 0, [[5, 2]]]}}
    b = {"t": 4, "users": 3, "endpoints": {"x": [1, 1, [[5, 1], [9, 1]]], "y": [1, 0, [[1, 1]]]}}
    merged = merge_records(merge_records(None, a, add_users=True), b, add_users=True)
    assert merged == {"t": 4, "users": 5, "endpoints": {"x": [3, 1, [[5, 3], [9, 1]]], "y": [1, 0, [[1, 1]]]}}
    assert a["endpoints"]["x"] == [2, 0, [[5, 2]]]  # inputs untouched


def test_worker_merger_releases_a_second_once_every_worker_passed_it():
    merger = WorkerMerger(["w1", "w2"])
    merger.add("w1", [{"t": 0, "users": 1, "endpoints": {"x": [1, 0, [[3, 1]]]}}], watermark=1)
    assert merger.pop_ready() == []
    merger.add("w2", [{"t": 0, "users": 2, "endpoints": {"x": [2, 0, [[3, 2]]]}}], watermark=1)
    assert merger.pop_ready() == [{"t": 0, "users": 3, "endpoints": {"x": [3, 0, [[3, 3]]]}}]


def test_worker_merger_ignores_a_missing_worker_and_flushes_finals():
    merger = WorkerMerger(["w1", "w2"])
    merger.add("w1", [{"t": 0, "users": 1, "endpoints": {}}], watermark=1)
    assert [r["t"] for r in merger.pop_ready(live_workers={"w1"})] == [0]
    merger.add("w1", [{"t": 1, "users": 0, "endpoints": {}}], watermark=1, final=True)
    assert not merger.all_final
    merger.add("w2", [], watermark=0, final=True)
    assert merger.all_final
    assert [r["t"] for r in merger.pop_all()] == [1]
