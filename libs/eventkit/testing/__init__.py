"""Test support shipped with the kernel: a small ledger domain and worker processes for fault tests."""
