"""The witness: its own process, key and state; cosigns the ledger's checkpoints (c2sp.org/tlog-witness)."""
