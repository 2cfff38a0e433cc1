"""The docs' transcripts run as golden tests: what the docs show is what nncheck prints.

Every ```console block in ``docs/tour/*.md``, ``docs/*.md`` and ``README.md`` is a transcript:
``$ COMMAND`` lines, each followed by what it prints (stdout and stderr together, as a terminal
shows them).  Each command is one test, named ``FILE:LINE``.  The commands of one file run in
order in one fresh directory with its own history (``NNCHECK_DATA_DIR``), so a later command
sees what an earlier one wrote (``generate -o hw1`` then ``grade hw1/...``, an exam suspended then
resumed).  Output is compared as a user sees it on a pipe: plain text, ``NO_COLOR=1``,
``COLUMNS=100``.  Commands run in-process through ``nncheck.__main__.main`` (the same entry point
as ``python -m nncheck``, fast front end included); ``NNCHECK_DOCS_SUBPROCESS=1`` runs each as
``python -m nncheck`` instead.

Conventions in a transcript (documented in docs/architecture.md, "Tests and tools"):

* A line ``...`` or ``…`` (at column 0, optionally followed by a comment such as
  ``…  (the problem statement, as above)``) stands for any number of lines, as doctest's ELLIPSIS.
* Interactive sessions are piped runs: the tool echoes every answer after its prompt
  (``(b) W2 › 17``), so the input is read back from the transcript: the text after `` › `` on
  each prompt line, and ``   … LINE`` continuation lines of a multi-line answer.
* ``[exit code N]`` as a command's last line, or ``$ echo $?`` after it, states its exit code,
  which is checked too.
* ``$ cat FILE`` shows an input file: when FILE does not exist yet, the transcript creates it
  with the lines shown.  Input files a doc uses without showing them (a filled-in answer file,
  the derivations the README checks) are in ``tests/docs/files/``, copied into each doc's
  directory together with ``docs/examples/``.  Other shell commands (``mkdir``, ``touch``,
  ``grep``, ``echo … >``) run through ``/bin/sh`` in that directory.
* The docs call that directory ``/tmp/tour``: the name is replaced by the real (temporary)
  directory in commands, and the real one by ``/tmp/tour`` in the output.
* A line just above the block ``*Not run by the docs tests: REASON.*`` marks a transcript that
  cannot be reproduced (fresh random numbers, time passing); it is reported as skipped with
  that reason.  ``*Excerpt of [the full session](PATH) ...*`` marks an abridged copy of
  transcripts in PATH: each command is checked against the output of the same command there
  (or, when that one is not run, against what PATH shows for it).

Only values that vary from run to run are normalised before comparing: the exam clock and the
elapsed times of a session (``[2:59:59]``, ``2:59:59 left``, ``in 0:02``, a summary's time
column), and the temporary directory (above).  Trailing spaces and trailing blank lines are
ignored.

To regenerate the docs from the tool (never the other way round):
``python tests/docs/test_tours.py --update [FILE ...]``.  It rewrites only the commands whose
output differs, keeping the elisions (``…``) of abridged outputs where it can, and prints what it
changed; review the diff before committing.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = Path(__file__).resolve().parent / "files"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "tour").glob("*.md"))]

FENCE_OPEN = re.compile(r"^```console\s*$")
FENCE_CLOSE = re.compile(r"^```\s*$")
NOT_RUN = re.compile(r"^\*Not run by the docs tests: (?P<reason>.+?)\.?\*\s*$")
EXCERPT = re.compile(r"^\*(?:An e|E)xcerpt of .*?\]\((?P<path>[^)#\s]+)\)")
ELISION = re.compile(r"^(?:\.\.\.|…)(?:\s+\(.*\))?$")
EXIT_LINE = re.compile(r"^\[exit code (\d+)\]$")
PROMPT = " › "
DOC_DIR = "/tmp/tour"  # how the docs name the directory their commands run in
CONTINUATION = "   … "

# Values that differ between two runs of the same session: the exam clock and elapsed times.
VARIABLE = [
    (re.compile(r"\[\d+:\d\d:\d\d\]"), "[H:MM:SS]"),                 # an exam prompt's clock
    (re.compile(r"\b\d+:\d\d:\d\d left\b"), "H:MM:SS left"),          # time left
    (re.compile(r"\bin \d+:\d\d(?::\d\d)?\b"), "in M:SS"),            # "in 0:02 of 3:00:00", "in 0:01"
    (re.compile(r"(?<=\s)\d+:\d\d$"), "M:SS"),                        # a summary table's time column
]


@dataclass(eq=False)
class Block:
    doc: Path
    line: int
    skip: str | None = None          # why it is not run, from the "*Not run ...*" line
    excerpt_of: Path | None = None   # the doc whose full transcripts this block abridges
    commands: list[Command] = field(default_factory=list, repr=False)


@dataclass(eq=False)
class Command:
    block: Block = field(repr=False)
    line: int                  # 1-based line of the "$ " line
    text: str                  # the command as typed, without "$ "
    expected: list[str]        # the lines shown after it (an "[exit code N]" line removed)
    exit_code: int | None = None
    has_exit_line: bool = False

    @property
    def doc(self) -> Path:
        return self.block.doc

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(ROOT).as_posix()}:{self.line}"

    def stdin(self) -> str:
        """The answers a piped session read: the echo after each prompt (see the module doc)."""
        lines = []
        for ln in self.expected:
            if PROMPT in ln:
                lines.append(ln.split(PROMPT, 1)[1])
            elif ln.startswith(CONTINUATION.rstrip()) and lines:
                lines.append(ln[len(CONTINUATION):])
        return "".join(f"{ln}\n" for ln in lines)


@functools.cache
def parse(doc: Path) -> list[Block]:
    """The console blocks of one markdown file (parsed once: commands are compared by identity)."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if not FENCE_OPEN.match(lines[i]):
            i += 1
            continue
        block = Block(doc, i + 1)
        above = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        if m := NOT_RUN.match(above):
            block.skip = m["reason"]
        elif m := EXCERPT.match(above):
            block.excerpt_of = (doc.parent / m["path"]).resolve()
        i += 1
        cmd: Command | None = None
        while i < len(lines) and not FENCE_CLOSE.match(lines[i]):
            ln = lines[i]
            if ln.startswith("$ "):
                text, start = ln[2:], i
                while text.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    text = text[:-1] + lines[i]
                cmd = Command(block, start + 1, text.strip(), [])
                block.commands.append(cmd)
            elif cmd is None:
                raise ValueError(f"{doc}:{i + 1}: a console block must start with a '$ ' command line")
            else:
                cmd.expected.append(ln)
            i += 1
        for c in block.commands:
            _finish(c)
        if block.commands:
            blocks.append(block)
        i += 1
    return blocks


def _finish(cmd: Command) -> None:
    exp = _trim(cmd.expected)
    if exp and (m := EXIT_LINE.match(exp[-1].strip())):
        cmd.exit_code, cmd.has_exit_line = int(m[1]), True
        exp = _trim(exp[:-1])
    cmd.expected = exp


def _trim(lines: list[str]) -> list[str]:
    out = [ln.rstrip() for ln in lines]
    while out and not out[-1]:
        out.pop()
    return out


def normalise(line: str) -> str:
    line = line.rstrip()
    for pattern, repl in VARIABLE:
        line = pattern.sub(repl, line)
    return line


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line-by-line equality after normalising, an elision line matching any run of lines."""
    exp = [None if ELISION.match(e) else normalise(e) for e in expected]
    act = [normalise(a) for a in actual]
    # ok[i][j]: exp[i:] matches act[j:]
    ok = [[False] * (len(act) + 1) for _ in range(len(exp) + 1)]
    ok[len(exp)][len(act)] = True
    for i in range(len(exp) - 1, -1, -1):
        for j in range(len(act), -1, -1):
            if exp[i] is None:
                ok[i][j] = ok[i + 1][j] or (j < len(act) and ok[i][j + 1])
            else:
                ok[i][j] = j < len(act) and exp[i] == act[j] and ok[i + 1][j + 1]
    return ok[0][0]


def all_blocks() -> list[Block]:
    return [b for doc in DOCS for b in parse(doc)]


def all_commands() -> list[Command]:
    return [c for b in all_blocks() for c in b.commands]


# ----------------------------------------------------------------------------
# Running a file's transcripts.
# ----------------------------------------------------------------------------
@dataclass
class Result:
    output: list[str]
    exit_code: int


class Tours:
    """Runs each doc's commands in order, in one directory per doc, remembering the results."""

    def __init__(self, base: Path, cache: Path):
        self.base, self.cache = base, cache
        self.results: dict[str, Result | Exception] = {}
        self.done: set[Path] = set()             # the docs whose commands have run
        self.last_code: dict[Path, int] = {}
        self.by_doc: dict[Path, list[Command]] = {}
        for doc in DOCS:
            self.by_doc[doc] = [c for b in parse(doc) for c in b.commands if not b.skip and not b.excerpt_of]

    def workdir(self, doc: Path) -> Path:
        return self.base / re.sub(r"\W+", "-", doc.relative_to(ROOT).as_posix())

    def result(self, cmd: Command) -> Result:
        """The output of ``cmd``; the first command asked for runs its whole doc, in order.

        All at once rather than test by test: a transcript may depend on time passing only as
        much as it says (quiz.md's ``nncheck review`` right after a quiz must find nothing due
        yet, the quiz's review being due a minute later), whatever other tests run between.
        """
        if cmd.block.excerpt_of is not None:
            return self.result(self.source_of(cmd))
        if cmd.doc not in self.done:
            self.done.add(cmd.doc)
            for c in self.by_doc[cmd.doc]:
                try:
                    self.results[c.id] = self._run(c)
                except Exception as e:  # a crash belongs to its own command's test
                    self.results[c.id] = e
        res = self.results[cmd.id]
        if isinstance(res, Exception):
            raise res
        return res

    def source_of(self, cmd: Command) -> Command:
        """The command of the full transcript that an excerpt's command abridges."""
        block = cmd.block
        assert block.excerpt_of is not None
        source = [c for b in parse(block.excerpt_of) for c in b.commands]
        pos = 0
        for c in block.commands:
            found = next((k for k in range(pos, len(source)) if source[k].text == c.text), None)
            if found is None:
                raise AssertionError(f"{c.id}: '$ {c.text}' is not in {block.excerpt_of.relative_to(ROOT)}")
            if c is cmd:
                return source[found]
            pos = found + 1
        raise AssertionError("unreachable")

    def _setup(self, doc: Path) -> Path:
        root = self.workdir(doc)
        work = root / "work"
        if not work.exists():
            work.mkdir(parents=True)
            if FILES.is_dir():
                shutil.copytree(FILES, work, dirs_exist_ok=True)
            shutil.copytree(ROOT / "docs" / "examples", work / "docs" / "examples")
        return work

    def env(self, doc: Path) -> dict[str, str | None]:
        return {
            "NNCHECK_DATA_DIR": str(self.workdir(doc) / "data"),
            "NNCHECK_CACHE_DIR": str(self.cache),
            "NNCHECK_DB": None, "NNCHECK_BANKS": None, "NNCHECK_DEBUG": None,
            "NO_COLOR": "1", "COLUMNS": "100",
        }

    def _run(self, cmd: Command) -> Result:
        work = self._setup(cmd.doc)
        text = cmd.text.replace(DOC_DIR, str(work))
        words = shlex.split(text, comments=True)
        if text.strip() == "echo $?":
            res = Result([str(self.last_code.get(cmd.doc, 0))], 0)
        elif words and words[0] == "cat" and len(words) == 2:
            res = self._cat(work / words[1], cmd)
        elif words and words[0] == "nncheck":
            res = self._nncheck(words[1:], cmd.stdin(), work, self.env(cmd.doc))
        else:
            env = {k: v for k, v in {**os.environ, **self.env(cmd.doc)}.items() if v is not None}
            p = subprocess.run(text, shell=True, cwd=work, env=env, capture_output=True, text=True)
            res = Result(_trim((p.stdout + p.stderr).splitlines()), p.returncode)
        # The directory the commands run in is a fresh temporary one: the docs call it /tmp/tour.
        for path in {str(work), os.path.realpath(work)}:
            res.output = [ln.replace(path, DOC_DIR) for ln in res.output]
        self.last_code[cmd.doc] = res.exit_code
        return res

    @staticmethod
    def _cat(path: Path, cmd: Command) -> Result:
        if not path.exists():  # the transcript shows an input file: it is the file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(f"{ln}\n" for ln in cmd.expected), encoding="utf-8")
        return Result(_trim(path.read_text(encoding="utf-8").splitlines()), 0)

    @staticmethod
    def _nncheck(argv: list[str], stdin: str, work: Path, env: dict[str, str | None]) -> Result:
        if os.environ.get("NNCHECK_DOCS_SUBPROCESS"):
            full = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
            p = subprocess.run([sys.executable, "-m", "nncheck", *argv], input=stdin, cwd=work, env=full,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
            return Result(_trim(p.stdout.splitlines()), p.returncode)
        from typer.testing import CliRunner

        from nncheck.__main__ import main

        old = os.getcwd()
        code = 0
        with CliRunner().isolation(input=stdin, env=env) as (_out, _err, mixed):
            try:
                os.chdir(work)
                main(argv)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            finally:
                os.chdir(old)
                sys.stdout.flush()
                sys.stderr.flush()
            text = mixed.getvalue().decode("utf-8", "replace")
        return Result(_trim(text.splitlines()), code)


def check(cmd: Command, res: Result) -> str | None:
    """Why ``res`` differs from what the doc shows, or None."""
    problems = []
    if not matches(cmd.expected, res.output):
        diff = difflib.unified_diff(cmd.expected, res.output, "the doc shows", "nncheck prints", lineterm="", n=2)
        problems.append("\n".join(diff))
    if cmd.exit_code is not None and cmd.exit_code != res.exit_code:
        problems.append(f"exit code {res.exit_code}, the doc says {cmd.exit_code}")
    return "\n".join(problems) or None


# ----------------------------------------------------------------------------
# The tests.
# ----------------------------------------------------------------------------
def _params() -> Iterator:
    for c in all_commands():
        yield pytest.param(c, id=c.id)


@pytest.fixture(scope="module")
def tours(tmp_path_factory) -> Tours:
    return Tours(tmp_path_factory.mktemp("tours"), tmp_path_factory.mktemp("tours-cache"))


@pytest.mark.parametrize("cmd", list(_params()))
def test_transcript(tours: Tours, cmd: Command) -> None:
    block = cmd.block
    if block.skip:
        pytest.skip(f"not run (the doc says why): {block.skip}")
    if block.excerpt_of is not None:
        source = tours.source_of(cmd)
        if source.block.skip:
            # The full transcript cannot be run, but the excerpt must still agree with it.
            assert matches(cmd.expected, source.expected), (
                f"{cmd.id} does not agree with the transcript it abridges, {source.id} (which is not run: "
                f"{source.block.skip})")
            return
    res = tours.result(cmd)
    problem = check(cmd, res)
    assert problem is None, f"{cmd.id}: $ {cmd.text}\n{problem}\n(regenerate: python tests/docs/test_tours.py --update)"


def test_transcripts_are_found() -> None:
    # A parser that silently finds nothing would make every transcript test vanish.
    run = [c for c in all_commands() if not c.block.skip]
    assert len(run) >= 50, len(run)
    assert {c.doc.name for c in run} >= {"README.md", "quiz.md", "derive.md", "backprop.md"}


def test_input_is_read_back_from_the_prompts() -> None:
    block = Block(ROOT / "x.md", 1)
    cmd = Command(block, 2, "nncheck quiz", ["(a) fits  Does it fit?  [boolean]", "(a) fits › yes", "✓ correct",
                                             "[2:59:59] (b) W2 › 15", "   … more", "Hand in now? (yes/no) › yes"])
    assert cmd.stdin() == "yes\n15\nmore\nyes\n"


def test_regenerating_keeps_the_elisions() -> None:
    assert regenerate(["a", "...", "x old", "z"], ["a", "b", "c", "x new", "z"]) == ["a", "...", "x new", "z"]
    assert regenerate(["a", "b"], ["a", "c", "d"]) == ["a", "c", "d"]
    assert regenerate(["[3:00:00] x"], ["[2:59:59] x"]) == ["[3:00:00] x"]  # equal once normalised: kept


def test_matching_rules() -> None:
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "…  (comment)", "d"], ["a", "d"])
    assert not matches(["a", "d"], ["a", "b", "d"])
    assert not matches(["a", "...", "d"], ["a", "b", "c"])
    assert matches(["[3:00:00] (a) x › 1", "Score in 0:02 of 3:00:00."],
                   ["[2:59:58] (a) x › 1", "Score in 0:00 of 3:00:00."])
    assert not matches(["(a) x › 1"], ["(a) x › 2"])


# ----------------------------------------------------------------------------
# Regenerating the docs: python tests/docs/test_tours.py --update [FILE ...]
# ----------------------------------------------------------------------------
def regenerate(expected: list[str], actual: list[str]) -> list[str]:
    """New lines for a doc: unchanged lines kept as written, changed ones taken from the tool.

    An elision in the doc keeps eliding what it covers: the lines around it are aligned with
    the tool's output, and only the lines the doc shows are replaced.
    """
    if matches(expected, actual):
        return expected
    exp_n = [None if ELISION.match(e) else normalise(e) for e in expected]
    act_n = [normalise(a) for a in actual]
    sm = difflib.SequenceMatcher(None, exp_n, act_n, autojunk=False)
    out: list[str] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        exp, act = expected[i1:i2], actual[j1:j2]
        if op == "equal":
            out += exp
            continue
        marks = [k for k, e in enumerate(exp) if ELISION.match(e)]
        if not marks:
            out += act
            continue
        pre, post = marks[0], len(exp) - marks[-1] - 1
        if len(act) < pre + post:
            out += act
            continue
        out += act[:pre] + [exp[marks[0]]] + (act[len(act) - post:] if post else [])
    return out


def update(paths: list[str]) -> int:
    docs = [Path(p).resolve() for p in paths] or DOCS
    with tempfile.TemporaryDirectory() as tmp:
        tours = Tours(Path(tmp) / "run", Path(tmp) / "cache")
        changed = failed = 0
        for doc in docs:
            lines = doc.read_text(encoding="utf-8").splitlines()
            edits: list[tuple[int, int, list[str]]] = []   # (first line index, end index, new lines)
            for block in parse(doc):
                if block.skip:
                    print(f"{doc.relative_to(ROOT)}:{block.line}: not run: {block.skip}")
                    continue
                for cmd in block.commands:
                    if block.excerpt_of is not None and tours.source_of(cmd).block.skip:
                        continue
                    try:
                        res = tours.result(cmd)
                    except Exception as e:  # a crash is the tool's bug: report it, keep the doc as it is
                        print(f"{cmd.id}: $ {cmd.text}: {type(e).__name__}: {e}", file=sys.stderr)
                        failed += 1
                        continue
                    if check(cmd, res) is None:
                        continue
                    new = regenerate(cmd.expected, res.output)
                    if cmd.has_exit_line:
                        new = [*new, f"[exit code {res.exit_code}]"]
                    if not matches([ln for ln in new if not EXIT_LINE.match(ln)], res.output):
                        print(f"{cmd.id}: could not re-abridge the output: edit it by hand", file=sys.stderr)
                        failed += 1
                        continue
                    start = cmd.line  # index of the first output line (0-based = line number)
                    end = start + _span(lines, start)
                    edits.append((start, end, new))
                    print(f"{cmd.id}: $ {cmd.text}: output regenerated")
            for start, end, new in sorted(edits, reverse=True):
                # Keep the blank line that separated this command from the next one.
                keep_blank = end > start and not lines[end - 1].strip()
                lines[start:end] = new + ([""] if keep_blank else [])
            if edits:
                doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
                changed += 1
    print(f"{changed} file(s) changed; {failed} command(s) to look at by hand")
    return 1 if failed else 0


def _span(lines: list[str], start: int) -> int:
    """How many lines after a command line belong to its output (up to the next command or fence)."""
    n = 0
    while start + n < len(lines) and not lines[start + n].startswith("$ ") and not FENCE_CLOSE.match(lines[start + n]):
        n += 1
    return n


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "--update":
        sys.exit("usage: python tests/docs/test_tours.py --update [FILE ...]")
    sys.exit(update(args[1:]))
