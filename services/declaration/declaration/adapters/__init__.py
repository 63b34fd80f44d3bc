"""Adapters of the declaration service: database tables, Kafka topics, outside systems."""
