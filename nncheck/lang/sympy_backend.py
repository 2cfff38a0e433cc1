"""Build SymPy objects from nncheck's syntax tree: the only road from user text to SymPy.

No string ever reaches ``sympify``/``parse_expr``: every node type maps to one SymPy
constructor, and every function to an allow-listed SymPy function.  σ and ReLU are
real SymPy functions (not opaque names): σ knows σ′ = σ(1 − σ) and rewrites to
exponentials, ReLU is ``Max(0, x)`` whose derivative is a Heaviside step, so
σ(x)(1 − σ(x)) is provably e^(−x)/(1 + e^(−x))².

Every size that SymPy would compute eagerly (integer powers, roots of big
rationals) is bounded *before* the SymPy call, and the walk is iterative, so the
conversion itself is cheap for any tree the parser accepts.  Whatever SymPy does
*later* with the result (simplification, evaluation) runs under the sandbox's
deadline (``nncheck.answer.sandbox``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import NoReturn

import sympy
from sympy import Function

import nncheck.lang.syntax as syntax
from nncheck.lang.domains import assumptions
from nncheck.lang.walk import fold


class sigma(Function):
    """The logistic sigmoid σ(x) = 1/(1 + e^(−x)), with σ′ = σ(1 − σ)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.Rational(1, 2)
        if x is sympy.oo:
            return sympy.Integer(1)
        if x is sympy.S.NegativeInfinity:
            return sympy.Integer(0)
        return None

    def fdiff(self, argindex=1):
        s = sigma(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sympy.exp(-x))

    def _eval_rewrite_as_tanh(self, x, **kwargs):
        return (1 + sympy.tanh(x / 2)) / 2

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_is_finite(self):
        return True if self.args[0].is_real else None

    def _eval_evalf(self, prec):
        x = self.args[0]._eval_evalf(prec)
        if x is None:
            return None
        return (1 / (1 + sympy.exp(-x)))._eval_evalf(prec)

    def _sympystr(self, printer):
        return f"sigma({printer._print(self.args[0])})"


def relu(x):
    """ReLU as Max(0, x): SymPy knows its derivative (a Heaviside step) and its sign."""
    return sympy.Max(0, x)


def sech(x):
    """sech(x) = 1/cosh(x), built from exponentials: every evaluator and the exact proof know exp."""
    return 2 / (sympy.exp(x) + sympy.exp(-x))


def _sigma_prime(x):
    s = sigma(x)
    return s * (1 - s)


FUNCS = {
    "exp": sympy.exp,
    "ln": sympy.log,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "max": lambda *a: sympy.Max(*a),
    "min": lambda *a: sympy.Min(*a),
    "sigma": sigma,
    "tanh": sympy.tanh,
    "relu": relu,
    "sech": sech,
    # Derivative shorthands (derivations only; the parser refuses them elsewhere).
    "sigma'": _sigma_prime,
    "tanh'": lambda x: 1 - sympy.tanh(x) ** 2,
    "relu'": lambda x: sympy.Heaviside(x),
}
_ELEMENTWISE = frozenset({"exp", "ln", "log", "sqrt", "abs", "sigma", "tanh", "relu", "sech", "sigma'", "tanh'",
                          "relu'"})

MAX_EXACT_EXPONENT = 10_000  # |n| in x^n for a symbolic x (STACK's corpus uses (x−a)^6000)
MAX_RESULT_BITS = 12_000  # numerator/denominator of an exact power (~3,600 digits: printable, as
# Python refuses to convert integers beyond 4,300 digits to text)
MAX_EXP_ARG = 100_000  # |x| in e^x for a numeric x: e^100000 ≈ 10^43429 is still computable


_INFINITE = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
_CONSTANTS = {"e": sympy.E, "pi": sympy.pi}  # the answer language's constants (a declared symbol shadows them)


def _check_result(value) -> tuple[str, str]:
    """(reason, code) when this operation's result is unusable, ("", "") when it is fine.

    Its operands were checked already, so anything SymPy produced eagerly sits near the top:
    0^(−x) becomes zoo^x, sqrt(−|x|) becomes i·sqrt(|x|), (11393·x)^1060 becomes a 4,300-digit
    integer times x^1060, a product of long literals is multiplied out.  Two levels are looked
    at, not the whole tree.
    """
    for a in (value, *value.args, *(b for arg in value.args for b in arg.args)):
        if a in _INFINITE:
            return "this has no finite value (a division by zero?)", "math"
        if a is sympy.I:
            return "this has no real value (the square root or logarithm of a negative quantity?)", "math"
        if a.is_Rational and max(abs(a.p).bit_length(), a.q.bit_length()) > MAX_RESULT_BITS:
            return "number too large to compute", "too-complex"
    return "", ""


def make_symbol(name: str, domain: str | None = None) -> sympy.Symbol:
    """A SymPy symbol whose assumptions follow its declared domain."""
    return sympy.Symbol(name, **assumptions(domain))


def to_sympy(node: syntax.Node, symbols: dict | None = None, text: str = ""):
    """Convert a syntax tree to SymPy.  ``symbols`` maps names to SymPy symbols (or values).

    Names not in ``symbols`` (only possible when the tree was parsed with
    ``symbols=None``) become real symbols and are added to ``symbols``.
    """
    return _Conv(symbols if symbols is not None else {}, text).conv(node)


class _Conv:
    def __init__(self, symbols: dict, text: str):
        self.symbols = symbols
        self.text = text

    def err(self, node: syntax.Node, msg: str, code: str = "math") -> NoReturn:
        raise syntax.AnswerSyntaxError(msg, getattr(node, "pos", 0), self.text, code=code)

    def conv(self, root: syntax.Node):
        """Post-order conversion through the shared iterative walk: no recursion through the tree."""
        return fold(root, self._checked)

    def _checked(self, node: syntax.Node, args: list):
        """One node's SymPy value, with SymPy's own refusals turned into the answer's errors."""
        try:
            value = self.one(node, args)
            if isinstance(node, (syntax.BinOp, syntax.Call)) and not isinstance(value, sympy.MatrixBase):
                bad, code = _check_result(value)
                if bad:
                    self.err(node, bad, code=code)
            return value
        except syntax.AnswerSyntaxError:
            raise
        except (ValueError, TypeError, ArithmeticError) as e:
            # SymPy refusing a construction (Max of incomparable values, ...): the answer's fault.
            self.err(node, f"this cannot be computed: {str(e).splitlines()[0][:80]}")

    def one(self, node: syntax.Node, args: list):
        if isinstance(node, syntax.Num):
            v = node.value
            if isinstance(v, Fraction):
                return sympy.Rational(v.numerator, v.denominator)
            return sympy.Integer(v)
        if isinstance(node, syntax.Name):
            if node.name in self.symbols:
                return self.symbols[node.name]
            if node.name in _CONSTANTS:
                return _CONSTANTS[node.name]
            sym = make_symbol(node.name)
            self.symbols[node.name] = sym
            return sym
        if isinstance(node, syntax.Word):
            self.err(node, f"'{node.word}' is not a value here")
        if isinstance(node, syntax.Unary):
            if node.op == "-":
                return -args[0]
            self.err(node, f"'{node.op}' is not allowed here")
        if isinstance(node, syntax.BinOp):
            a, b = args
            op = node.op
            if op == "+":
                return self._add(node, a, b)
            if op == "-":
                return self._add(node, a, -b)
            if op == "*":
                return self._mul(node, a, b)
            if op == "/":
                if isinstance(b, sympy.MatrixBase):
                    self.err(node, "cannot divide by a vector or matrix")
                if b.is_zero:
                    self.err(node, "division by zero")
                return a / b
            if op == "^":
                return self._pow(node, a, b)
            self.err(node, f"'{op}' is not allowed here")
        if isinstance(node, syntax.Call):
            if node.func not in FUNCS:
                self.err(node, f"the function '{node.func}' has no symbolic meaning here", code="unknown-function")
            f = FUNCS[node.func]
            if any(isinstance(a, sympy.MatrixBase) for a in args):
                if len(args) == 1 and node.func in _ELEMENTWISE:
                    return args[0].applyfunc(f)
                self.err(node, f"{node.func}( ) of a vector or matrix is not defined here")
            if node.func in ("ln", "log") and args[0].is_zero:
                self.err(node, "logarithm of 0")
            if node.func in ("ln", "log", "sqrt") and args[0].is_number and args[0].is_extended_negative:
                # The answer language is real-valued: no i from a constant (symbols are sampled instead).
                what = "logarithm" if node.func != "sqrt" else "square root"
                self.err(node, f"{what} of a negative number")
            if node.func in ("exp", "sech") and args[0].is_number and not args[0].is_Rational:
                self._bounded_exponent(node, args[0])  # sech(x) is built from e^x and e^(-x)
            elif node.func in ("exp", "sech") and args[0].is_Rational and abs(args[0]) > MAX_EXP_ARG:
                self.err(node, "number too large to work with", code="too-complex")
            return f(*args)
        if isinstance(node, syntax.Vector):
            return sympy.Matrix([self._scalar(n, v) for n, v in zip(node.items, args)])
        if isinstance(node, syntax.Matrix):
            cols = node.shape[1]
            flat = [self._scalar(n, v) for n, v in zip(node.children(), args)]
            return sympy.Matrix([flat[r * cols:(r + 1) * cols] for r in range(len(node.rows))])
        if isinstance(node, syntax.Transpose):
            v = args[0]
            return v.T if isinstance(v, sympy.MatrixBase) else v  # a scalar is its own transpose
        if isinstance(node, syntax.Derivative):
            var = self.symbols.get(node.var)
            if var is None:
                var = make_symbol(node.var)
                self.symbols[node.var] = var
            if not isinstance(var, sympy.Symbol):
                self.err(node, f"cannot differentiate with respect to '{node.var}'")
            return sympy.diff(args[0], var)
        if isinstance(node, syntax.Relation):
            self.err(node, "an equation is not a value")
        raise TypeError(f"unknown node {node!r}")

    def _scalar(self, node, v):
        if isinstance(v, sympy.MatrixBase):
            self.err(node, "a matrix entry cannot be a vector or matrix")
        return v

    def _add(self, node, a, b):
        ma, mb = isinstance(a, sympy.MatrixBase), isinstance(b, sympy.MatrixBase)
        if ma != mb:
            self.err(node, "cannot add a number to a vector or matrix")
        if ma and a.shape != b.shape:
            self.err(node, f"cannot add a {a.shape[0]}×{a.shape[1]} and a {b.shape[0]}×{b.shape[1]} array")
        return a + b

    def _mul(self, node, a, b):
        if isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase):
            if a.shape[1] != b.shape[0]:
                self.err(node, f"cannot multiply a {a.shape[0]}×{a.shape[1]} by a {b.shape[0]}×{b.shape[1]} matrix")
        return a * b

    def _pow(self, node, a, b):
        if isinstance(a, sympy.MatrixBase) or isinstance(b, sympy.MatrixBase):
            self.err(node, "powers of vectors or matrices are not allowed")
        if a.is_zero and b.is_number and b.is_negative:
            self.err(node, "division by zero (0 to a negative power)")
        if a.is_number and a.is_extended_negative and b.is_number and b.is_integer is False:
            self.err(node, "a negative number to a fractional power")
        # Bound the work SymPy will do eagerly *before* asking it to do it.
        if b.is_Rational:
            trivial = a.is_Number and (a.is_zero or abs(a) == 1)
            if not trivial and abs(b) > MAX_EXACT_EXPONENT:
                self.err(node, "exponent too large to work with", code="too-complex")
            if a.is_Rational and not trivial:
                bits = max(abs(a.p).bit_length(), a.q.bit_length()) * abs(b)
                if bits > MAX_RESULT_BITS:
                    self.err(node, "number too large to compute", code="too-complex")
        elif a.is_number and b.is_number and not (a.is_zero or a == 1):
            # e^(10^9), 2^(pi*10^5): leave them symbolic only if their size is sane.
            self._bounded_exponent(node, b * sympy.log(abs(a)) if not (a - sympy.E).is_zero else b)
        return a**b

    def _bounded_exponent(self, node, x):
        """Refuse e^x for a numeric x of magnitude beyond MAX_EXP_ARG (e^(e^(e^10)) and the like)."""
        try:
            mag = abs(complex(sympy.N(x, 15)))
        except OverflowError:
            mag = float("inf")  # beyond 1e308: certainly too large
        except (TypeError, ValueError):
            return  # undecidable here: the sandboxed evaluation has a deadline
        if mag > MAX_EXP_ARG:
            self.err(node, "number too large to work with", code="too-complex")
