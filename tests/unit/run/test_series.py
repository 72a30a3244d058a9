from envsim.journal import ALL_ENDPOINTS, StatsPoint
from envsim.run.series import SeriesBuilder, points_of


def test_points_include_the_aggregate_first():
    record = {"t": 2, "users": 7, "endpoints": {"b": [1, 1, [[30, 1]]], "a": [2, 0, [[10, 1], [30, 1]]]}}
    points = points_of(record)
    assert points[0] == StatsPoint(2, ALL_ENDPOINTS, 3, 1, ((10, 1), (30, 2)), 7)
    assert [p.endpoint for p in points[1:]] == ["a", "b"]
    assert points[1] == StatsPoint(2, "a", 2, 0, ((10, 1), (30, 1)), 7)


def test_an_idle_second_still_has_an_aggregate_point():
    assert points_of({"t": 0, "users": 1, "endpoints": {}}) == (StatsPoint(0, ALL_ENDPOINTS, 0, 0, (), 1),)


def test_a_second_arriving_twice_is_merged_in_the_series():
    builder = SeriesBuilder()
    builder.add({"t": 1, "users": 2, "endpoints": {"a": [1, 0, [[5, 1]]]}})
    builder.add({"t": 0, "users": 2, "endpoints": {}})
    late = builder.add({"t": 1, "users": 2, "endpoints": {"a": [1, 1, [[7, 1]]]}})
    assert late[1] == StatsPoint(1, "a", 2, 1, ((5, 1), (7, 1)), 2)
    series = builder.series()
    assert [(p.t, p.endpoint) for p in series] == [(0, ""), (1, ""), (1, "a")]
    assert builder.seconds == 2


def test_in_flight_lands_on_the_aggregate_and_reasons_on_their_endpoint():
    from envsim.journal import FailureReason

    record = {
        "t": 3,
        "users": 2,
        "in_flight": [4, 2.5],
        "started": 6,
        "endpoints": {"pay": [2, 2, [[10000, 2]], [["TimeoutError", "timed out", 2]]]},
    }
    aggregate, pay = points_of(record)
    assert (aggregate.in_flight, aggregate.oldest_in_flight, aggregate.failure_reasons) == (4, 2.5, ())
    assert (aggregate.started, pay.started) == (6, 0)
    assert pay.failure_reasons == (FailureReason("TimeoutError", "timed out", 2),)
    assert pay.in_flight == 0


def test_secrets_are_redacted_from_failure_messages():
    from envsim.run.series import redactor

    builder = SeriesBuilder(redactor(["s3cr3t", ""]))
    points = builder.add(
        {
            "t": 0,
            "users": 1,
            "endpoints": {
                "a": [2, 2, [[5, 2]], [["HTTP 401", "bad token s3cr3t", 1], ["HTTP 401", "bad token <redacted>", 1]]]
            },
        }
    )
    assert [(r.message, r.count) for r in points[1].failure_reasons] == [("bad token <redacted>", 2)]
    assert "s3cr3t" not in repr(builder.series())
