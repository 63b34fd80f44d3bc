"""Use cases of the refund service: commands and the consumers that decide."""
