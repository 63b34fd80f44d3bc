"""Adapters of the classification service: database tables, Kafka topics, outside systems."""
