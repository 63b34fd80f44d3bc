"""The refund domain: pure rules and aggregates, no I/O."""
