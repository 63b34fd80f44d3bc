-- Runs once, when the postgres container starts on an empty data volume: one database per
-- service (DESIGN.md: every service owns its database). The owner is POSTGRES_USER (relief).
CREATE DATABASE declaration;
CREATE DATABASE relief_calc;
CREATE DATABASE refund;
CREATE DATABASE classification;
