"""accessreview: quarterly access reviews for Databricks and Okta on an immutable event log."""

__version__ = "0.1.0"
