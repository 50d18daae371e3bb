#!/bin/sh
# Runs once, when the postgres container initialises its data directory: the exporter's login
# role, with pg_monitor only (read-only statistics), and pg_stat_statements for query metrics.
set -eu
password=$(cat /run/secrets/exporter_db_password)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$password" <<'SQL'
CREATE ROLE exporter LOGIN PASSWORD :'password' IN ROLE pg_monitor;
ALTER ROLE exporter SET statement_timeout = '5s';
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
SQL
