"""Commands of the declaration service: load the aggregate from its stream, decide, append."""
