"""Bank self-checks: SymPy vs NumPy across seeds (bank verify) and graded self-tests (bank test)."""
