"""Benchmarks. Run all with ``make bench`` (``python -m bench``); results go to RESULTS.md."""
