"""Where nncheck finds its banks and keeps its files.

Computed by hand rather than with platformdirs so that ``nncheck list`` can start
without importing it; the layout matches platformdirs' defaults on each platform.
Every location can be overridden by an environment variable.
"""

from __future__ import annotations

import os
import stat
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))

MAX_BANK_FILE_BYTES = 1_000_000  # one bank file (answer files have their own, larger cap)


def bundled_banks_dir() -> str:
    """``problems/``: inside the installed package, or at the top of a source checkout."""
    inside = os.path.join(_HERE, "problems")
    if os.path.isdir(inside):
        return inside
    return os.path.join(os.path.dirname(_HERE), "problems")


def _home() -> str:
    return os.path.expanduser("~")


def cache_dir() -> str:
    if os.environ.get("NNCHECK_CACHE_DIR"):
        return os.environ["NNCHECK_CACHE_DIR"]
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(_home(), "AppData", "Local")
        return os.path.join(base, "nncheck", "Cache")
    if sys.platform == "darwin":
        return os.path.join(_home(), "Library", "Caches", "nncheck")
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(_home(), ".cache"), "nncheck")


def data_dir() -> str:
    if os.environ.get("NNCHECK_DATA_DIR"):
        return os.environ["NNCHECK_DATA_DIR"]
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(_home(), "AppData", "Local")
        return os.path.join(base, "nncheck")
    if sys.platform == "darwin":
        return os.path.join(_home(), "Library", "Application Support", "nncheck")
    return os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.join(_home(), ".local", "share"), "nncheck")


def extra_bank_dirs() -> list[str]:
    """Banks named by ``NNCHECK_BANKS`` (a path list, like PATH)."""
    raw = os.environ.get("NNCHECK_BANKS", "")
    return [p for p in raw.split(os.pathsep) if p.strip()]


# ----------------------------------------------------------------------------
# Reading the user's files.  Every file nncheck reads on a user's word (a bank, an answer
# file, a derivation) goes through :func:`read_regular`, so each one is refused the same way
# when it is not a plain file: a named pipe or a device would block a read forever (a FIFO
# with no writer) or never end (/dev/zero).  Layer 0 has no domain errors to raise, so the
# refusals are ``OSError`` subclasses that the callers word as their own one-line errors.
# ----------------------------------------------------------------------------
class NotRegularFile(OSError):
    """A path that names something other than a regular file (pipe, device, socket, directory)."""

    def __init__(self, path: str, what: str):
        super().__init__(f"it is {what}, not a regular file")
        self.strerror = f"it is {what}, not a regular file"
        self.filename = path


class FileTooLarge(OSError):
    """A regular file above the caller's size limit; ``size`` and ``limit`` in bytes."""

    def __init__(self, path: str, size: int, limit: int):
        super().__init__(f"too large ({size:,} bytes; the limit is {limit:,})")
        self.strerror = f"too large ({size:,} bytes; the limit is {limit:,})"
        self.filename, self.size, self.limit = path, size, limit


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def read_regular(path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    Opened without blocking (a FIFO's open would otherwise wait for a writer), then checked
    on the open descriptor (no window for a swap between the check and the read).  Raises
    :class:`NotRegularFile`, :class:`FileTooLarge`, or the ``OSError`` of the open or read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, _kind(st.st_mode))
        if st.st_size > max_bytes:
            raise FileTooLarge(path, st.st_size, max_bytes)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:  # a file that grows while it is read is still capped
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(path, size, max_bytes)
        return b"".join(chunks)
    finally:
        os.close(fd)


def special_kind(path: str) -> str | None:
    """What ``path`` is when it exists and is not a regular file ("a named pipe", "a device",
    "a directory", ...), following symbolic links; None for a regular file or no file."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


def first_past(files: list[str], limit: int) -> str | None:
    """The file at which the sizes of ``files``, added in order, pass ``limit`` bytes (None if
    they never do).  Sizes come from ``stat``: nothing is read."""
    total = 0
    for f in files:
        try:
            total += os.path.getsize(f)
        except OSError:
            continue  # reading it fails with its own line
        if total > limit:
            return f
    return None


def same_file(a: str, b: str) -> bool:
    """Do ``a`` and ``b`` name the same existing file (hard links and symbolic links included)?"""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.abspath(a) == os.path.abspath(b)
