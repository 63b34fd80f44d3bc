"""The relief-calc domain: pure rules and aggregates, no I/O."""
