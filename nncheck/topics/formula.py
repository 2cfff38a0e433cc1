"""YAML-only families: answers, mistakes and solution steps written as formulas.

An instructor writes ``answer: (W1 + 2*P - D*(F-1) - 1)/S + 1`` in a bank file.  The
formula is parsed once by the answer language's safe parser (never ``eval``) and the
same tree is evaluated two independent ways:

* exactly, by building SymPy objects (Rational arithmetic, closed forms);
* numerically, by NumPy on float64 arrays.

One walk (:func:`_walk`) visits the tree for both; what differs between them (how a
value is built, what an operator or a function computes) sits in :class:`_ExactOps` and
:class:`_NumericOps`.  Array semantics are the same in both: a vector is a column, ``*``
between two arrays is the matrix product, ``'``/``ᵀ`` transposes, functions act entry by
entry.

:class:`FormulaSolver` wraps a family's formulas in the interface of every Python solver,
so :func:`nncheck.key.compute.answer_key` keys both kinds of family by one path: the two
computations must agree, and a mistake is dropped by one rule.

SymPy and NumPy are imported inside functions only, and ``typing`` for the type checker only:
``nncheck show`` loads this module for YAML-only families.
"""

from __future__ import annotations

import math
from fractions import Fraction

from nncheck.errors import BankError
from nncheck.lang.formula import FormulaError, _at, choice_literals, evaluate_formula, parse_formula
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
from nncheck.lang.template import TemplateError, render
from nncheck.topics.base import Solver

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the start-up path
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

_COMPARISONS = ("<", "<=", ">", ">=", "=", "!=")


def formula_text(value: object) -> str:
    """A YAML answer may be a number, a list, or a formula string."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(formula_text(v) for v in value) + "]"
    return str(value)


# ----------------------------------------------------------------------------
# One walk over a formula tree, for both evaluations.
# ----------------------------------------------------------------------------
class _Ops:
    """What one evaluation does at each piece of the tree; :func:`_walk` does the rest."""

    #: values of names that are neither parameters nor constants: declared symbols, or a sample point
    free: dict[str, Any]
    #: ``e`` and ``pi``
    constants: dict[str, Any]

    def value(self, v: Any) -> Any:
        """A parameter value or a literal (int, Fraction, float, bool, str, nested lists)."""
        raise NotImplementedError

    def is_array(self, x: Any) -> bool:
        raise NotImplementedError

    def vector(self, items: list[Any]) -> Any:
        raise NotImplementedError

    def matrix(self, rows: list[list[Any]]) -> Any:
        raise NotImplementedError

    def count(self, k: int) -> Any:
        """A whole number computed by the walk (``len``, ``rows``, ``cols``)."""
        raise NotImplementedError

    def compare(self, op: str, a: Any, b: Any) -> bool:
        raise NotImplementedError

    def arith(self, n: BinOp, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def call(self, n: Call, args: list[Any]) -> Any:
        raise NotImplementedError

    def derivative(self, n: Derivative, ev: Callable[[Node], Any]) -> Any:
        """``d/dx(…)``, given the walk to evaluate its inside; only SymPy differentiates."""
        raise FormulaError(f"unsupported formula piece {type(n).__name__}", n)


def _walk(node: Node, env: Mapping[str, Any], ops: _Ops) -> Any:
    """Evaluate ``node`` with parameter values ``env``, computing each piece with ``ops``."""

    def ev(n: Node) -> Any:
        if isinstance(n, Num):
            return ops.value(n.value)
        if isinstance(n, Name):
            if n.name in env:
                return ops.value(env[n.name])
            if n.name in ops.free:
                return ops.free[n.name]
            if n.name in ops.constants:
                return ops.constants[n.name]
            raise FormulaError(f"'{n.name}' has no value", n)
        if isinstance(n, Word):
            return n.word
        if isinstance(n, Vector):
            return ops.vector([ev(x) for x in n.items])
        if isinstance(n, Matrix):
            return ops.matrix([[ev(x) for x in r] for r in n.rows])
        if isinstance(n, Transpose):
            v = ev(n.arg)
            return v.T if ops.is_array(v) else v
        if isinstance(n, Unary):
            v = ev(n.arg)
            return (not _truth(v)) if n.op == "not" else -v
        if isinstance(n, Relation):
            vals = [ev(t) for t in n.terms]
            return all(ops.compare(op, a, b) for op, a, b in zip(n.ops, vals, vals[1:]))
        if isinstance(n, BinOp):
            if n.op == "and":
                return _truth(ev(n.left)) and _truth(ev(n.right))
            if n.op == "or":
                return _truth(ev(n.left)) or _truth(ev(n.right))
            a, b = ev(n.left), ev(n.right)
            return ops.compare(n.op, a, b) if n.op in _COMPARISONS else ops.arith(n, a, b)
        if isinstance(n, Call):
            args = [ev(a) for a in n.args]
            if n.func == "ifelse":
                return args[1] if _truth(args[0]) else args[2]
            if n.func in ("len", "rows", "cols"):
                # A number counts as a 1×1 array; SymPy and NumPy arrays both have a 2-D shape here.
                shape = args[0].shape if ops.is_array(args[0]) else (1, 1)
                return ops.count(math.prod(shape) if n.func == "len" else shape[0] if n.func == "rows" else shape[1])
            return ops.call(n, args)
        if isinstance(n, Derivative):
            return ops.derivative(n, ev)
        raise FormulaError(f"unsupported formula piece {type(n).__name__}", n)

    return ev(node)


def _truth(v: Any) -> bool:
    try:
        return bool(v)
    except TypeError:  # a SymPy relation that cannot be decided
        return False


def _unsupported(n: BinOp) -> FormulaError:
    return FormulaError(f"unsupported formula piece {type(n).__name__}", n)


# ----------------------------------------------------------------------------
# The SymPy path.
# ----------------------------------------------------------------------------
class _ExactOps(_Ops):
    def __init__(self, symbols: dict[str, Any]) -> None:
        import sympy

        self.sp = sympy
        self.free = symbols
        self.constants = {"e": sympy.E, "pi": sympy.pi}

    def value(self, v: Any) -> Any:
        sympy = self.sp
        if isinstance(v, bool):
            return sympy.true if v else sympy.false
        if isinstance(v, int):
            return sympy.Integer(v)
        if isinstance(v, Fraction):
            return sympy.Rational(v.numerator, v.denominator)
        if isinstance(v, float):
            return sympy.nsimplify(v, rational=True)
        if isinstance(v, list):
            if v and isinstance(v[0], list):
                return sympy.Matrix([[self.value(x) for x in r] for r in v])
            return sympy.Matrix([self.value(x) for x in v])
        return v

    def is_array(self, x: Any) -> bool:
        return isinstance(x, self.sp.MatrixBase)

    def vector(self, items: list[Any]) -> Any:
        return self.sp.Matrix(items)

    def matrix(self, rows: list[list[Any]]) -> Any:
        return self.sp.Matrix(rows)

    def count(self, k: int) -> Any:
        return self.sp.Integer(k)

    def compare(self, op: str, a: Any, b: Any) -> bool:
        if op == "=":
            return bool(a == b)
        if op == "!=":
            return bool(a != b)
        return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])

    def arith(self, n: BinOp, a: Any, b: Any) -> Any:
        op, is_mat = n.op, self.is_array
        if op in ("+", "-"):
            if is_mat(a) != is_mat(b) or (is_mat(a) and a.shape != b.shape):
                raise FormulaError("'+'/'−' need two numbers or two arrays of the same shape", n)
            return a + b if op == "+" else a - b
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
            return self.sp.Mod(a, b)
        if op == "^":
            if is_mat(a) or is_mat(b):
                raise FormulaError("powers of arrays are not defined; use a*a", n)
            if b.is_Number and abs(b) > 1000:
                raise FormulaError("exponent too large", n)
            return a**b
        raise _unsupported(n)

    def call(self, n: Call, args: list[Any]) -> Any:
        from nncheck.lang.sympy_backend import sigma

        sympy, is_mat = self.sp, self.is_array
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
            if x.is_Rational:
                return sympy.Rational(round(Fraction(str(sympy.Rational(x))), nd))
            return sympy.Float(round(float(x), nd))
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
        raise FormulaError(f"function '{f}' is not available in formulas", n)

    def derivative(self, n: Derivative, ev: Callable[[Node], Any]) -> Any:
        inner = ev(n.expr)
        var = self.free.get(n.var)
        if var is None:
            raise FormulaError(f"d/d{n.var} needs '{n.var}' to be a declared symbol", n)
        return self.sp.diff(inner, var)


def to_exact(node: Node, env: Mapping[str, Any], symbols: dict[str, Any] | None = None) -> Any:
    """Evaluate with SymPy.  ``env`` holds parameter values (int, Fraction, lists)."""
    return _walk(node, env, _ExactOps(symbols or {}))


# ----------------------------------------------------------------------------
# The NumPy path: same tree, float64 arrays, vectors as columns.
# ----------------------------------------------------------------------------
class _NumericOps(_Ops):
    def __init__(self, point: Mapping[str, Any]) -> None:
        import numpy

        self.np = numpy
        self.free = {name: float(v) for name, v in point.items()}
        self.constants = {"e": math.e, "pi": math.pi}

    def value(self, v: Any) -> Any:
        np = self.np
        if isinstance(v, bool) or isinstance(v, str):
            return v
        if isinstance(v, (int, Fraction, float)):
            return float(v)
        if isinstance(v, list):
            if v and isinstance(v[0], list):
                return np.array([[float(x) for x in r] for r in v])
            return np.array([[float(x)] for x in v])
        return v

    def is_array(self, x: Any) -> bool:
        return isinstance(x, self.np.ndarray)

    def vector(self, items: list[Any]) -> Any:
        return self.np.array([[x] for x in items], dtype=float)

    def matrix(self, rows: list[list[Any]]) -> Any:
        return self.np.array(rows, dtype=float)

    def count(self, k: int) -> Any:
        return float(k)

    def compare(self, op: str, a: Any, b: Any) -> bool:
        np = self.np
        if op in ("=", "!="):
            same = bool(np.all(np.isclose(a, b, rtol=1e-12, atol=1e-12))) if not isinstance(a, str) else a == b
            return same if op == "=" else not same
        return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])

    def arith(self, n: BinOp, a: Any, b: Any) -> Any:
        op, np = n.op, self.np
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a @ b if self.is_array(a) and self.is_array(b) else a * b
        if op == "/":
            return a / b
        if op == "%":
            return float(np.mod(a, b))
        if op == "^":
            return float(np.power(a, b))
        raise _unsupported(n)

    def call(self, n: Call, args: list[Any]) -> Any:
        np = self.np
        f = n.func
        x = args[0]
        unary = {"exp": np.exp, "ln": np.log, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
                 "sigma": lambda t: 1.0 / (1.0 + np.exp(-t)), "tanh": np.tanh,
                 "relu": lambda t: np.maximum(0.0, t), "floor": np.floor, "ceil": np.ceil}
        if f in unary:
            r = unary[f](x)
            return r if self.is_array(r) else float(r)
        if f in ("max", "min"):
            return float(max(args) if f == "max" else min(args))
        if f == "round":
            return float(round(x, int(args[1]) if len(args) > 1 else 0))
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
        raise FormulaError(f"function '{f}' is not available in formulas", n)


def to_numeric(node: Node, env: Mapping[str, Any], point: Mapping[str, Any] | None = None) -> Any:
    """Evaluate with NumPy; ``point`` gives the declared symbols of an expression part a value."""
    return _walk(node, env, _NumericOps(point or {}))


# ----------------------------------------------------------------------------
# The solver of a YAML-only family.
# ----------------------------------------------------------------------------
class FormulaSolver(Solver):
    """The solver of a family with no Python solver, built from its bank record.

    Each part's ``answer``, each mistake's ``formula`` and each part's ``solution`` steps are
    formulas and templates in the record; this class serves them through the interface of
    every :class:`~nncheck.topics.base.Solver`, so that the answer key of a YAML-only family
    comes from the same code as any other: the two computations are cross-checked, and a
    mistake that equals the answer at the part's tolerance is dropped by the same rule.

    Like a Python solver, it is given the parameter values only; the bank's ``derived``
    values, the choice literals and which parts are asked (``when``) follow from them.
    """

    def __init__(self, family: Mapping[str, Any]) -> None:
        self.family = family
        self._literals = choice_literals(family)
        self._parsed: dict[str, Node] = {}

    def exact(self, p: dict) -> dict:
        env = self._env(self._values(p))
        return {part["name"]: self._exact(part, part.get("answer"), env, f"parts.{part['name']}.answer")
                for part in self._asked(env)}

    def numeric(self, p: dict) -> dict:
        env = self._env(self._values(p))
        return {part["name"]: self._numeric(part, part.get("answer"), env, f"parts.{part['name']}.answer")
                for part in self._asked(env)}

    def solution(self, p: dict, key: dict) -> dict:
        values = self._values(p)
        env = self._env(values)
        return {part["name"]: [self._render(step, values, env, part["name"]) for step in part.get("solution") or []]
                for part in self._asked(env)}

    def mistakes(self, p: dict) -> dict:
        env = self._env(self._values(p))
        asked = {part["name"]: part for part in self._asked(env)}
        out: dict[str, dict] = {}
        for m in self.family.get("mistakes", []):
            field = f"mistakes.{m['id']}"
            values = {}
            for name, formula in (m.get("formula") or {}).items():
                if name in asked:
                    values[name] = self._exact(asked[name], formula, env, field)
                    # A mistake formula must evaluate both ways, as an answer does; its NumPy value
                    # is not compared (nothing is graded against it), only required to exist.
                    self._numeric(asked[name], formula, env, field)
            out[m["id"]] = values
        return out

    # -- the values formulas see ------------------------------------------------
    def _values(self, p: dict) -> dict:
        """The parameters and the bank's derived values: what templates may name."""
        values = dict(p)
        for name, formula in (self.family.get("derived") or {}).items():
            try:
                values[name] = evaluate_formula(formula, values)
            except (AnswerSyntaxError, FormulaError) as e:
                raise BankError(f"derived value '{name}' fails: {e.message}", file=self.family.get("_file", "?"),
                                line=self.family.get("_line")) from None
        return values

    def _env(self, values: dict) -> dict:
        """What formulas may name: choice values as bare words, then the values (which win)."""
        return {**self._literals, **values}

    def _asked(self, env: dict) -> list[dict]:
        """The parts asked for these values (a part whose ``when`` is false is left out)."""
        return [part for part in self.family["parts"]
                if not part.get("when") or _truthy(self._light(part["when"], env))]

    def _light(self, text: str, env: dict) -> Any:
        try:
            return evaluate_formula(text, env)
        except (AnswerSyntaxError, FormulaError) as e:
            raise BankError(f"formula '{text}' fails: {e.message}", file=self.family.get("_file", "?"),
                            line=self.family.get("_line")) from None

    def _render(self, template: str, values: dict, env: dict, part: str) -> str:
        try:
            return render(template, values, evaluate=lambda f, _values: self._light(f, env))
        except TemplateError as e:
            raise BankError(e.message, file=self.family.get("_file", "?"), line=self.family.get("_line"),
                            field=f"{self.family['id']}.parts.{part}.solution") from None

    # -- one formula, two ways ----------------------------------------------------
    def _fails(self, formula: object, why: str, field: str) -> BankError:
        return BankError(f"formula '{formula_text(formula)}' fails: {why}", file=self.family.get("_file", "?"),
                         line=self.family.get("_line"), field=f"{self.family['id']}.{field}")

    def _node(self, formula: object, field: str) -> Node:
        text = formula_text(formula)
        if text not in self._parsed:
            try:
                self._parsed[text] = parse_formula(text, names=None)
            except AnswerSyntaxError as e:
                raise self._fails(formula, e.message, field) from None
        return self._parsed[text]

    def _exact(self, part: Mapping[str, Any], formula: object, env: dict, field: str) -> Any:
        from nncheck.lang.sympy_backend import make_symbol

        node = self._node(formula, field)
        symbols = {n: make_symbol(n, d) for n, d in (part.get("symbols") or {}).items()}
        try:
            return _shape_for(part["kind"], to_exact(node, env, symbols))
        except (AnswerSyntaxError, FormulaError) as e:
            raise self._fails(formula, e.message, field) from None

    def _numeric(self, part: Mapping[str, Any], formula: object, env: dict, field: str) -> Any:
        node = self._node(formula, field)
        if part["kind"] in ("expression", "derivation"):
            def at_point(point: Mapping[str, Any]) -> float:
                return float(to_numeric(node, env, point))

            return at_point
        import numpy as np

        try:
            # Overflow or 0/0 in the NumPy path is a failure of the formula, not a silent inf/nan.
            with np.errstate(over="raise", divide="raise", invalid="raise"):
                return _shape_for(part["kind"], to_numeric(node, env))
        except FormulaError as e:
            raise self._fails(formula, e.message, field) from None
        except (ZeroDivisionError, FloatingPointError, OverflowError) as e:
            raise self._fails(formula, str(e), field) from None


def _truthy(v: Any) -> bool:
    return bool(v) and v != 0


def _shape_for(kind: str, v: Any) -> Any:
    """Booleans and integers as the part kind expects them."""
    if kind == "boolean":
        return bool(v)
    if kind == "choice":
        return str(v)
    return v
