"""The fast front end: ``nncheck``, ``--help``, ``list``, ``show``, ``quiz`` and repeat ``check`` without Typer.

These commands are typed often and must feel instant, so they skip Typer, rich (except
for the quiz's views), PyYAML, pydantic, NumPy and SymPy: they read the cached bank index,
draw the variant in plain Python and print plain text (a few ANSI codes on a terminal).

There is one definition of each of these commands, here: the Typer commands
(:mod:`nncheck.cli.cmd_core`, :mod:`nncheck.cli.cmd_quiz`) call the same functions.  What
differs is only who reads the command line: :func:`run` reads it with
:mod:`nncheck.cli.fastargs` from the option table generated from the Typer declarations
(:mod:`nncheck.cli._options`), and anything it is not sure about is handed to the Typer
app (``run`` returns None), which owns every usage message.  Failures go through the one
error policy, :mod:`nncheck.cli.policy`.  ``tests/core/test_fast.py`` checks that both
paths print the same thing and that nothing heavy is imported.

``check`` is served here only when it is cheap: a repeat check whose key is in the key cache
(:mod:`nncheck.key.cache`, which holds only numeric parts), without ``--latex``.  Everything up
to the verdict is worked out before anything is printed, and any doubt or error there hands the
command to the Typer app, which runs it from the start as it always would (:func:`check_fast`).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable

    from nncheck.answer.verdict import Verdict
    from nncheck.bank.index import Catalog
    from nncheck.generate.variant import Variant
    from nncheck.key.model import AnswerKey

HELP_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_help.txt")


def run(argv: list[str]) -> int | None:
    """Run a fast command and return its exit code, or None to let the Typer app run it."""
    if not argv or argv in (["--help"], ["-h"]):
        try:
            with open(HELP_FILE, encoding="utf-8") as fh:
                text = fh.read()
        except OSError:
            return None  # no generated help (a broken install): Typer builds it

        def show_help() -> None:
            sys.stdout.write(text)

        return guarded(show_help, json_=False)
    command = COMMANDS.get(argv[0])
    if command is None:
        return None
    from nncheck.cli._options import OPTIONS
    from nncheck.cli.fastargs import parse

    values = parse(OPTIONS[argv[0]], argv[1:])
    if values is None:
        return None
    if command is check_command:
        try:
            show = check_fast(values)
        except KeyboardInterrupt as e:  # Ctrl-C while the key is read: the policy's line, not a traceback
            from nncheck.cli.policy import report

            return report(e, json_=bool(values["json_"]))
        if show is None:
            return None
        return guarded(show, json_=bool(values["json_"]))
    return guarded(lambda: command(**values), json_=bool(values.get("json_")))


def guarded(fn: Callable[[], int | None], *, json_: bool) -> int:
    """Run ``fn``: the exit code it returns (None: 0), or the error policy's line and exit code."""
    try:
        code = fn()
        sys.stdout.flush()  # a closed pipe shows here, inside the policy, not in the flush at exit
    except (Exception, KeyboardInterrupt) as e:
        from nncheck.cli.policy import report

        return report(e, json_=json_)
    return code or 0


# ----------------------------------------------------------------------------
# The commands.  Their keyword arguments are the Typer commands' parameters.
# ----------------------------------------------------------------------------
def list_command(*, topic: list[str] | None, bank: list[str] | None, json_: bool) -> None:
    """``nncheck list``: the problem families (id, topic, title)."""
    from nncheck.cli.output import catalog, emit_json
    from nncheck.render.text import list_json, list_view, use_color

    records = catalog(bank).select_summaries(topics=topic)
    if json_:
        emit_json(list_json(records))
    else:
        sys.stdout.write(list_view(records, use_color()) + "\n")


def show_command(*, family_id: str, assignments: list[str] | None, seed: int, strict: bool, bank: list[str] | None,
                 json_: bool) -> None:
    """``nncheck show``: a problem statement, drawn from ``seed`` or with the user's numbers."""
    from nncheck.cli.output import catalog, emit_json
    from nncheck.generate.variant import make_variant, parse_assignments
    from nncheck.render.text import show_view, use_color

    v = make_variant(catalog(bank).get(family_id), seed, parse_assignments(assignments or []), strict=strict)
    if json_:
        emit_json(v.to_json())
    else:
        sys.stdout.write(show_view(v, use_color()) + "\n")


def quiz_command(*, topic: list[str] | None, family: list[str] | None, count: int, seed: int | None,
                 difficulty: list[str] | None, bank: list[str] | None, db: str | None, json_: bool) -> None:
    """``nncheck quiz``: plan the session, open the history, practise, summarize.

    The first question must be on screen within 0.35 s: nothing heavy is imported before
    it is shown (the answer keys are computed in a background thread while the student
    reads, and prompt_toolkit only when the first answer is read from a terminal).
    """
    from nncheck.cli.loop import practise
    from nncheck.cli.output import catalog, emit_json
    from nncheck.practice.session import Session, parse_difficulty, plan_quiz, session_seed
    from nncheck.practice.store import open_store
    from nncheck.render.quiz_views import Terminal, practice_intro

    cat = catalog(bank)
    sseed = session_seed(seed)
    plan = plan_quiz(cat, topics=topic, families=family, count=count, seed=sseed,
                     difficulty=parse_difficulty(difficulty))
    store = open_store(db)
    assert store is not None  # only a read-only open finds no database
    try:
        config = {"topics": list(topic or []), "families": list(family or []), "count": count,
                  "difficulty": list(difficulty or []), "banks": [os.path.abspath(b) for b in bank or []]}
        session = Session(cat, plan, mode="quiz", store=store, seed=sseed, config=config)
        term = Terminal(to_stderr=json_)
        term.show(practice_intro())
        # The summary ends with the whole command that asks these problems again.
        practise(session, term, title=f"Quiz summary (seed {sseed})")
        if json_:
            emit_json(session.summary_json())
    finally:
        store.close()


def check_command(*, family_id: str, assignments: list[str] | None, part: str | None, answer: str | None,
                  given: list[str] | None, latex: bool, seed: int, strict: bool, bank: list[str] | None,
                  json_: bool) -> int:
    """``nncheck check``: grade one answer; the exit code is 0 correct, 1 incorrect, 2 unreadable.

    The Typer command runs this; the fast front end runs :func:`check_fast` (the same steps, when
    the key is cached).
    """
    from nncheck.cli.output import catalog
    from nncheck.errors import UsageError
    from nncheck.key.cache import cached_answer_key

    if answer is None:  # before the catalogue is read (and its warnings printed)
        raise UsageError("give your answer with --answer TEXT")
    asked = part
    v, part, earlier = check_inputs(catalog(bank), family_id, assignments, part, given, seed, strict=strict)
    # Checking the parts of one problem in turn computes its key once: later checks read it from
    # the cache, and grade a numeric part without SymPy (nncheck/key/cache.py).
    key = cached_answer_key(v, [part, *earlier])
    verdict = check_grade(key, part, answer, earlier, latex=latex)
    return print_check(v, part, verdict, json_=json_, asked=asked)


def check_fast(values: dict[str, object]) -> Callable[[], int] | None:
    """``nncheck check`` without Typer, SymPy or NumPy: what prints the verdict, or None to hand over.

    Served only for a check the cache answers (its part and every ``--given`` part stored, so all
    numeric), without ``--latex``.  The catalogue, the variant, the key and the verdict are worked
    out first, printing nothing; any error or doubt there returns None, and the Typer app runs
    :func:`check_command` from the start, printing the bank warnings and the error as it always
    does.  Only the printing (the same :func:`print_check`) is left for the returned function.
    """
    if values["latex"] or values["answer"] is None:
        return None
    try:
        from nncheck.bank.index import load_catalog
        from nncheck.key import cache

        cat = load_catalog(values["bank"] or [])  # type: ignore[arg-type]
        v, part, earlier = check_inputs(cat, values["family_id"], values["assignments"],  # type: ignore[arg-type]
                                        values["part"], values["given"], values["seed"],  # type: ignore[arg-type]
                                        strict=bool(values["strict"]))
        needed = [part, *earlier]
        ident = cache.identity(v)
        if ident is None:
            return None
        hit = cache.load(v, ident)  # a doubtful entry raises: handed over, and the Typer path rewrites it
        if hit is None or not all(n in hit.stored for n in needed):
            return None
        # The one way a key is read from the cache (it also marks the entry as recently used); the entry
        # was just found, so this reads it and does not compute.
        key = cache.cached_answer_key(v, needed)
        verdict = check_grade(key, part, str(values["answer"]), earlier, latex=False)
    except Exception:
        return None

    def show() -> int:
        from nncheck.cli.output import warn

        warn(cat)
        return print_check(v, part, verdict, json_=bool(values["json_"]), asked=values["part"])  # type: ignore[arg-type]

    return show


def check_inputs(cat: Catalog, family_id: str, assignments: list[str] | None, part: str | None,
                 given: list[str] | None, seed: int, *, strict: bool = False) -> tuple[Variant, str, dict[str, str]]:
    """The variant, the part checked and the ``--given`` answers; a usage error for what is missing.

    A part the homework names but this instance does not ask, and that the bank says is another part
    here (optim.step's x1 is xT when T = 1), is checked as that part."""
    from nncheck.errors import UsageError
    from nncheck.generate.variant import make_variant, parse_assignments

    v = make_variant(cat.get(family_id), seed, parse_assignments(assignments or []), strict=strict)
    parts = v.parts
    if part is None:
        if len(parts) != 1:
            raise UsageError(f"{v.id} has several parts; choose one with --part "
                             f"({', '.join(p['name'] for p in parts)})")
        part = parts[0]["name"]
    part = v.same_as(part) or part
    v.part(part)  # a clear error for an unknown part, before any SymPy work
    return v, part, given_answers(v, part, given or [])


def given_answers(v: Variant, part: str, given: list[str]) -> dict[str, str]:
    """``--given PART=ANSWER`` options as {part: answer}; an unknown or repeated part is a usage error."""
    from nncheck.errors import UsageError

    out: dict[str, str] = {}
    for item in given:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq or not name or not text.strip():
            raise UsageError(f"--given '{item}': write PART=ANSWER, e.g. --given xi1='[[1, 2]]'")
        name = v.same_as(name) or name
        v.part(name)  # a clear error for an unknown part
        if name == part:
            raise UsageError(f"--given {name}: that is the part being checked; give its answer with --answer")
        if name in out:
            raise UsageError(f"--given {name} appears twice: give each earlier part once")
        out[name] = text
    return out


def check_grade(key: AnswerKey, part: str, answer: str, earlier: dict[str, str], *, latex: bool) -> Verdict:
    """The verdict on ``answer``, with error carried forward from the ``--given`` answers ``earlier``."""
    from nncheck.key.grade import grade

    if earlier:
        _check_given(key, part, earlier, latex=latex or None)
    # Without --latex, an answer with a backslash, a brace or $ is read as LaTeX all the same.
    return grade(key, part, answer, earlier, latex=latex or None)


def _check_given(key: AnswerKey, part: str, earlier: dict[str, str], *, latex: bool | None = None) -> None:
    """Error carried forward needs every part ``part`` is computed from, and only those."""
    from nncheck.errors import UsageError
    from nncheck.key.grade import grade

    inputs = key.carry_inputs(part)
    if not inputs:
        raise UsageError(f"part {part} is not computed from other parts of {key.variant.id}: "
                         "--given does not apply to it")
    extra = [n for n in earlier if n not in inputs]
    missing = [n for n in inputs if n not in earlier]
    if extra or missing:
        raise UsageError(f"part {part} is computed from {', '.join(inputs)}: give each of them with --given "
                         f"(your answer, right or wrong)" + (f", and not {', '.join(extra)}" if extra else ""))
    for name, text in earlier.items():
        verdict = grade(key, name, text, latex=latex)
        if verdict.status == "invalid":  # it would carry nothing: say so rather than grade without it
            raise UsageError(f"--given {name}: {verdict.feedback}")


def print_check(v: Variant, part: str, verdict: Verdict, *, json_: bool, asked: str | None = None) -> int:
    """Print a verdict (JSON, or rich text: plain when piped) and return check's exit code.

    ``asked``: the part as the user named it, when this instance calls it ``part``."""
    from nncheck.cli.output import console, emit_json

    alias = asked if asked is not None and asked != part else None
    if json_:
        emit_json({"id": v.id, "seed": v.seed, "part": part, **({"asked_as": alias} if alias else {}),
                   "given": sorted(v.overrides), "defaulted": v.used_defaulted(), "drawn": list(v.drawn),
                   **verdict.to_json()})
    else:
        from nncheck.render.rich_views import verdict_renderable

        out = console(wide=True)
        print_origin(out, v)
        if alias:
            out.print(f"part {alias} is part {part} in this instance: checked as {part}", markup=False,
                      highlight=False)
        out.print(verdict_renderable(verdict, part))
    return {"correct": 0, "incorrect": 1, "invalid": 2}[verdict.status]


def print_origin(out, v: Variant) -> None:
    """Above a key or a verdict: where the values you did not give come from (defaults, the seed)."""
    from nncheck.render.text import origin_lines

    for line in origin_lines(v):
        out.print(line, markup=False, highlight=False, style="dim")


COMMANDS: dict[str, Callable[..., int | None]] = {"list": list_command, "show": show_command, "quiz": quiz_command,
                                              "check": check_command}
