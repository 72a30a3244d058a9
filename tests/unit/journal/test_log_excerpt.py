from envsim.journal import LogExcerpt


def test_timed_lines_become_lines_with_times_from_load_start():
    excerpt = LogExcerpt.of_timed_lines("db", 12.5, [(1000.25, "ready"), (1003.0, "slow query")], 1000.0, 1)
    assert excerpt == LogExcerpt("db", 12.5, ("ready", "slow query"), (0.25, 3.0), 1)


def test_no_lines_give_an_empty_excerpt_of_the_replica():
    assert LogExcerpt.of_timed_lines("api", 1.0, [], 5.0, 0) == LogExcerpt("api", 1.0, (), (), 0)
