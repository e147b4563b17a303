"""`make bench`: the driver (run.py), wrk parsing, reports, and the in-container agent."""
