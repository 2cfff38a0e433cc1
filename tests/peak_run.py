"""Run the nncheck console script and report its peak resident size on stderr ("PEAK-KB n").

Used by the tests that bound a whole command's memory.  The size is this process image's own
high-water mark (VmHWM) and, with ``--with-children``, the largest of the checking processes it
started.  ``ru_maxrss`` of the process itself would be wrong here: Linux folds the high-water mark
of the process it was started from (the test runner, hundreds of MiB late in a suite) into it at exec.
"""

from __future__ import annotations

import atexit
import resource
import sys


def own_peak() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _report(children: bool) -> None:
    peak = own_peak()
    if children:
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    sys.stderr.write(f"PEAK-KB {peak}\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    children = bool(args) and args[0] == "--with-children"
    if children:
        args = args[1:]
    atexit.register(_report, children)
    from nncheck.__main__ import main

    main(args)
