"""Adapters of the refund service: database tables, Kafka topics, outside systems."""
