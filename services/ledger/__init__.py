"""The ledger: every event appended to hash-chained, signed, Merkle-proven segments, and the
auditor's tools that verify, query, prove, replay and export them."""
