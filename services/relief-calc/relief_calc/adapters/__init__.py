"""Adapters of the relief-calc service: database tables, Kafka topics, outside systems."""
