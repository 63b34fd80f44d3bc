"""Use cases of the relief-calc service: commands and background workers."""
