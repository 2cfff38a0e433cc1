"""What every answer kind grades with, below the kinds: verdicts and the symbolic engine.

* :mod:`.verdict`   :class:`Verdict` (correct, incorrect, invalid) and its helpers;
* :mod:`.equiv`     equivalence of two SymPy expressions (exact, then sampling);
* :mod:`.symbolic`  grading expressions and arrays of them: the sandbox worker's tasks;
* :mod:`.sandbox`   the worker process those tasks run in, under a hard deadline;
* :mod:`.limits`    time and memory limits.

Which answer kind does what is :mod:`nncheck.kinds`' business; nothing here names a kind.
"""
