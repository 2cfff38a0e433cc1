"""Scaffolding shared by the topic tests: records and answer keys, values as floats and as typed
answers, the mistake checks, finite differences and the command line's one-line errors.

Family ids and seed ranges stay in each test module, given as arguments (often bound once with
``functools.partial``).
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
from typer.testing import CliRunner

from nncheck.bank.index import load_catalog
from nncheck.cli.app import app
from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.kinds.values import expr_text, flat_shape, to_float

runner = CliRunner()


# ----------------------------------------------------------------------------
# Records and answer keys.
# ----------------------------------------------------------------------------
@cache
def catalog():
    return load_catalog(use_cache=False)


def record(fid: str) -> dict:
    return catalog().get(fid)


def declared(fid: str) -> list[str]:
    """The ids of the mistakes a family declares."""
    return [m["id"] for m in record(fid)["mistakes"]]


def strs(overrides: dict) -> dict:
    """Overrides as the command line gives them: every value a string."""
    return {k: str(v) for k, v in overrides.items()}


def key_of(fid: str, seed: int = 1, **overrides):
    """The answer key of the variant of ``fid`` drawn with ``seed`` around the given overrides."""
    return answer_key(make_variant(record(fid), seed, strs(overrides)))


@cache
def drawn_keys(fid: str, seeds: range) -> tuple:
    """Answer keys of random instances, one a seed (answer_key raises if SymPy and NumPy disagree)."""
    return tuple(answer_key(build_variant(record(fid), s, {})) for s in seeds)


# ----------------------------------------------------------------------------
# Values as numbers and as typed answers.
# ----------------------------------------------------------------------------
def floats(value) -> list[float]:
    """A scalar, vector or matrix value, flattened row by row."""
    return [to_float(v) for v in flat_shape(value)[0]]


def part_floats(key, part: str) -> list[float]:
    return floats(key.part(part).exact)


def arr(value) -> np.ndarray:
    """A key or mistake value as a float array of its own shape."""
    flat, shape = flat_shape(value)
    return np.array([to_float(x) for x in flat]).reshape(shape)


def kind_text(value, kind: str) -> str:
    """An answer as a student would type it for a part of this kind (full float precision)."""
    if kind == "expression":
        return expr_text(value)
    a = arr(value)
    if kind == "matrix":
        return "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in np.atleast_2d(a)) + "]"
    if kind == "vector":
        return "[" + ", ".join(repr(float(v)) for v in a.ravel()) + "]"
    return repr(float(a))


def central(fn, eps=1e-6) -> float:
    """The central difference quotient of fn at 0."""
    return (fn(eps) - fn(-eps)) / (2 * eps)


# ----------------------------------------------------------------------------
# Mistakes.
# ----------------------------------------------------------------------------
def mistake_recognised(keys, mid: str, text, *, by_kind: bool = False, require_incorrect: bool = True) -> bool:
    """Whether a value of mistake ``mid``, typed with ``text`` (given the part's kind too when
    ``by_kind``), is graded as that mistake for one of the keys (and as incorrect too, if
    ``require_incorrect``)."""
    for key in keys:
        for part in key.variant.parts:
            for got_id, _msg, value in key.mistakes_for(part["name"]):
                if got_id == mid:
                    v = grade(key, part["name"], text(value, part["kind"]) if by_kind else text(value))
                    if v.mistake == mid and (v.status == "incorrect" or not require_incorrect):
                        return True
    return False


def check_keys_accepted(keys) -> None:
    """Every part of every key, typed as its kind asks, is graded correct."""
    for key in keys:
        for part in key.variant.parts:
            kp = key.parts[part["name"]]
            assert grade(key, part["name"], kind_text(kp.exact, kp.kind)).status == "correct", part["name"]


def declared_mistake_tests(families: tuple[str, ...], keys, *, accepted: int | None = None):
    """The two tests of a file whose families declare mistakes, as module-level test functions.

    ``keys(fid)`` gives the candidate keys: each declared mistake must be recognised, typed as its
    part's kind asks, on one of them, and the first ``accepted`` of them (all by default) must accept
    their own answers.  Use: ``test_a, test_b = declared_mistake_tests(...)`` so pytest collects both.
    """
    import pytest

    @pytest.mark.parametrize("fid,mid", [(f, m) for f in families for m in declared(f)])
    def test_each_declared_mistake_is_recognised(fid, mid):
        assert mistake_recognised(keys(fid), mid, kind_text, by_kind=True), f"{fid}: mistake {mid} never recognised"

    @pytest.mark.parametrize("fid", families)
    def test_the_key_itself_is_accepted(fid):
        check_keys_accepted(keys(fid)[:accepted])

    return test_each_declared_mistake_is_recognised, test_the_key_itself_is_accepted


def check_mistake_library(declared: set, cases, key, text) -> None:
    """Every key part of every case is accepted, every mistake value is refused, and each declared
    mistake is named for its own value at least once. ``key(**case)`` gives a case's answer key."""
    seen = set()
    for case in cases:
        k = key(**case)
        for part in k.parts:
            assert grade(k, part, text(k.parts[part].exact)).status == "correct", (case, part)
            for mid, _msg, value in k.mistakes_for(part):
                verdict = grade(k, part, text(value))
                assert verdict.status == "incorrect", (case, part, mid)
                if verdict.mistake == mid:
                    seen.add(mid)
    assert seen == declared, declared - seen


# ----------------------------------------------------------------------------
# Bad input at the command line: one line, exit code 2.
# ----------------------------------------------------------------------------
WARNING = "nncheck: warning:"


def output_lines(result, *, skip_warnings: bool = False) -> list[str]:
    """The command's non-blank output lines; with ``skip_warnings``, without warnings about some other
    bank file (they are not this command's answer)."""
    return [ln for ln in result.output.strip().splitlines()
            if ln.strip() and not (skip_warnings and ln.startswith(WARNING))]


def one_line_error(args, *fragments, skip_warnings: bool = False) -> None:
    """``nncheck *args`` exits with 2 and one line holding every fragment, and no traceback."""
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    lines = output_lines(r, skip_warnings=skip_warnings)
    assert len(lines) == 1 and "Traceback" not in r.output, r.output
    for f in fragments:
        assert f in lines[0], lines[0]


def bad_overrides_test(cases: list):
    """A test that each ``(args, fragments)`` case fails in one line with exit code 2 (see
    :func:`one_line_error`).  A warning about some other bank file is not these errors' business.
    Use: ``test_bad_overrides = bad_overrides_test([...])`` so pytest collects it."""
    import pytest

    @pytest.mark.parametrize("args,fragments", cases)
    def test_bad_overrides(args, fragments):
        one_line_error(args, *fragments, skip_warnings=True)

    return test_bad_overrides


def solve_then_check(fid: str, seed: int, part: str) -> None:
    """``solve --json`` gives the part's answer, and ``check`` accepts it."""
    r = runner.invoke(app, ["solve", fid, "--seed", str(seed), "--json"])
    assert r.exit_code == 0, r.output
    answer = next(p for p in json.loads(r.stdout)["parts"] if p["name"] == part)["answer"]
    r = runner.invoke(app, ["check", fid, "--seed", str(seed), "-p", part, "-a", str(answer)])
    assert r.exit_code == 0, r.output


def show_fails_in_one_line(fid: str, args, fragment: str) -> None:
    """``nncheck show fid *args`` exits with 2 and one line (warnings aside) holding the fragment."""
    r = runner.invoke(app, ["show", fid, *args])
    assert r.exit_code == 2, (args, r.output)
    lines = output_lines(r, skip_warnings=True)
    assert len(lines) == 1 and fragment in lines[0], (args, r.output)
