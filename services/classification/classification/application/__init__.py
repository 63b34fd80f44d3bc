"""Commands and queries of the classification service: load, decide, append; read projections."""
