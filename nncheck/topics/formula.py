"""YAML-only families: answers, mistakes and solution steps written as formulas.

An instructor writes ``answer: (W1 + 2*P - D*(F-1) - 1)/S + 1`` in a bank file.  The
formula is parsed once by the answer language's safe parser (never ``eval``) and the
same tree is evaluated two independent ways:

* exactly, by building SymPy objects (Rational arithmetic, closed forms);
* numerically, by NumPy on float64 arrays.

The two must agree, as for the bundled Python solvers; a disagreement refuses the
variant.  Array semantics are the same in both: a vector is a column, ``*`` between two
arrays is the matrix product, ``'``/``ᵀ`` transposes, functions act entry by entry.
"""

from __future__ import annotations

import math
from fractions import Fraction

from nncheck.errors import AnswerKeyError, BankError
from nncheck.lang.formula import FormulaError, _at, parse_formula
from nncheck.lang.syntax import (
    AnswerSyntaxError,
    BinOp,
    Call,
    Derivative,
    Matrix,
    Name,
    Node,
    Num,
    Relation,
    Transpose,
    Unary,
    Vector,
    Word,
)


def formula_text(value) -> str:
    """A YAML answer may be a number, a list, or a formula string."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(formula_text(v) for v in value) + "]"
    return str(value)


# ----------------------------------------------------------------------------
# The SymPy path.
# ----------------------------------------------------------------------------
def to_exact(node: Node, env: dict, symbols: dict | None = None):
    """Evaluate with SymPy.  ``env`` holds parameter values (int, Fraction, lists)."""
    import sympy

    from nncheck.lang.sympy_backend import sigma

    symbols = symbols or {}

    def val(v):
        if isinstance(v, bool):
            return sympy.true if v else sympy.false
        if isinstance(v, int):
            return sympy.Integer(v)
        if isinstance(v, Fraction):
            return sympy.Rational(v.numerator, v.denominator)
        if isinstance(v, float):
            return sympy.nsimplify(v, rational=True)
        if isinstance(v, str):
            return v
        if isinstance(v, list):
            if v and isinstance(v[0], list):
                return sympy.Matrix([[val(x) for x in r] for r in v])
            return sympy.Matrix([val(x) for x in v])
        return v

    def is_mat(x):
        return isinstance(x, sympy.MatrixBase)

    def ev(n: Node):
        if isinstance(n, Num):
            return val(n.value)
        if isinstance(n, Name):
            if n.name in env:
                return val(env[n.name])
            if n.name in symbols:
                return symbols[n.name]
            if n.name == "e":
                return sympy.E
            if n.name == "pi":
                return sympy.pi
            raise FormulaError(f"'{n.name}' has no value", n)
        if isinstance(n, Word):
            return n.word
        if isinstance(n, Vector):
            return sympy.Matrix([ev(x) for x in n.items])
        if isinstance(n, Matrix):
            return sympy.Matrix([[ev(x) for x in r] for r in n.rows])
        if isinstance(n, Transpose):
            v = ev(n.arg)
            return v.T if is_mat(v) else v
        if isinstance(n, Unary):
            v = ev(n.arg)
            if n.op == "not":
                return not _truth(v)
            return -v
        if isinstance(n, Relation):
            vals = [ev(t) for t in n.terms]
            return all(_cmp(op, a, b) for op, a, b in zip(n.ops, vals, vals[1:]))
        if isinstance(n, BinOp):
            if n.op == "and":
                return _truth(ev(n.left)) and _truth(ev(n.right))
            if n.op == "or":
                return _truth(ev(n.left)) or _truth(ev(n.right))
            a, b = ev(n.left), ev(n.right)
            op = n.op
            if op in ("<", "<=", ">", ">=", "=", "!="):
                return _cmp(op, a, b)
            if op == "+":
                return _add(a, b, n, 1)
            if op == "-":
                return _add(a, b, n, -1)
            if op == "*":
                if is_mat(a) and is_mat(b) and a.shape[1] != b.shape[0]:
                    raise FormulaError(f"cannot multiply {a.shape[0]}×{a.shape[1]} by {b.shape[0]}×{b.shape[1]}", n)
                return a * b
            if op == "/":
                if is_mat(b):
                    raise FormulaError("cannot divide by an array", n)
                if b == 0:
                    raise FormulaError("division by zero", n)
                return a / b
            if op == "%":
                return sympy.Mod(a, b)
            if op == "^":
                if is_mat(a) or is_mat(b):
                    raise FormulaError("powers of arrays are not defined; use a*a", n)
                if b.is_Number and abs(b) > 1000:
                    raise FormulaError("exponent too large", n)
                return a**b
        if isinstance(n, Call):
            args = [ev(a) for a in n.args]
            return _exact_call(n, args)
        if isinstance(n, Derivative):
            inner = ev(n.expr)
            var = symbols.get(n.var)
            if var is None:
                raise FormulaError(f"d/d{n.var} needs '{n.var}' to be a declared symbol", n)
            return sympy.diff(inner, var)
        raise FormulaError(f"unsupported formula piece {type(n).__name__}", n)

    def _add(a, b, n, sign):
        if is_mat(a) != is_mat(b) or (is_mat(a) and a.shape != b.shape):
            raise FormulaError("'+'/'−' need two numbers or two arrays of the same shape", n)
        return a + b if sign > 0 else a - b

    def _exact_call(n, args):
        f = n.func
        x = args[0]
        unary = {"exp": sympy.exp, "ln": sympy.log, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
                 "sigma": sigma, "tanh": sympy.tanh, "relu": lambda t: sympy.Max(0, t),
                 "floor": sympy.floor, "ceil": sympy.ceiling}
        if f in unary:
            return x.applyfunc(unary[f]) if is_mat(x) else unary[f](x)
        if f in ("max", "min"):
            return (sympy.Max if f == "max" else sympy.Min)(*args)
        if f == "round":
            nd = int(args[1]) if len(args) > 1 else 0
            return sympy.Rational(round(Fraction(str(sympy.Rational(x))), nd)) if x.is_Rational else sympy.Float(round(float(x), nd))
        if f == "len":
            return sympy.Integer(len(x)) if is_mat(x) else sympy.Integer(1)
        if f == "rows":
            return sympy.Integer(x.shape[0]) if is_mat(x) else sympy.Integer(1)
        if f == "cols":
            return sympy.Integer(x.shape[1]) if is_mat(x) else sympy.Integer(1)
        if f == "sum":
            return sum(x) if is_mat(x) else x
        if f == "mean":
            return sum(x) / len(x) if is_mat(x) else x
        if f == "norm":
            return sympy.sqrt(sum(v**2 for v in x)) if is_mat(x) else sympy.Abs(x)
        if f == "dot":
            a, b = args
            if not (is_mat(a) and is_mat(b)) or len(a) != len(b):
                raise FormulaError("dot needs two vectors of the same length", n)
            return sum(p * q for p, q in zip(a, b))
        if f == "at":
            return _at(n, args, lambda m, i, j: m[i, j], lambda m, i: m[i])
        if f == "isint":
            return bool(x.is_integer) if not is_mat(x) else all(v.is_integer for v in x)
        if f == "onehot":
            return is_mat(x) and all(v in (0, 1) for v in x) and sum(x) == 1
        if f == "ifelse":
            return args[1] if _truth(args[0]) else args[2]
        raise FormulaError(f"function '{f}' is not available in formulas", n)

    return ev(node)


def _truth(v) -> bool:
    try:
        return bool(v)
    except TypeError:
        return False


def _cmp(op, a, b) -> bool:
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


# ----------------------------------------------------------------------------
# The NumPy path: same tree, float64 arrays, vectors as columns.
# ----------------------------------------------------------------------------
def to_numeric(node: Node, env: dict, point: dict | None = None):
    import numpy as np

    point = point or {}

    def val(v):
        if isinstance(v, bool):
            return v
        if isinstance(v, (int, Fraction, float)):
            return float(v)
        if isinstance(v, str):
            return v
        if isinstance(v, list):
            if v and isinstance(v[0], list):
                return np.array([[float(x) for x in r] for r in v])
            return np.array([[float(x)] for x in v])
        return v

    def arr(x):
        return isinstance(x, np.ndarray)

    def ev(n: Node):
        if isinstance(n, Num):
            return float(n.value)
        if isinstance(n, Name):
            if n.name in env:
                return val(env[n.name])
            if n.name in point:
                return float(point[n.name])
            if n.name == "e":
                return math.e
            if n.name == "pi":
                return math.pi
            raise FormulaError(f"'{n.name}' has no value", n)
        if isinstance(n, Word):
            return n.word
        if isinstance(n, Vector):
            return np.array([[ev(x)] for x in n.items], dtype=float)
        if isinstance(n, Matrix):
            return np.array([[ev(x) for x in r] for r in n.rows], dtype=float)
        if isinstance(n, Transpose):
            v = ev(n.arg)
            return v.T if arr(v) else v
        if isinstance(n, Unary):
            v = ev(n.arg)
            return (not bool(v)) if n.op == "not" else -v
        if isinstance(n, Relation):
            vals = [ev(t) for t in n.terms]
            return all(_ncmp(op, a, b) for op, a, b in zip(n.ops, vals, vals[1:]))
        if isinstance(n, BinOp):
            if n.op == "and":
                return bool(ev(n.left)) and bool(ev(n.right))
            if n.op == "or":
                return bool(ev(n.left)) or bool(ev(n.right))
            a, b = ev(n.left), ev(n.right)
            op = n.op
            if op in ("<", "<=", ">", ">=", "=", "!="):
                return _ncmp(op, a, b)
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a @ b if arr(a) and arr(b) else a * b
            if op == "/":
                return a / b
            if op == "%":
                return float(np.mod(a, b))
            if op == "^":
                return float(np.power(a, b))
        if isinstance(n, Call):
            args = [ev(a) for a in n.args]
            f = n.func
            x = args[0]
            unary = {"exp": np.exp, "ln": np.log, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
                     "sigma": lambda t: 1.0 / (1.0 + np.exp(-t)), "tanh": np.tanh,
                     "relu": lambda t: np.maximum(0.0, t), "floor": np.floor, "ceil": np.ceil}
            if f in unary:
                r = unary[f](x)
                return r if arr(r) else float(r)
            if f in ("max", "min"):
                return float(max(args) if f == "max" else min(args))
            if f == "round":
                return float(round(x, int(args[1]) if len(args) > 1 else 0))
            if f == "len":
                return float(x.size) if arr(x) else 1.0
            if f == "rows":
                return float(x.shape[0]) if arr(x) else 1.0
            if f == "cols":
                return float(x.shape[1]) if arr(x) else 1.0
            if f == "sum":
                return float(np.sum(x))
            if f == "mean":
                return float(np.mean(x))
            if f == "norm":
                return float(np.linalg.norm(x))
            if f == "dot":
                return float(np.sum(np.ravel(args[0]) * np.ravel(args[1])))
            if f == "at":
                return float(_at(n, args, lambda m, i, j: m[i, j], lambda m, i: np.ravel(m)[i]))
            if f == "isint":
                return bool(np.all(np.isclose(x, np.round(x), rtol=0, atol=1e-9)))
            if f == "onehot":
                flat = np.ravel(x)
                return bool(np.all(np.isin(flat, [0.0, 1.0])) and flat.sum() == 1)
            if f == "ifelse":
                return args[1] if bool(args[0]) else args[2]
            raise FormulaError(f"function '{f}' is not available in formulas", n)
        raise FormulaError(f"unsupported formula piece {type(n).__name__}", n)

    return ev(node)


def _ncmp(op, a, b) -> bool:
    import numpy as np

    if op in ("=", "!="):
        same = bool(np.all(np.isclose(a, b, rtol=1e-12, atol=1e-12))) if not isinstance(a, str) else a == b
        return same if op == "=" else not same
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


# ----------------------------------------------------------------------------
# The answer key of a YAML-only family.
# ----------------------------------------------------------------------------
def _where(variant, field: str) -> dict:
    fam = variant.family
    return {"file": fam.get("_file", "?"), "line": fam.get("_line"), "field": f"{fam['id']}.{field}"}


def part_values(variant, part: dict, formula, field: str):
    """(exact, numeric) of one formula for one part of ``variant``."""
    from nncheck.generate.variant import choice_literals
    from nncheck.lang.sympy_backend import make_symbol

    env = {**choice_literals(variant.family), **variant.values()}
    syms = {n: make_symbol(n, d) for n, d in (part.get("symbols") or {}).items()}
    try:
        node = parse_formula(formula_text(formula), names=None)
        exact = to_exact(node, env, syms)
    except (AnswerSyntaxError, FormulaError) as e:
        raise BankError(f"formula '{formula_text(formula)}' fails: {e.message}", **_where(variant, field)) from None
    if part["kind"] in ("expression", "derivation"):
        def numeric(point, _node=node, _env=env):
            return float(to_numeric(_node, _env, point))
    else:
        import numpy as np

        try:
            # Overflow or 0/0 in the NumPy path is a failure of the formula, not a silent inf/nan.
            with np.errstate(over="raise", divide="raise", invalid="raise"):
                numeric = to_numeric(node, env)
        except FormulaError as e:
            raise BankError(f"formula '{formula_text(formula)}' fails: {e.message}", **_where(variant, field)) from None
        except (ZeroDivisionError, FloatingPointError, OverflowError) as e:
            raise BankError(f"formula '{formula_text(formula)}' fails: {e}", **_where(variant, field)) from None
    return _shape_for(part["kind"], exact), _shape_for(part["kind"], numeric)


def _shape_for(kind: str, v):
    """Booleans and integers as the part kind expects them."""
    if kind == "boolean":
        return bool(v)
    if kind == "choice":
        return str(v)
    return v


def formula_key(variant):
    """Answer key for a family with no Python solver: every part from its ``answer`` formula."""
    from nncheck.key.compute import AnswerKey, KeyPart, agree

    parts = {}
    for spec in variant.parts:
        name = spec["name"]
        exact, numeric = part_values(variant, spec, spec.get("answer"), f"parts.{name}.answer")
        ok, why = agree(spec, exact, numeric)
        if not ok:
            raise AnswerKeyError(f"{variant.id} (seed {variant.seed}): refused, the two computations of part "
                                 f"'{name}' disagree: {why}")
        steps = [variant.render(s) for s in spec.get("solution") or []]
        parts[name] = KeyPart(name, spec["kind"], exact, numeric, steps, spec)
    mistakes: dict = {}
    for m in variant.family.get("mistakes", []):
        values = {}
        for part_name, formula in (m.get("formula") or {}).items():
            if part_name not in parts:
                continue
            exact, _ = part_values(variant, parts[part_name].spec, formula, f"mistakes.{m['id']}")
            from nncheck.key.compute import agree as _agree

            same, _ = _agree(parts[part_name].spec, parts[part_name].exact, exact, rel=1e-9)
            if not same:
                values[part_name] = exact
        mistakes[m["id"]] = values
    return AnswerKey(variant, parts, mistakes, [])
