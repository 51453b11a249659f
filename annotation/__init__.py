"""Label Studio annotation rounds: push, pull, report, cycle."""
