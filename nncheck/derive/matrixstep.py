"""Steps of a vector-form derivation: both sides are vectors or matrices, compared entry by entry.

A derivation that declares shapes (:mod:`.shaping`) is checked here instead of by the scalar
context.  Each step ``A = B`` is decided by the matrix answers' equivalence
(:func:`nncheck.answer.matequiv.compare`): every size name gets three assignments of distinct
primes (so a transposition cannot hide in a square shape, and an identity that holds only when
two sizes are equal fails), every declared symbol becomes a matrix of fresh entries, both sides
are computed entry by entry and each entry's difference is screened at certified points, then
proved 0 exactly or sampled by the scalar checker.  Before that, the two sides' shapes must be
the same: a step from an N×D side to a D×N one is wrong, and named a transpose when it is one.

What a side means:

* a **defined name** (``xi1 = W1 x + b1``, ``h = sigma(xi1)``) stands for its definition;
* **``d/dV(E)``** is the gradient of the number E with respect to V, a matrix of V's shape whose
  (i, j) entry is ∂E/∂V_ij, the other inputs held fixed (for a defined V, its definition is put
  back afterwards, as the scalar checker does for ∂L/∂ŷ);
* **the loss** is known through its gradient alone: a given ``d/dxi2(L) = delta2`` says
  ∇_{ξ⁽²⁾}L = δ⁽²⁾, and that L depends on everything else only through ξ⁽²⁾.  Then
  ∂L/∂V_ij = Σ_k δ⁽²⁾_k ∂ξ⁽²⁾_k/∂V_ij exactly (the chain rule, with δ⁽²⁾ held fixed while
  differentiating), so ``d/dV(L)`` is computed for any V that ξ⁽²⁾ depends on, and refused for
  any other: nothing is assumed that the given does not say.

Index notation (∂L/∂W⁽¹⁾ᵢⱼ = Σₖ δ⁽²⁾ₖ W⁽²⁾ₖᵢ σ̇(ξ⁽¹⁾ᵢ) xⱼ) is not in the answer language: a
vector-form derivation starts at the gradient itself, ``d/dW1(L)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy

from nncheck.answer.matequiv import MISTAKE_POINTS, compare, size_assignments
from nncheck.derive.check import Outcome, format_pair
from nncheck.derive.context import has_derivative, outer_derivatives, rebuild
from nncheck.derive.milestones import opaque_equal, vocabulary
from nncheck.derive.plan import Plan, Term
from nncheck.derive.shaping import shaper_for
from nncheck.lang.matrices import entry_name, explicit, size_of
from nncheck.lang.shapes import Shape, is_scalar, same, shape_text, sizes_of, transposed
from nncheck.lang.sympy_backend import make_symbol
from nncheck.lang.syntax import CONSTANTS, AnswerSyntaxError, Derivative, Name, Node, names_in, parse, to_text, walk

HELD = "@h:"  # the entries of a variable held while differentiating ('@' never appears in a user's name)
FROZEN = "@f:"  # the loss's gradient, held fixed while differentiating
OPAQUE = "@o:"  # a defined name or a derivative left as it is (the literal view)


class MatrixContext:
    """The vector-form counterpart of :class:`nncheck.derive.context.Context` for one derivation."""

    matrix = True

    def __init__(self, plan: Plan):
        self.plan = plan
        self.domains = dict(plan.domains)
        self.defs: dict[str, tuple[Node, str]] = {}
        for d in plan.definitions:
            self.defs.setdefault(d.name, (d.node, d.text))
        #: loss name -> (the variable its gradient is given at, the gradient, its text)
        self.grads: dict[str, tuple[str, Node, str]] = {}
        for c in plan.constraints:
            left, right = c.left, c.right
            if isinstance(right, Derivative) and not isinstance(left, Derivative):
                left, right = right, left
            if isinstance(left, Derivative) and isinstance(left.expr, Name) and left.expr.name not in self.defs:
                self.grads.setdefault(left.expr.name, (left.var, right, c.text))
        self.shaper = shaper_for(plan)
        for d in plan.definitions:
            self.shaper.define(d.name, d.node, d.text)
        #: The symbols that are matrices of free entries: declared, and neither defined nor a loss.
        self.free = {n: s for n, s in plan.shapes.items() if n not in self.defs and n not in self.grads}

    # -- shapes and names ---------------------------------------------------------
    def shape(self, term: Term) -> Shape:
        return self.shaper.of(term.node, term.text)

    def depends(self, name: str, var: str) -> bool:
        """Does ``name`` depend on ``var`` through the definitions (xi2 on W1 through h and xi1)?"""
        seen: set[str] = set()
        todo = [name]
        while todo:
            n = todo.pop()
            if n == var:
                return True
            if n in seen or n not in self.defs:
                continue
            seen.add(n)
            node = self.defs[n][0]
            todo.extend(names_in(node) | {x.var for x in walk(node) if isinstance(x, Derivative)})
        return False

    def scalar_names(self, *nodes: Node) -> dict[str, str]:
        """The scalar free symbols the nodes use (through definitions and given gradients), with domains."""
        out: dict[str, str] = {}
        seen: set[str] = set()
        todo = [n for node in nodes for n in names_in(node) | {x.var for x in walk(node) if isinstance(x, Derivative)}]
        while todo:
            n = todo.pop()
            if n in seen or n in CONSTANTS:
                continue
            seen.add(n)
            if n in self.defs:
                node = self.defs[n][0]
                todo.extend(names_in(node) | {x.var for x in walk(node) if isinstance(x, Derivative)})
            elif n in self.grads:
                todo.extend(names_in(self.grads[n][1]))
            elif n not in self.free:
                out[n] = self.domains.get(n, "real")
        return out

    # -- values ----------------------------------------------------------------------
    def side(self, term: Term) -> Callable[[Any], Any]:
        """The side of a comparison: the symbols' explicit matrices -> the term's explicit value."""
        return lambda env: _Values(self, env).term(term.node, term.text, {})

    def compare(self, a: Term, b: Term, seed: int = 0, **kw):
        domains = {n: d for n, d in self.domains.items() if n in self.free}
        domains.update(self.scalar_names(a.node, b.node))
        return compare(self.side(a), self.side(b), self.free, domains, seed=seed, **kw)

    # -- the literal view: defined names and derivatives as unknown matrices ----------
    def literal(self, term: Term, sizes: dict[str, int]):
        """``term`` at ``sizes`` with every defined name and every derivative an opaque matrix of its shape."""
        env: dict[str, Any] = {}
        bindings: dict[str, Any] = {}

        def repl(n: Node):
            if isinstance(n, Derivative):
                key = to_text(n)
                name = f"{OPAQUE}{key}"
                bindings[name] = self._opaque(key, self.shaper.of_name(n.var), sizes)
                return Name(name, n.pos, n.end)
            return None

        tree = rebuild(term.node, repl) if has_derivative(term.node) else term.node
        for n in names_in(tree):
            if n in bindings:
                env[n] = bindings[n]
            elif n in CONSTANTS:
                continue
            elif n in self.free:
                env[n] = self._opaque(n, self.free[n], sizes, free=True)
            else:
                env[n] = self._opaque(n, self.shaper.of_name(n), sizes)
        return explicit(tree, env, term.text)

    def _opaque(self, key: str, shape: Shape, sizes: dict[str, int], free: bool = False):
        prefix = "" if free else OPAQUE
        if shape is None:
            return make_symbol(prefix + key, "real" if not free else self.domains.get(key, "real"))
        return sympy.ImmutableMatrix(size_of(shape[0], sizes), size_of(shape[1], sizes),
                                     lambda i, j: make_symbol(prefix + entry_name(key, i, j, shape),
                                                              self.domains.get(key, "real") if free else "real"))

    def same_form(self, a: Term, b: Term) -> bool:
        """Is ``a`` written in ``b``'s form: the same names and functions, and equal with every defined
        name, every derivative and every function unknown (only products, ⊙, sums and transposes
        rearranged), at each set of sizes?"""
        if vocabulary(a.node) != vocabulary(b.node):
            return False
        if a.node == b.node:
            return True
        try:
            if not same(self.shape(a), self.shape(b)):
                return False
            for sizes in size_assignments(sizes_of(self.plan.shapes) or []):
                A, B = _as_matrix(self.literal(a, sizes)), _as_matrix(self.literal(b, sizes))
                if A.shape != B.shape or not all(opaque_equal(self, x, y) for x, y in zip(A, B)):
                    return False
        except AnswerSyntaxError:
            return False
        return True


class _Values:
    """Explicit values of terms at one point of the comparison (``env``: the free symbols' matrices)."""

    def __init__(self, ctx: MatrixContext, env: Any):
        self.ctx, self.env = ctx, env
        self.sizes = _sizes_of(ctx, env)
        self.memo: dict[tuple, Any] = {}

    def term(self, node: Node, text: str, held: dict[str, Any]):
        bindings: dict[str, Any] = {}

        def repl(n: Node):
            if isinstance(n, Derivative):
                name = f"@d{len(bindings)}"
                bindings[name] = self.derivative(n, text, held)
                return Name(name, n.pos, n.end)
            return None

        tree = rebuild(node, repl) if has_derivative(node) else node
        local: dict[str, Any] = {}
        for n in names_in(tree):
            if n in bindings:
                local[n] = bindings[n]
            elif n not in CONSTANTS:
                local[n] = self.name(n, held, node, text)
        return explicit(tree, local, text)

    def name(self, name: str, held: dict[str, Any], at: Node, text: str):
        if name in held:
            return held[name]
        key = (name, tuple(sorted(held)))
        if key in self.memo:
            return self.memo[key]
        ctx = self.ctx
        if name in ctx.defs:
            node, dtext = ctx.defs[name]
            value = self.term(node, dtext, held)
        elif name in ctx.grads:
            var = ctx.grads[name][0]
            pos = next((n.pos for n in walk(at) if isinstance(n, Name) and n.name == name), 0)
            raise AnswerSyntaxError(f"{name} is known only through its gradient d/d{var}({name}): write d/dV({name}) "
                                    f"on its own", pos, text)
        elif name in self.env:
            value = self.env[name]
        else:
            value = make_symbol(name, ctx.domains.get(name, "real"))
        self.memo[key] = value
        return value

    def derivative(self, d: Derivative, text: str, held: dict[str, Any]):
        """∇_V E as a matrix of V's shape (see the module docstring)."""
        ctx, var = self.ctx, d.var
        shape = ctx.shaper.of_name(var)
        free = var in self.env and var not in ctx.defs and var not in held
        if free:
            H = self.env[var]
        elif shape is None:
            H = sympy.Symbol(HELD + var, real=True)
        else:
            H = sympy.ImmutableMatrix(size_of(shape[0], self.sizes), size_of(shape[1], self.sizes),
                                      lambda i, j: sympy.Symbol(HELD + entry_name(var, i, j, shape), real=True))
        inner = {**held, var: H}
        frozen: dict[Any, Any] = {}
        if isinstance(d.expr, Name) and d.expr.name in ctx.grads:
            E = self._loss(d, text, inner, held, frozen)
        else:
            E = self.term(d.expr, text, inner)
        E = _scalar(E, d, text)
        entries = list(H) if isinstance(H, sympy.MatrixBase) else [H]
        grads = [sympy.diff(E, h) for h in entries]
        back: dict[Any, Any] = dict(frozen)
        if not free:
            outer = self.name(var, held, d, text)
            values = list(outer) if isinstance(outer, sympy.MatrixBase) else [outer]
            back.update(zip(entries, values))
        if back:
            grads = [g.xreplace(back) for g in grads]
        if not isinstance(H, sympy.MatrixBase):
            return grads[0]
        return sympy.ImmutableMatrix(H.rows, H.cols, grads)

    def _loss(self, d: Derivative, text: str, inner: dict[str, Any], outer: dict[str, Any], frozen: dict):
        """The loss, linear in its given gradient's variable with the gradient held fixed: Σ_k g_k v_k."""
        ctx = self.ctx
        loss = d.expr.name  # type: ignore[attr-defined]
        at, grad, gtext = ctx.grads[loss]
        if not ctx.depends(at, d.var):
            raise AnswerSyntaxError(f"{loss} is known only through its gradient d/d{at}({loss}), and {at} does not "
                                    f"depend on {d.var}: d/d{d.var}({loss}) does not follow from it", d.pos, text)
        v = self.name(at, inner, d, text)
        g = self.term(grad, gtext, outer)
        vs = list(v) if isinstance(v, sympy.MatrixBase) else [v]
        gs = list(g) if isinstance(g, sympy.MatrixBase) else [g]
        if len(vs) != len(gs):
            raise AnswerSyntaxError(f"the gradient of {loss} has {len(gs)} entries but {at} has {len(vs)}", d.pos,
                                    text, code="shape")
        total = sympy.Integer(0)
        for k, (vk, gk) in enumerate(zip(vs, gs)):
            sym = sympy.Symbol(f"{FROZEN}{loss}[{k}]", real=True)
            frozen[sym] = gk
            total += sym * vk
        return total


def _scalar(E: Any, d: Derivative, text: str):
    if isinstance(E, sympy.MatrixBase):
        if E.shape != (1, 1):
            raise AnswerSyntaxError(f"d/d{d.var}( ) of a {E.rows}×{E.cols} array: a derivative here is the gradient "
                                    "of a number", d.pos, text, code="shape")
        return E[0, 0]
    return E


def _as_matrix(v: Any):
    return v if isinstance(v, sympy.MatrixBase) else sympy.ImmutableMatrix([[v]])


def _sizes_of(ctx: MatrixContext, env: Any) -> dict[str, int]:
    """The sizes of this point, read back from the free symbols' matrices."""
    out: dict[str, int] = {}
    for name, shape in ctx.free.items():
        v = env.get(name)
        if isinstance(v, sympy.MatrixBase):
            for dim, n in zip(shape, v.shape):
                out[dim] = n
    return out


# ----------------------------------------------------------------------------
# One step, the finish, a declared mistake.
# ----------------------------------------------------------------------------
def check_step(ctx: MatrixContext, left: Term, right: Term, *, seed: int = 0) -> Outcome:
    """Is ``left = right`` an identity of vectors and matrices?  Never raises for user input."""
    if left.node == right.node:
        return Outcome("valid", "the same expression")
    try:
        a, b = ctx.shape(left), ctx.shape(right)
    except AnswerSyntaxError as e:
        return Outcome("unparsable", e.message, error=e)
    if not same(a, b):
        detail = f"the two sides have different shapes: the left side is {shape_text(a)}, the right side is " \
                 f"{shape_text(b)}"
        out = Outcome("invalid", detail)
        if not is_scalar(a) and a == transposed(b):
            flipped = Term(_transpose(right.node), right.text, right.line, right.row)
            try:
                is_transpose = bool(ctx.compare(left, flipped, seed=seed, prove=False, points=MISTAKE_POINTS,
                                                reach=0))
            except AnswerSyntaxError:
                is_transpose = False
            out.hint = ("transposed: the right side is the transpose of the left side" if is_transpose
                        else "transposed? the shapes are each other's transpose")
        return out
    try:
        res = ctx.compare(left, right, seed=seed)
    except AnswerSyntaxError as e:
        return Outcome("unparsable", e.message, error=e)
    if res.equal:
        how = "shown exactly" if res.method == "exact" else f"they agree at {res.points} points"
        return Outcome("valid", f"equal for matrices of three sets of sizes ({how})")
    if res.too_complex or res.undecided:
        return Outcome("undecided", res.note or "too complex to check in the time allowed")
    text, data = _counterexample(res)
    return Outcome("invalid", "not equal: " + text, counterexample=data)


def _transpose(node: Node) -> Node:
    from nncheck.lang.syntax import Transpose

    return Transpose(node, node.pos, node.end)


def _counterexample(res) -> tuple[str, dict]:
    sizes = ", ".join(f"{k} = {v}" for k, v in res.sizes.items())
    data: dict[str, Any] = {"sizes": dict(res.sizes), "entry": res.entry}
    if isinstance(res.result, tuple):
        sa, sb = format_pair(*res.result)
        data.update(left_text=sa, right_text=sb)
        return f"with {sizes} and random matrices, {res.entry}: the left side is {sa}, the right side is {sb}", data
    return res.counterexample().replace("yours gives", "the left side is").replace("expected", "the right side"), data


def finish(ctx: MatrixContext, final: Term | None, target: Term) -> dict:
    """Does ``final`` reach ``target``: equal to it, and in its form?"""
    if final is None:
        return {"finished": False, "detail": f"nothing has been derived yet; the target is {target.shown}"}
    if has_derivative(final.node) and not has_derivative(target.node):
        return {"finished": False, "detail": f"the last line still has a derivative in it; the target is "
                                             f"{target.shown}"}
    try:
        if same(ctx.shape(final), ctx.shape(target)) and ctx.compare(final, target, seed=7):
            if ctx.same_form(final, target):
                return {"finished": True, "detail": f"reaches the target {target.shown}"}
            return {"finished": False, "detail": f"the last line equals the target but is not yet in its form: "
                                                 f"write it as {target.shown}"}
    except AnswerSyntaxError:
        pass
    return {"finished": False, "detail": f"the last line is not the target {target.shown}"}


def mistake(ctx: MatrixContext, final: Term, mistakes) -> dict:
    """The declared mistake the last line is (its value: answer-language text in the problem's names)."""
    for mid, msg, value in mistakes:
        if not isinstance(value, str):
            continue
        try:
            node = parse(value, symbols=ctx.plan.symbols, derivatives=True, matrix=True)
            term = Term(node, value, None)
            if same(ctx.shape(final), ctx.shape(term)) and ctx.compare(final, term, seed=11, prove=False,
                                                                         points=MISTAKE_POINTS, reach=0):
                return {"mistake": mid, "message": msg}
        except AnswerSyntaxError:
            continue
    return {}


# ----------------------------------------------------------------------------
# Naming the rule of a valid step.
# ----------------------------------------------------------------------------
class MatrixClassifier:
    """Rule names for the steps of a vector-form derivation (they explain a valid step, never decide one)."""

    def __init__(self, ctx: MatrixContext):
        self.ctx = ctx

    def classify(self, left: Term, right: Term) -> tuple[str, str]:
        if left.node == right.node:
            return "algebra", "the same expression"
        dl = {to_text(d) for d in outer_derivatives(left.node)}
        dr = {to_text(d) for d in outer_derivatives(right.node)}
        if dl != dr:
            given = {f"d/d{var}({loss})": to_text(g) for loss, (var, g, _) in self.ctx.grads.items()}
            gone = dl - dr
            if gone and gone <= set(given) and not dr - dl:
                shown = "; ".join(f"{k} = {given[k]}" for k in sorted(gone))
                return "definition", f"the given gradient, {shown}"
            return "chain-rule", "chain rule in vector form"
        if self.ctx.same_form(left, right):
            return "algebra", "algebra: products, ⊙, sums and transposes rearranged"
        return "definition", "substituting a definition"

    def identity_rules(self, start: Term, target: Term) -> frozenset[str]:
        return frozenset()

    def restates(self, left: Term, right: Term) -> bool:
        return left.node == right.node or self.ctx.same_form(left, right)
