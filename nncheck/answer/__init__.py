"""The answer language's grading side: SymPy conversion, equivalence, verdicts."""
