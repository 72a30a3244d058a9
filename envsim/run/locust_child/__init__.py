"""What runs inside the Locust child process: `python -m envsim.run.locust_child`.

Only this package imports Locust (and with it gevent's monkey-patching); the envsim process
starts it, feeds it (envsim.run.child_config) and reads it (envsim.run.child_processes). This
file imports nothing, so the child's first act (in __main__) still comes before Locust's import.
"""

# before each JSON line a child in a pod writes to stdout, so envsim finds its lines in the pod's log
STATS_MARKER = "envsim-stats "
