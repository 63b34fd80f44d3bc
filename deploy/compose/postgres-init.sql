-- Runs once, when the postgres container starts on an empty data volume: one role and one
-- database per service, the service's role owning it (DESIGN.md: every service owns its
-- database; no service reads another's tables). Development passwords: the role's name.
-- The same layout as the CloudNativePG cluster of deploy/k8s/base/postgres/cluster.yaml.
CREATE ROLE declaration LOGIN PASSWORD 'declaration';
CREATE DATABASE declaration OWNER declaration;
CREATE ROLE relief_calc LOGIN PASSWORD 'relief_calc';
CREATE DATABASE relief_calc OWNER relief_calc;
CREATE ROLE refund LOGIN PASSWORD 'refund';
CREATE DATABASE refund OWNER refund;
CREATE ROLE classification LOGIN PASSWORD 'classification';
CREATE DATABASE classification OWNER classification;
CREATE ROLE subscriptions LOGIN PASSWORD 'subscriptions';
CREATE DATABASE subscriptions OWNER subscriptions;
CREATE ROLE reporting LOGIN PASSWORD 'reporting';
CREATE DATABASE reporting OWNER reporting;
