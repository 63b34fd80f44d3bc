"""The declaration domain: pure rules and aggregates, no I/O."""
