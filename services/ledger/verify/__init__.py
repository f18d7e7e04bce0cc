"""The ledger verifier: every check an auditor needs, each a small function returning findings."""
