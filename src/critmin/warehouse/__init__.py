"""The warehouse: reference tables, staging (each provider's vocabulary), tidy (ISO3, mineral
id, stage, HS revision, year, tonnes and ``lineage``), the atomic build that writes them, and
read-only access for everything after it."""
