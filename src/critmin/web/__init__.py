"""The JSON API (and, later, the dashboard) served over the read-only warehouse."""
