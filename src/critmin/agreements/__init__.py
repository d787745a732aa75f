"""Agreements: a registry of cooperation agreements extracted from Korean and English news,
every field backed by an evidence sentence (see docs/agreements.md)."""
