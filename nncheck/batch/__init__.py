"""Batch grading: answer files in, verdicts out."""
