"""Tests of the topic families (shared scaffolding in helpers.py)."""
