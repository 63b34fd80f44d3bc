"""The bank simulator: a real HTTP server that speaks the platform's ISO 20022 messages, keeps its
own ledger (refusing and counting a second payment of one end-to-end id) and injects failures."""
