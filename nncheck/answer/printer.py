"""Print SymPy expressions back in the answer language (``^``, ``sigma(x)``, ``ln``)."""

from __future__ import annotations


def to_answer_text(e) -> str:
    import sympy
    from sympy.printing.str import StrPrinter

    class _Printer(StrPrinter):
        def _print_Pow(self, expr, rational=False):
            s = super()._print_Pow(expr, rational)
            return s.replace("**", "^")

        def _print_log(self, expr):
            return f"ln({self._print(expr.args[0])})"

        def _print_exp(self, expr):
            return f"exp({self._print(expr.args[0])})"

        def _print_Function(self, expr):
            name = expr.func.__name__
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    text = _Printer({"order": None}).doprint(sympy.sympify(e))
    return text.replace("**", "^").replace("E^", "e^").replace("exp(1)", "e")
