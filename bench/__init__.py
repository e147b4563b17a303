"""`make bench`: the driver (run.py; container.py, servers.py), wrk parsing, reports, the agent."""
