"""Print SymPy expressions back in the answer language (``^``, ``sigma(x)``, ``ln``, ``relu``).

What this prints is meant to be typed back: it parses with ``nncheck.lang.syntax`` to
an expression equivalent to the one printed (for everything the answer language can
express; ``tests/answer/test_printer.py`` checks it on random trees).
"""

from __future__ import annotations


def to_answer_text(e) -> str:
    import sympy
    from sympy.printing.str import StrPrinter

    class _Printer(StrPrinter):
        def _print_Pow(self, expr, rational=False):
            return super()._print_Pow(expr, rational).replace("**", "^")

        def _print_log(self, expr):
            if len(expr.args) == 2:
                return f"ln({self._print(expr.args[0])})/ln({self._print(expr.args[1])})"
            return f"ln({self._print(expr.args[0])})"

        def _print_exp(self, expr):
            if expr.args[0] == 1:
                return "e"
            return f"exp({self._print(expr.args[0])})"

        def _print_Exp1(self, expr):
            return "e"

        def _print_Abs(self, expr):
            return f"abs({self._print(expr.args[0])})"

        def _minmax(self, name, expr):
            args = list(expr.args)
            if name == "max" and len(args) == 2 and any(a == 0 for a in args):
                other = args[1] if args[0] == 0 else args[0]
                return f"relu({self._print(other)})"  # Max(0, x) is how relu(x) is kept
            return f"{name}({', '.join(self._print(a) for a in args)})"

        def _print_Max(self, expr):
            return self._minmax("max", expr)

        def _print_Min(self, expr):
            return self._minmax("min", expr)

        # The language has sech (the notes' tanh′ = sech²) but not cosh or sinh: a key holding
        # them is printed with sech, in parentheses, so that it reads back as the same value.
        def _print_sech(self, expr):
            return f"sech({self._print(expr.args[0])})"

        def _print_cosh(self, expr):
            return f"(1/sech({self._print(expr.args[0])}))"

        def _print_sinh(self, expr):
            u = self._print(expr.args[0])
            return f"(tanh({u})/sech({u}))"

        def _print_Heaviside(self, expr):
            return f"relu'({self._print(expr.args[0])})"  # the unit step u(ξ) is ReLU's derivative

        def _print_MatrixBase(self, expr):
            if expr.cols == 1:
                return "[" + ", ".join(self._print(x) for x in expr) + "]"  # a (column) vector
            rows = ("[" + ", ".join(self._print(x) for x in expr.row(i)) + "]" for i in range(expr.rows))
            return "[" + ", ".join(rows) + "]"

        _print_MutableDenseMatrix = _print_ImmutableDenseMatrix = _print_MatrixBase

        def _print_Function(self, expr):
            name = expr.func.__name__
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    if isinstance(e, (str, bytes)):  # keys are computed values; text never reaches sympify
        raise TypeError("to_answer_text takes a SymPy value, not text")
    text = _Printer({"order": None}).doprint(sympy.sympify(e) if not isinstance(e, sympy.Basic) else e)
    return text.replace("**", "^")
