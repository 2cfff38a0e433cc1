"""Terms of a derivation as SymPy expressions: symbols with domains, definitions, derivatives.

Two views of every term:

* **substituted** — every definition (``h = sigma(xi)``, from the problem's ``given:`` or
  from an earlier line) and every constraint (``y3 = 1 − y1 − y2`` from
  ``y1 + y2 + y3 = 1``) is replaced by what it stands for.  Validity is decided here.
* **literal** — defined names stay symbols and each ``d/dx(…)`` stays an opaque symbol.
  Rule names and "is this the target's form yet?" are decided here.

``d/dv(expr)`` is the partial derivative in ``v`` with everything else held fixed.
When ``v`` is itself a defined name (``d/dyhat(L)`` with ``yhat = sigma(xi)``) the
derivative is taken with ``v`` as the variable and ``v``'s definition is put back
afterwards, which is what the chain rule means by ∂L/∂ŷ.

The conversion itself is the answer language's ``to_sympy``: this module only decides
which value each name stands for.
"""

from __future__ import annotations

from nncheck.derive.lines import Constraint, Definition, rebuild
from nncheck.derive.plan import Plan
from nncheck.lang.syntax import (
    AnswerSyntaxError,
    Derivative,
    Name,
    Node,
    names_in,
    walk,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

PLACEHOLDER = "@d"  # '@' never appears in a user's name: placeholders cannot collide


class Undefined:
    """A term with no real value at a point (ln of a negative, division by 0)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self):
        return f"Undefined({self.reason})"


class Skip(Exception):
    """This point cannot be used (overflow, a value too large): try another one."""


def has_derivative(node: Node) -> bool:
    return any(isinstance(n, Derivative) for n in walk(node))


def outer_derivatives(node: Node) -> list[Derivative]:
    """The derivative nodes of ``node`` that are not inside another derivative, left to right."""
    out: list[Derivative] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Derivative):
            out.append(n)
            continue
        stack.extend(reversed(n.children()))
    return out


class Context:
    """Symbols, definitions and constraints of one derivation, and conversions to SymPy."""

    def __init__(self, plan: Plan):
        import sympy

        self.sympy = sympy
        self.domains = dict(plan.domains)
        self.defs: dict[str, Definition] = {}
        for d in plan.definitions:
            self.defs.setdefault(d.name, d)
        self.constraints: list[Constraint] = list(plan.constraints)
        self._syms: dict[str, object] = {}
        self._cache: dict = {}
        self._dummies: dict = {}
        self.solved: dict[str, Any] = {}  # constraint variable -> its value (a SymPy expression: untyped)
        self.constraint_text: dict[str, str] = {}
        self.unused_constraints: list[str] = []
        self._solve_constraints()

    # -- symbols ---------------------------------------------------------------
    def domain(self, name: str) -> str:
        return self.domains.get(name, "real")

    def sym(self, name: str):
        s = self._syms.get(name)
        if s is None:
            from nncheck.lang.sympy_backend import make_symbol

            dom = self.domain(name)
            lowered = dom.strip().lower()
            # make_symbol reads "(0," as positive; an interval above 0 is positive as well.
            if lowered[:1] in "([" and "," in lowered:
                try:
                    from nncheck.lang.domains import parse_domain

                    lo, _, lo_open, _ = parse_domain(dom)
                    if lo > 0 or (lo == 0 and lo_open):
                        dom = "positive"
                    elif lo == 0:
                        dom = "nonnegative"
                except ValueError:
                    pass
            s = make_symbol(name, dom)
            self._syms[name] = s
        return s

    @property
    def held_all(self) -> frozenset:
        return frozenset(self.defs) | frozenset(self.solved)

    def _solve_constraints(self) -> None:
        sympy = self.sympy
        for c in self.constraints:
            try:
                e = self.literal(c.left, c.text) - self.literal(c.right, c.text)
            except AnswerSyntaxError:
                self.unused_constraints.append(c.text)
                continue
            done = False
            # Solve for the last symbol (in name order) that appears linearly with a numeric coefficient.
            for s in sorted(e.free_symbols, key=lambda s: s.name, reverse=True):
                if s.name in self.defs or s.name in self.solved or s.name.startswith(PLACEHOLDER):
                    continue
                k = e.diff(s)
                if k.is_Number and k != 0 and s not in (e - k * s).free_symbols:
                    self.solved[s.name] = sympy.expand(-(e - k * s) / k)
                    self.constraint_text[s.name] = f"{_show(c.left)} = {_show(c.right)}"
                    done = True
                    break
            if not done:
                self.unused_constraints.append(c.text)

    # -- conversions ---------------------------------------------------------
    def value(self, node: Node, text: str, held: frozenset = frozenset()):
        """The substituted view of ``node`` (names in ``held`` stay symbols)."""
        key = ("v", id(node), held)
        hit = self._cache.get(key)
        if hit is not None:
            return hit[1]
        tree, bindings = self._lift(node, text, held)
        env = self._env(tree, held)
        env.update(bindings)
        from nncheck.lang.sympy_backend import to_sympy

        out = to_sympy(tree, env, text)
        self._cache[key] = (node, out)  # keep node alive so that id() stays unique
        return out

    def literal(self, node: Node, text: str):
        """The literal view: defined names are symbols, derivatives are opaque symbols."""
        key = ("l", id(node))
        hit = self._cache.get(key)
        if hit is not None:
            return hit[1]
        bindings: dict = {}

        def repl(n):
            if isinstance(n, Derivative):
                d = self._dummies.get(n)
                if d is None:
                    d = self.sympy.Dummy(f"d{len(self._dummies)}")
                    self._dummies[n] = d
                name = f"{PLACEHOLDER}{len(bindings)}"
                bindings[name] = d
                return Name(name, n.pos, n.end)
            return None

        tree = rebuild(node, repl) if has_derivative(node) else node
        env = {n: self.sym(n) for n in names_in(tree) if not n.startswith(PLACEHOLDER) and n not in ("e", "pi")}
        env.update(bindings)
        from nncheck.lang.sympy_backend import to_sympy

        out = to_sympy(tree, env, text)
        self._cache[key] = (node, out)
        return out

    def derivative_dummies(self) -> dict:
        """Derivative node -> the opaque symbol standing for it in literal views."""
        return self._dummies

    def _env(self, tree: Node, held: frozenset) -> dict:
        env = {}
        for n in names_in(tree):
            if n.startswith(PLACEHOLDER) or n in ("e", "pi"):
                continue
            env[n] = self.name_value(n, held)
        return env

    def name_value(self, name: str, held: frozenset = frozenset()):
        """What ``name`` stands for: its definition (substituted), a constraint's solution, or itself."""
        if name in held:
            return self.sym(name)
        d = self.defs.get(name)
        if d is not None:
            return self.value(d.node, d.text, held)
        if name in self.solved:
            return self.solved[name]
        return self.sym(name)

    def _lift(self, node: Node, text: str, held: frozenset):
        """Replace each outer ``d/dv(…)`` by a placeholder bound to its computed value."""
        if not has_derivative(node):
            return node, {}
        bindings: dict = {}

        def repl(n):
            if isinstance(n, Derivative):
                name = f"{PLACEHOLDER}{len(bindings)}"
                bindings[name] = self.derivative(n, text, held)
                return Name(name, n.pos, n.end)
            return None

        return rebuild(node, repl), bindings

    def derivative(self, d: Derivative, text: str, held: frozenset = frozenset()):
        """The value of ``d/dv(expr)``: differentiate with ``v`` held, then put ``v``'s meaning back."""
        key = ("d", id(d), held)
        hit = self._cache.get(key)
        if hit is not None:
            return hit[1]
        inner = self.value(d.expr, text, held | {d.var})
        v = self.sym(d.var)
        if isinstance(inner, self.sympy.MatrixBase):
            raise AnswerSyntaxError("derivatives of vectors or matrices are not supported here", d.pos, text)
        out = self.sympy.diff(inner, v)
        if d.var not in held and (d.var in self.defs or d.var in self.solved):
            out = out.xreplace({v: self.name_value(d.var, held)})
        self._cache[key] = (d, out)
        return out

    # -- names -----------------------------------------------------------------
    def free_names(self, node: Node) -> set[str]:
        """The free symbols ``node`` depends on, through definitions and constraints."""
        out: set[str] = set()
        todo = list(names_in(node) | {n.var for n in walk(node) if isinstance(n, Derivative)})
        seen: set[str] = set()
        while todo:
            n = todo.pop()
            if n in seen or n in ("e", "pi") or n.startswith(PLACEHOLDER):
                continue
            seen.add(n)
            d = self.defs.get(n)
            if d is not None:
                todo.extend(names_in(d.node) | {x.var for x in walk(d.node) if isinstance(x, Derivative)})
                continue
            if n in self.solved:
                todo.extend(s.name for s in self.solved[n].free_symbols)
                continue
            out.add(n)
        return out

    def defined_names_in(self, node: Node) -> set[str]:
        return {n for n in names_in(node) if n in self.defs or n in self.solved} | \
            {n.var for n in walk(node) if isinstance(n, Derivative) and (n.var in self.defs or n.var in self.solved)}

    # -- real values at a point ------------------------------------------------
    def real_value(self, node: Node, text: str, point: dict, memo: dict | None = None):
        """``node``'s real value at ``point`` (free symbol -> number), or :class:`Undefined`.

        Real semantics on the tree as typed (:mod:`.realeval`): ln of a non-positive
        number, the square root of a negative one and a division by zero make the term
        undefined there, even when SymPy would simplify them away (``sqrt(x)^2`` is not x
        for x < 0).  Raises :class:`Skip` when the point is unusable (a value too large).
        """
        from nncheck.derive.realeval import CannotEvaluate, NotDefined, evaluate

        memo = {} if memo is None else memo
        env: dict = {}
        for n in names_in(node):
            if n in ("e", "pi") or n.startswith(PLACEHOLDER):
                continue
            v = self._name_real(n, point, memo)
            if isinstance(v, Undefined):
                return v
            env[n] = v
        tree = node
        if has_derivative(node):
            bindings: dict = {}

            def repl(n):
                if isinstance(n, Derivative):
                    name = f"{PLACEHOLDER}{len(bindings)}"
                    bindings[name] = self._derivative_real(n, text, point, memo)
                    return Name(name, n.pos, n.end)
                return None

            tree = rebuild(node, repl)
            for v in bindings.values():
                if isinstance(v, Undefined):
                    return v
            env.update(bindings)
        try:
            return evaluate(tree, env)
        except NotDefined as e:
            return Undefined(str(e))
        except CannotEvaluate as e:
            raise Skip(str(e)) from None
        except (OverflowError, ZeroDivisionError, ValueError, TypeError) as e:
            raise Skip(str(e)) from None

    def _name_real(self, name: str, point: dict, memo: dict):
        if name in memo:
            return memo[name]
        d = self.defs.get(name)
        if d is not None:
            v = self.real_value(d.node, d.text, point, memo)
        elif name in self.solved:
            v = self._sympy_real(self.solved[name], point)
        elif name in point:
            v = point[name]
        else:
            raise Skip(f"no value for {name}")
        memo[name] = v
        return v

    def _derivative_real(self, d: Derivative, text: str, point: dict, memo: dict):
        inner = self.real_value(d.expr, text, point, memo)
        if isinstance(inner, Undefined):
            return inner
        return self._sympy_real(self.derivative(d, text), point)

    def _sympy_real(self, expr, point: dict):
        """A SymPy expression's real value at ``point`` (30 digits), or Undefined."""
        import mpmath

        try:
            from nncheck.lang.mpeval import Undefined as MpUndefined
            from nncheck.lang.mpeval import evaluate as mp_evaluate
        except ImportError:  # an older answer package: double precision is close enough here
            from nncheck.derive.numeval import Evaluator, Unsupported

            env = {s: complex(float(point[s.name])) for s in expr.free_symbols if s.name in point}
            try:
                z = Evaluator(env)(expr)
            except (Unsupported, OverflowError) as e:
                raise Skip(str(e)) from None
            except ZeroDivisionError:
                return Undefined("division by zero")
            if abs(z.imag) > 1e-9 * max(1.0, abs(z.real)):
                return Undefined("not a real number")
            return z.real
        pt = {k: v for k, v in point.items()}
        try:
            z = mp_evaluate(expr, pt, 30)
        except MpUndefined:
            return Undefined("no finite value")
        except (ValueError, TypeError, OverflowError, ZeroDivisionError) as e:
            raise Skip(str(e)) from None
        if isinstance(z, mpmath.mpc):
            if abs(z.imag) > mpmath.mpf(10) ** -20 * max(1, abs(z.real)):
                return Undefined("not a real number")
            return z.real
        return z


def _show(node: Node) -> str:
    from nncheck.lang.syntax import to_text

    return to_text(node)
