"""Grade symbolic answers such as ``h*(1-h)`` or ``(yhat - y)/n``."""

from __future__ import annotations

from ..expr.syntax import AnswerSyntaxError, parse, to_text
from .grade import Verdict, invalid


def part_symbols(part: dict) -> dict:
    """name -> SymPy symbol with the assumptions of the part's declared domain."""
    from .sympy_backend import make_symbol

    return {name: make_symbol(name, dom) for name, dom in (part.get("symbols") or {}).items()}


def align(expr, syms: dict):
    """Re-key ``expr``'s symbols by name onto ``syms`` (solvers may build plain Symbols)."""
    import sympy

    if not isinstance(expr, sympy.Basic):
        return sympy.sympify(expr) if isinstance(expr, (int, float)) else expr
    mapping = {s: syms[s.name] for s in expr.free_symbols if s.name in syms and s != syms[s.name]}
    return expr.xreplace(mapping) if mapping else expr


def grade_expression(part: dict, expected, text: str, mistakes=()) -> Verdict:
    from .equiv import equivalent
    from .sympy_backend import to_sympy

    domains = part.get("symbols") or {}
    syms = part_symbols(part)
    try:
        node = parse(text, symbols=set(syms))
        yours = to_sympy(node, dict(syms), text)
    except AnswerSyntaxError as e:
        return invalid(e)
    parsed = to_text(node)
    expected = align(expected, syms)
    import sympy

    if isinstance(yours, sympy.MatrixBase) != isinstance(expected, sympy.MatrixBase):
        return Verdict("incorrect", 0.0, "expected a single expression" if not isinstance(expected, sympy.MatrixBase)
                       else "expected a vector or matrix", parsed_as=parsed)
    res = equivalent(yours, expected, domains)
    if res.equal:
        return Verdict("correct", 1.0, "Correct: equivalent to the expected expression.", parsed_as=parsed)
    if res.undecided:
        return Verdict("incorrect", 0.0, "could not decide whether this equals the answer", parsed_as=parsed)
    v = Verdict("incorrect", 0.0, "Not equivalent: " + res.counterexample() + ".", parsed_as=parsed)
    for mid, msg, mval in mistakes:
        try:
            m = equivalent(yours, align(mval, syms), domains)
        except Exception:
            continue
        if m.equal:
            v.feedback = msg + " (" + res.counterexample() + ")"
            v.mistake = mid
            break
    return v
