"""Benchmarks: `python -m bench [name ...]` (make bench). Results as figures and ratios."""
