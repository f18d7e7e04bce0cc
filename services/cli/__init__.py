"""The ``accessreview`` command line."""
