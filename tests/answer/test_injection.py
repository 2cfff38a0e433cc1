"""Injection payloads: none of them is ever executed, in this process or in the sandbox worker.

A canary replaces ``os.system``, ``os.popen``, ``subprocess.Popen``, ``open``, ``eval``,
``exec``, ``compile`` and SymPy's string parsers while the payloads are graded.  The
sandbox worker is started *after* the canary is in place, so it inherits it; the canary
records a hit with raw ``os.write`` calls into a file that both processes can reach.
"""

from __future__ import annotations

import builtins
import os
import subprocess

import pytest
import sympy

from nncheck.answer import sandbox
from nncheck.kinds import grade_answer
from nncheck.lang.syntax import AnswerSyntaxError, parse

PAYLOADS = [
    "__import__('os').system('echo pwned')",
    "__import__",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__.__mro__",
    "__builtins__",
    "__builtins__['eval']('1')",
    "open('/etc/passwd').read()",
    "open('/tmp/nncheck-pwned', 'w')",
    "eval('1+1')",
    "exec('import os')",
    "compile('1', '', 'eval')",
    "lambda: 0",
    "lambda x: x",
    "(lambda: 1)()",
    "f'{__import__(\"os\").system(\"id\")}'",
    "f\"{1}\"",
    "Symbol('x')",
    "Symbol('x').__class__",
    "sympify('x**2')",
    "S('1')",
    "parse_expr('x')",
    "import os",
    "os.system('ls')",
    "subprocess.call(['ls'])",
    "[x for x in range(10)]",
    "{x for x in [1]}",
    "globals()",
    "getattr(x, 'y')",
    "x if 1 else 0",
    "print(1)",
    "breakpoint()",
    "1; import os",
    "x; os.system('id')",
    "Ｓymbol('x')",
    "ехр(1)",
    "ℯ^x",
    "eval\u200b(1)",
    "e\u0301val(1)",
    "{'a': 1}",
    "`ls`",
    "$(ls)",
    "${HOME}",
    "<script>alert(1)</script>",
    "\\x41",
    "x._mpf_",
    "(1).real",
    "1e2.__class__",
    "sigma.__globals__",
    "Function('f')(x)",
    "Matrix([1])",
    "x**__import__('os').getpid()",
    "[1, 2][0]",
    "exp(x).func",
    "\\(x\\)",
    "os",
    "sys.modules",
]

PARTS = [
    {"kind": "expression", "symbols": {"x": "real"}},
    {"kind": "number"},
    {"kind": "integer"},
    {"kind": "vector"},
    {"kind": "matrix"},
    {"kind": "boolean"},
    {"kind": "choice", "choices": ["a", "b"]},
    {"kind": "vector", "symbols": {"x": "real"}},
]
EXPECTED = {"expression": sympy.Symbol("x"), "number": 1, "integer": 1, "vector": sympy.Matrix([1, 2]),
            "matrix": sympy.Matrix([[1, 2], [3, 4]]), "boolean": True, "choice": "a"}


def test_payload_count():
    assert len(PAYLOADS) >= 40


class Canary:
    """Every dangerous entry point writes a line to a file instead of acting, while armed."""

    def __init__(self, path: str):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.saved: list = []

    def _trap(self, name):
        fd, write = self.fd, os.write  # captured: the canary must not depend on anything it replaces

        def fired(*args, **kwargs):
            write(fd, f"{name} {args[:1]!r}\n".encode())
            raise RuntimeError(f"canary: {name} was called")
        return fired

    def _open_trap(self, real_open):
        # multiprocessing re-opens the worker's stdin by file descriptor (an int): that is not
        # an attack.  Any path, as text or bytes, is.
        fired = self._trap("builtins.open")

        def guarded(file, *args, **kwargs):
            return real_open(file, *args, **kwargs) if isinstance(file, int) else fired(file)
        return guarded

    def __enter__(self):
        import sympy.parsing.sympy_parser as sp

        sandbox.shutdown()  # the next worker is forked with the canary in place
        real_sympify = sympy.sympify
        trap_str = self._trap("sympy.sympify(str)")

        def sympify_guard(a, *args, **kwargs):
            return trap_str(a) if isinstance(a, str) else real_sympify(a, *args, **kwargs)

        targets = [(os, "system"), (os, "popen"), (os, "execv"), (os, "execve"), (os, "spawnv"),
                   (subprocess, "Popen"), (subprocess, "run"), (subprocess, "call"),
                   (builtins, "open"), (builtins, "eval"), (builtins, "exec"), (builtins, "compile"),
                   (builtins, "breakpoint")]
        for mod, name in targets:
            self.saved.append((mod, name, getattr(mod, name)))
            trap = self._open_trap(builtins.open) if (mod, name) == (builtins, "open") else \
                self._trap(f"{mod.__name__}.{name}")
            setattr(mod, name, trap)
        self.saved.append((sympy, "sympify", real_sympify))
        sympy.sympify = sympify_guard
        self.saved.append((sp, "parse_expr", sp.parse_expr))
        sp.parse_expr = self._trap("sympy.parse_expr")
        return self

    def __exit__(self, *exc):
        for mod, name, value in reversed(self.saved):
            setattr(mod, name, value)
        self.saved.clear()
        sandbox.shutdown()  # do not leave a worker with the canary behind
        return False

    def hits(self) -> str:
        fd = os.open(self.path, os.O_RDONLY)
        try:
            return os.read(fd, 1 << 16).decode()
        finally:
            os.close(fd)


def _warm_up():
    """Import, in this process, every module grading uses: first imports run ``exec`` legitimately."""
    sandbox.run("echo", 1)  # multiprocessing and the worker's own imports
    old = sandbox.set_enabled(False)
    try:
        for part in PARTS:
            # The last two are LaTeX: an answer with a backslash, a brace or $ is read by nncheck.lang.latex.
            for text in ("x", "1", "[1, 2]", "[[1, 2], [3, 4]]", "yes", "a", "2x + sigma(x)", "x +", r"\frac{x}{2}",
                         r"\foo"):
                grade_answer(part, EXPECTED[part["kind"]], text)
    finally:
        sandbox.set_enabled(old)


@pytest.fixture
def canary(tmp_path):
    _warm_up()
    c = Canary(str(tmp_path / "canary"))
    yield c
    os.close(c.fd)


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: repr(p)[:30])
def test_payload_is_refused_and_never_executed(payload, canary):
    verdicts = []
    with canary:
        for part in PARTS:
            verdicts.append((part, grade_answer(part, EXPECTED[part["kind"]], payload)))
        # The derivation mode accepts any name as a symbol: still nothing is executed.
        try:
            parse(payload, symbols=None, derivatives=True, equations=True)
        except AnswerSyntaxError:
            pass
    assert canary.hits() == ""
    for part, v in verdicts:
        meaning = _latex_meaning(part, payload)
        if meaning is not None:
            # Well-formed LaTeX (\(x\) is inline math for x): graded as the plain answer it means.
            want = grade_answer(part, EXPECTED[part["kind"]], meaning)
            assert (v.status, v.parsed_as) == (want.status, want.parsed_as), (part, v)
            continue
        # Never accepted; unreadable in every kind.
        assert v.status == "invalid", (part, v)
        assert v.error is not None and v.error.caret()


def _latex_meaning(part, payload: str) -> str | None:
    """The plain text a payload means when the grader reads it as LaTeX, or None."""
    from nncheck.kinds import plain_answer
    from nncheck.lang.latex import looks_like_latex

    if not looks_like_latex(payload):
        return None
    try:
        return plain_answer(part, payload)
    except AnswerSyntaxError:
        return None


def test_the_canary_itself_works(canary):
    with canary:
        with pytest.raises(RuntimeError):
            os.system("true")
    assert "os.system" in canary.hits()


def _probe():
    """Run inside the sandbox worker: tries the very thing the canary guards."""
    return open("/etc/hostname").read()


def test_the_canary_reaches_the_sandbox_worker(canary, monkeypatch):
    monkeypatch.setitem(sandbox.TASKS, "probe", f"{__name__}:_probe")
    with canary:
        with pytest.raises(RuntimeError, match="canary"):
            sandbox.run("probe")
    assert "builtins.open" in canary.hits()


def test_names_that_look_dangerous_are_only_symbols_in_derivations():
    # With symbols=None (free derivations) a name is just a symbol; SymPy builds Symbol objects
    # directly, never from a string.
    from nncheck.lang.sympy_backend import to_sympy

    node = parse("open + eval", symbols=None)
    e = to_sympy(node, {}, "open + eval")
    assert {s.name for s in e.free_symbols} == {"open", "eval"}
