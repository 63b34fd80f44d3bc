"""Use cases of the relief-calc service: commands that load, decide and append."""
