"""nncheck: exam practice and derivation checking for neural-network coursework."""

import os as _os

__version__ = "0.1.0"

# SymPy keeps the results of building and evaluating expressions in an LRU cache of 1,000 entries
# by default, read once when SymPy is first imported.  An answer key rebuilds the same pieces again
# and again (σ of the same numbers, the same sub-derivatives), and a class's keys overflow 1,000 at
# once: with 10,000, grading a class with a seed per student takes about a fifth less CPU, for about
# 40 MiB more per process (bench/bench_grade.py).  Set before any module imports SymPy; a value the
# user set is kept.
_os.environ.setdefault("SYMPY_CACHE_SIZE", "10000")
