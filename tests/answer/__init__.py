"""Tests of the answer language (issue #3)."""
