"""A small shop API on PostgreSQL and Redis: the kind of service envsim puts under load and faults."""
