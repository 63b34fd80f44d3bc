"""The classification domain: pure rules and aggregates, no I/O."""
