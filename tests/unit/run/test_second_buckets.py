from envsim.run.second_buckets import InFlight, SecondBuckets, WorkerMerger, merge_records, round_response_time


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


def test_a_request_counts_in_the_second_it_started_even_when_it_ends_much_later():
    buckets = SecondBuckets(t0=100.0)
    buckets.record(100.5, "browse", 5.0, failed=False)
    first = buckets.pop_before(
        2, users=1, in_flight=lambda end: (0, 0.0) if end <= 101.2 else (1, round(end - 101.2, 3))
    )
    assert [r["t"] for r in first] == [0, 1]
    assert first[0]["in_flight"] == [0, 0.0] and first[1]["in_flight"] == [1, 0.8]
    # started at 101.2, timed out 10 s later: a failure of second 1, sent as a late record
    buckets.record(101.2, "browse", 10000.0, failed=True, reason=("TimeoutError", "timed out"))
    late = buckets.pop_before(12, users=1)
    assert late[0] == {
        "t": 1,
        "users": 1,
        "endpoints": {"browse": [1, 1, [[10000, 1]], [["TimeoutError", "timed out", 1]]]},
    }
    assert "in_flight" not in late[0]  # only the record sent when the second ended carries it


def test_failure_reasons_are_grouped_truncated_and_capped():
    buckets = SecondBuckets(t0=0.0)
    for _ in range(3):
        buckets.record(0.1, "pay", 20.0, failed=True, reason=("HTTP 502", "unexpected status 502"))
    buckets.record(0.2, "pay", 20.0, failed=True, reason=("HTTP 500", "x" * 500))
    for i in range(12):
        buckets.record(0.3, "login", 1.0, failed=True, reason=("HTTP 401", f"token {i}"))
    (record,) = buckets.pop_all(users=1)
    pay = record["endpoints"]["pay"][3]
    assert pay == [["HTTP 500", "x" * 200, 1], ["HTTP 502", "unexpected status 502", 3]]
    login = record["endpoints"]["login"][3]
    assert len(login) == 11 and ["other", "more distinct failure reasons than are kept per second", 2] in login
    assert sum(n for _, _, n in login) == record["endpoints"]["login"][1] == 12


def test_in_flight_counts_open_requests_and_forgets_dead_ones():
    dead = set()
    flight = InFlight(alive=lambda key: key not in dead)
    flight.start("a", 10.0)
    flight.start("b", 12.5)
    flight.start("c", 14.0)
    assert flight.at(13.0) == (2, 3.0)  # c started after the moment asked about
    flight.end("a")
    dead.add("b")  # a killed user never reports its request's end
    assert flight.at(15.0) == (1, 1.0)
    flight.end("c")
    assert flight.at(15.0) == (0, 0.0)


def test_merging_sums_in_flight_across_workers_and_keeps_it_for_late_records():
    a = {"t": 1, "users": 1, "endpoints": {}, "in_flight": [2, 1.5]}
    b = {"t": 1, "users": 1, "endpoints": {"x": [1, 1, [[9, 1]], [["HTTP 502", "m", 1]]]}, "in_flight": [1, 3.0]}
    workers = merge_records(merge_records(None, a, add_users=True), b, add_users=True)
    assert workers["in_flight"] == [3, 3.0]
    late = {"t": 1, "users": 1, "endpoints": {"x": [1, 1, [[10, 1]], [["HTTP 502", "m", 1]]]}}
    merged = merge_records(workers, late, add_users=False)
    assert merged["in_flight"] == [3, 3.0]
    assert merged["endpoints"]["x"] == [2, 2, [[9, 1], [10, 1]], [["HTTP 502", "m", 2]]]


def test_worker_merger_counts_a_workers_users_once_when_its_late_requests_come_before_release():
    merger = WorkerMerger(["w1", "w2"])
    merger.add("w1", [{"t": 0, "users": 5, "endpoints": {"x": [1, 0, [[3, 1]]]}}], watermark=1)
    # w1's requests of second 0 that ended later, while w2 still lags: same second, same users
    merger.add("w1", [{"t": 0, "users": 5, "endpoints": {"x": [2, 0, [[900, 2]]]}}], watermark=2)
    merger.add("w2", [{"t": 0, "users": 5, "endpoints": {"x": [1, 0, [[3, 1]]]}}], watermark=1)
    assert merger.pop_ready() == [{"t": 0, "users": 10, "endpoints": {"x": [4, 0, [[3, 2], [900, 2]]]}}]


def test_requests_count_as_started_when_their_second_ends_and_across_workers():
    buckets = SecondBuckets(t0=100.0)
    flight = InFlight()
    flight.on_start = buckets.count_start
    flight.start("a", 100.2)
    flight.start("b", 100.7)
    flight.start("c", 101.5)
    buckets.record(100.2, "browse", 30.0, failed=False)
    flight.end("a")
    first = buckets.pop_before(2, users=3, in_flight=flight.at)
    assert [(r["t"], r["started"], r["in_flight"]) for r in first] == [(0, 2, [1, 0.3]), (1, 1, [2, 1.3])]
    assert first[0]["endpoints"]["browse"][0] == 1  # the one that ended; the other still runs
    buckets.record(100.7, "browse", 3000.0, failed=False)
    (late,) = buckets.pop_before(2, users=3)
    assert "started" not in late  # counted once, when its second ended
    merged = merge_records(merge_records(None, first[0], add_users=True), {**first[0]}, add_users=True)
    assert merged["started"] == 4  # two workers' shares
    assert merge_records(merged, late, add_users=False)["started"] == 4
