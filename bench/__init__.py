"""Benchmarks: each ``bench/*_bench.py`` has ``main()`` and prints its figures (``make bench``)."""
