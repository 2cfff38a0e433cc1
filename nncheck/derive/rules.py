"""Name the rule that makes a valid step valid.

A step is classified by the *weakest* theory in which its two sides are equal:

1. **algebra** — equal when σ, tanh and ln are arbitrary functions (so only field
   operations, powers and exponent laws were used);
2. **log of a product or quotient** — equal once ln is the real logarithm;
3. **tanh = 2σ(2u) − 1** — equal once tanh is written through σ;
4. **definition of σ / tanh** — equal once σ and tanh are their exponential forms;
5. **substituting a definition** (``h = sigma(xi)``), or **softmax normalisation**
   when the definitions are softmax outputs that only sum to one;
6. **normalisation** by a constraint such as ``y1 + y2 + y3 = 1``.

Each theory is tested numerically at a few random points (:mod:`.numeval`), where an
"arbitrary function" is a fixed random function of its argument's value.  Steps that
differentiate are named from their shape: a derivative moved inward through a
composition is the **chain rule** (or the total derivative through a defined name),
one that disappears is **σ′ = σ(1−σ)** or **tanh′ = 1 − tanh²** when the result is still
written with σ or tanh (a result in exponentials differentiated the function's definition),
or plain differentiation (sum, product and power rules).

These names are explanations for a step already found valid; they never change a verdict.
One thing depends on them: in a bank problem, a rule that *is* the identity to be shown
(:meth:`Classifier.identity_rules`: σ′ = σ(1−σ) when the problem asks for σ′) makes a
step circular, and a circular step shows no work (``nncheck.derive.core``).
"""

from __future__ import annotations

import random

from nncheck.derive.context import PLACEHOLDER, Context, outer_derivatives, rebuild
from nncheck.derive.plan import Term
from nncheck.lang.syntax import BinOp, Call, Derivative, Name, Node, Unary, to_text, walk

#: rule id -> its name in the known set
RULES = {
    "algebra": "algebra",
    "chain-rule": "chain rule / total derivative",
    "sigmoid-derivative": "σ′ = σ(1−σ)",
    "tanh-derivative": "tanh′ = 1 − tanh²",
    "log-rules": "log of a product or quotient",
    "softmax-normalisation": "softmax normalisation",
    "normalisation": "normalisation",
    "definition": "substituting a definition",
    "tanh-sigmoid": "tanh = 2σ(2u) − 1",
    "derivative": "differentiation (sum, product and power rules)",
    "start": "the problem's start",
}
#: when a step needs several theories, the most telling one names it
_PRECEDENCE = ["sigmoid-derivative", "tanh-derivative", "chain-rule", "derivative", "softmax-normalisation",
               "normalisation", "definition", "tanh-sigmoid", "log-rules", "algebra"]
K_POINTS = 3
#: The named rules that are identities of one function, and the functions they are about.  When a
#: problem's start-to-target jump is such a rule applied to a single σ, tanh or ln, the rule is the
#: very identity the problem asks to show: see :meth:`Classifier.identity_rules`.
IDENTITIES = {"sigmoid-derivative": ("sigma", "sigma'"), "tanh-derivative": ("tanh", "tanh'"),
              "tanh-sigmoid": ("tanh", "sigma"), "log-rules": ("ln", "log")}
LOG_DETAIL = "log of a product or quotient: ln(ab) = ln a + ln b, ln(a/b) = ln a − ln b"


class Classifier:
    """Rule naming for the steps of one derivation (shares the context's conversions)."""

    def __init__(self, ctx: Context, seed: int = 0):
        import sympy

        self.ctx = ctx
        self.sympy = sympy
        self.seed = seed
        self._def_lit: dict | None = None
        self._softmax: dict | None = None

    # -- entry point -----------------------------------------------------------
    def classify(self, left: Term, right: Term) -> tuple[str, str]:
        L, R = left.node, right.node
        if L == R:
            return "algebra", "the same expression"
        short = _shorthand_rule(L, R)
        if short is not None:
            return short
        dL, dR = outer_derivatives(L), outer_derivatives(R)
        if not dL and not dR:
            alg = self.algebraic(self.ctx.literal(L, left.text), self.ctx.literal(R, right.text))
            return alg[:2] if alg else ("algebra", "algebra")
        if len(dL) == len(dR) and all(a.var == b.var for a, b in zip(dL, dR)):
            got = self._paired(left, right, dL, dR)
            if got is not None:
                return got
        return self._differentiation(left, right, dL, dR)

    def identity_rules(self, start: Term, target: Term) -> frozenset[str]:
        """The named rules that are the identity ``start = target`` in other words.

        A rule is, when the one-line jump from the start to the target is named by it and the start
        (or the target) is that rule's function applied once, perhaps inside one derivative:
        ``d/dxi(sigma(xi)) = h(1 - h)`` is σ′ = σ(1−σ), ``tanh(xi) = 2 sigma(2 xi) - 1`` is
        tanh = 2σ(2u) − 1.  The BCE gradient's jump also differentiates σ, but its start is a whole
        loss, so σ′ = σ(1−σ) stays a rule a step may use there.
        """
        try:
            rule, _ = self.classify(start, target)
        except Exception:  # noqa: BLE001 - no rule named, none refused
            return frozenset()
        funcs = IDENTITIES.get(rule)
        if funcs is None:
            return frozenset()
        defs = {n: d.node for n, d in self.ctx.defs.items()}
        if any(_single_application(t.node, funcs, defs) for t in (start, target)):
            return frozenset({rule})
        return frozenset()

    # -- theories ----------------------------------------------------------------
    def algebraic(self, A, B) -> tuple[str, str, tuple] | None:
        """The weakest theory in which the SymPy expressions ``A`` and ``B`` are equal.

        Returns (rule id, detail, the defined names substituted) or None.
        """
        import sympy

        from nncheck.lang.sympy_backend import sigma

        has_log = A.has(sympy.log) or B.has(sympy.log)
        has_sigma = A.has(sigma) or B.has(sigma)
        has_tanh = A.has(sympy.tanh) or B.has(sympy.tanh)
        names = {s.name for s in (A.free_symbols | B.free_symbols)}
        defs_here = sorted(n for n in names if n in self.ctx.defs)
        solved_here = sorted(n for n in names if n in self.ctx.solved)
        everything = frozenset({"sigma", "tanh", "log"})
        if self._equal(A, B, opaque=everything):
            # Softmax outputs written out, exp(z_k)/Σ exp(z_j), added up on one side only.
            sa, sb = _softmax_terms(A), _softmax_terms(B)
            if any(max(sa.get(d, 0), sb.get(d, 0)) >= 2 and sa.get(d, 0) != sb.get(d, 0) for d in set(sa) | set(sb)):
                return "softmax-normalisation", "softmax normalisation: the outputs exp(z_k)/Σ_j exp(z_j) sum to 1", ()
            return "algebra", "algebra", ()
        if has_log and self._equal(A, B, opaque=frozenset({"sigma", "tanh"})):
            return "log-rules", LOG_DETAIL, ()
        if has_tanh and has_sigma and self._equal(A, B, opaque=frozenset({"sigma"}), tanh_as_sigma=True):
            return "tanh-sigmoid", "tanh(u) = 2σ(2u) − 1", ()
        if (has_sigma or has_tanh) and self._equal(A, B, opaque=frozenset()):
            return "definition", _builtin_detail(has_sigma, has_tanh), ()
        if defs_here:
            for opaque in (frozenset({"sigma", "tanh"}), frozenset()):
                if not self._equal(A, B, opaque=opaque, defs=frozenset(self.ctx.defs)):
                    continue
                used = self._minimal_definitions(A, B, defs_here, opaque)
                group = self._softmax_group(used)
                if group and not (A.has(sympy.exp) or B.has(sympy.exp)):
                    return "softmax-normalisation", f"softmax normalisation: {' + '.join(group)} = 1", tuple(used)
                extra = []
                if opaque != frozenset({"sigma", "tanh"}) and (has_sigma or has_tanh):
                    extra.append("the " + _builtin_detail(has_sigma, has_tanh))
                # Did the substitution also need the log rules (ln of a softmax quotient)?
                probe = (opaque | {"log"}) if has_log else None
                if probe is not None and not self._equal(A, B, opaque=frozenset(probe), defs=frozenset(used)):
                    extra.append("the log of a quotient")
                return "definition", self._definition_detail(used, extra), tuple(used)
        if solved_here or self.ctx.solved:
            if self._equal(A, B, opaque=frozenset(), defs=frozenset(self.ctx.defs), constraints=True):
                used = solved_here or sorted(self.ctx.solved)
                return ("normalisation", "normalisation: " + ", ".join(self.ctx.constraint_text[n] for n in used),
                        ())
        return None

    def restates(self, left: Term, right: Term) -> bool:
        """Is ``right`` just ``left`` rewritten: algebra and given definitions, nothing evaluated?

        The first line of a problem must be its start in this sense, so that writing the
        target on the first line does not count as beginning at the start.
        """
        if left.node == right.node:
            return True
        ctx = self.ctx
        everything = frozenset({"sigma", "tanh", "log"})

        def same(A, B) -> bool:
            return self._equal(A, B, opaque=everything) or \
                self._equal(A, B, opaque=everything, defs=frozenset(ctx.defs))

        dL, dR = outer_derivatives(left.node), outer_derivatives(right.node)
        if len(dL) != len(dR) or any(a.var != b.var for a, b in zip(dL, dR)):
            return False
        for a, b in zip(dL, dR):
            if a != b and not same(ctx.literal(a.expr, left.text), ctx.literal(b.expr, right.text)):
                return False
        dummies = [self.sympy.Dummy(f"p{i}") for i in range(len(dL))]
        sl, sr = self._skeleton(left, dL, dummies), self._skeleton(right, dR, dummies)
        return sl is not None and sr is not None and (sl == sr or same(sl, sr))

    def same_form(self, A, B) -> bool:
        """Equal as written: defined names, σ, tanh and ln all left as they are (algebra only)."""
        return self._equal(A, B, opaque=frozenset({"sigma", "tanh", "log"}))

    def _minimal_definitions(self, A, B, defs_here: list[str], opaque: frozenset) -> list[str]:
        """The fewest definitions whose substitution makes the sides equal (greedy)."""
        cur = set(self._used_definitions(A, B, defs_here))
        if not self._equal(A, B, opaque=opaque, defs=frozenset(cur)):
            cur = set(self.ctx.defs)
        for n in sorted(cur):
            if len(cur) > 1 and self._equal(A, B, opaque=opaque, defs=frozenset(cur - {n})):
                cur.discard(n)
        order = list(self.ctx.defs)
        return sorted(cur, key=order.index)

    def _definition_detail(self, used: list[str], extra: list[str]) -> str:
        if len(used) == 1:
            text = "substituting " + self._def_text(used[0])
        else:
            text = "substituting the definitions of " + ", ".join(used[:-1]) + " and " + used[-1]
        if extra:
            text += " and " + " and ".join(extra)
        return text

    def _equal(self, A, B, *, opaque: frozenset, defs: frozenset = frozenset(), constraints: bool = False,
               tanh_as_sigma: bool = False) -> bool:
        """Equal at K_POINTS random points, with ``opaque`` functions arbitrary and ``defs`` substituted?"""
        from nncheck.derive.numeval import Evaluator, Unsupported, close

        syms = A.free_symbols | B.free_symbols
        ok = 0
        for k in range(K_POINTS + 2):
            rng = random.Random(self.seed * 1009 + k)
            env = self._point(syms, rng, opaque, defs, constraints, tanh_as_sigma, k)
            if env is None:
                continue
            ev = Evaluator(env, opaque, salt=k, tanh_as_sigma=tanh_as_sigma)
            try:
                a, b = ev(A), ev(B)
            except (Unsupported, ZeroDivisionError, OverflowError, ValueError, TypeError):
                continue
            if not close(a, b, 1e-7):
                return False
            ok += 1
            if ok >= K_POINTS:
                return True
        return False

    def _point(self, syms, rng, opaque, defs, constraints, tanh_as_sigma, salt) -> dict | None:
        """Random values for the symbols; defined names get their definitions' values if ``defs``."""
        from nncheck.derive.check import random_point
        from nncheck.derive.numeval import Evaluator, Unsupported

        ctx = self.ctx
        env: dict = {}
        plain = sorted((s for s in syms if s.name not in ctx.defs and s.name not in ctx.solved),
                       key=lambda s: s.name)
        # The symbols the definitions themselves use need values too.
        extra = set()
        if defs or constraints:
            for expr in self._definition_literals().values():
                extra |= {s for s in expr.free_symbols if s.name not in ctx.defs and s.name not in ctx.solved}
            for expr in ctx.solved.values():
                extra |= {s for s in expr.free_symbols if s.name not in ctx.defs and s.name not in ctx.solved}
        allp = sorted(set(plain) | extra, key=lambda s: s.name)
        named = [s for s in allp if not s.name.startswith("_") and not isinstance(s, self.sympy.Dummy)]
        pt = random_point([s.name for s in named], ctx.domains, rng)
        for s in allp:
            if s in named:
                env[s] = complex(float(pt[s.name]))
            else:
                env[s] = complex(rng.uniform(-2.0, 2.0))
        ev = Evaluator(env, opaque, salt=salt, tanh_as_sigma=tanh_as_sigma)
        for name in ctx.defs:
            sym = ctx.sym(name)
            if name in defs:
                try:
                    env[sym] = ev(self._definition_literals()[name])
                except (Unsupported, ZeroDivisionError, OverflowError, ValueError, TypeError, KeyError):
                    return None
            else:
                env[sym] = complex(float(random_point([name], ctx.domains, rng)[name]))
        for name, expr in ctx.solved.items():
            sym = ctx.sym(name)
            if constraints:
                try:
                    env[sym] = ev(expr)
                except (Unsupported, ZeroDivisionError, OverflowError, ValueError, TypeError):
                    return None
            else:
                env[sym] = complex(float(random_point([name], ctx.domains, rng)[name]))
        return env

    def _definition_literals(self) -> dict:
        if self._def_lit is None:
            out = {}
            for name, d in self.ctx.defs.items():
                try:
                    out[name] = self.ctx.literal(d.node, d.text)
                except Exception:  # noqa: BLE001 - a definition that fails shows up in the steps using it
                    continue
            self._def_lit = out
        return self._def_lit

    def _used_definitions(self, A, B, names: list[str]) -> list[str]:
        """The defined names the step substitutes: those not used alike on both sides."""
        def count(e, n):
            s = self.ctx.sym(n)
            return sum(1 for x in self.sympy.preorder_traversal(e) if x == s)

        differ = [n for n in names if count(A, n) != count(B, n)]
        return differ or names

    def _def_text(self, name: str) -> str:
        d = self.ctx.defs.get(name)
        return f"{name} = {to_text(d.node)}" if d is not None else name

    def _softmax_group(self, names: list[str]) -> list[str] | None:
        """The softmax outputs among ``names``, when all of them are and share a denominator."""
        if self._softmax is None:
            import sympy

            groups: dict = {}
            for name, d in self.ctx.defs.items():
                try:
                    v = self.ctx.value(d.node, d.text)
                    num, den = v.as_numer_denom()
                except Exception:  # noqa: BLE001 - not a softmax, whatever went wrong
                    continue
                if isinstance(num, sympy.exp) and den.is_Add and len(den.args) >= 2 \
                        and all(isinstance(t, sympy.exp) for t in den.args) and num in den.args:
                    groups.setdefault(den, []).append(name)
            self._softmax = {n: sorted(members) for members in groups.values() for n in members}
        if not names or not all(n in self._softmax for n in names):
            return None
        group = self._softmax[names[0]]
        if any(self._softmax[n] != group for n in names):
            return None
        return group

    # -- derivatives ---------------------------------------------------------------
    def _paired(self, left: Term, right: Term, dL, dR) -> tuple[str, str] | None:
        """Both sides have the same derivatives in the same places: a rewrite inside them or outside."""
        ctx = self.ctx
        found: list[tuple] = []
        inside: list[tuple] = []
        for a, b in zip(dL, dR):
            if a == b:
                continue
            got = self.algebraic(ctx.literal(a.expr, left.text), ctx.literal(b.expr, right.text))
            if got is None:
                return None
            inside.append((got, a.var))
        dummies = [self.sympy.Dummy(f"p{i}") for i in range(len(dL))]
        sl = self._skeleton(left, dL, dummies)
        sr = self._skeleton(right, dR, dummies)
        if sl is None or sr is None:
            return None
        if sl != sr:
            got = self.algebraic(sl, sr)
            if got is None:
                return None
            found.append(got)
        # Several derivatives rewritten alike (each yhat_k by its definition): say it once.
        merged: dict = {}
        for (rid, detail, names), var in inside:
            key = (rid, var)
            if key in merged and rid == "definition":
                merged[key] = (rid, merged[key][1] | set(names), var, merged[key][3])
            elif key not in merged:
                merged[key] = (rid, set(names), var, detail)
        for (rid, var), (_, names, _, detail) in merged.items():
            if rid == "definition" and len(names) > 1:
                order = list(ctx.defs)
                extra = ["the log of a quotient"] if any("the log of a quotient" in g[1] for g, v in inside
                                                         if v == var and g[0] == rid) else []
                detail = self._definition_detail(sorted(names, key=order.index), extra)
            found.append((rid, f"{detail} (inside d/d{var})", tuple(names)))
        if not found:
            return "algebra", "algebra"
        return _combine(found)

    def _is_linear_piece(self, d: Derivative, gone: list[Derivative], text: str) -> bool:
        """Is ``d`` the derivative of one term (up to a constant factor) of a derivative that went away?"""
        def is_constant(n: Node) -> bool:
            return d.var not in self.ctx.free_names(n) and not any(isinstance(x, Derivative) for x in walk(n))

        def same(a: Node, b: Node) -> bool:
            # Equal as written, or once definitions are substituted (ln(yhat) is ln(sigma(xi))).
            if a == b:
                return True
            try:
                held = frozenset({d.var})
                return self.ctx.value(a, text, held) == self.ctx.value(b, text, held)
            except Exception:  # noqa: BLE001 - naming only
                return False

        target = _strip_constants(d.expr, is_constant)
        for g in gone:
            if g.var != d.var:
                continue
            pieces = _pieces(g.expr, is_constant)
            if any(same(p, target) for p in pieces) and (len(pieces) > 1 or pieces[0] != g.expr):
                return True
        return False

    def _skeleton(self, term: Term, derivs, dummies):
        """``term``'s literal form with its outer derivatives replaced by shared placeholders."""
        from nncheck.lang.sympy_backend import to_sympy
        from nncheck.lang.syntax import AnswerSyntaxError, names_in

        ids = {id(d): i for i, d in enumerate(derivs)}
        env: dict = {}

        def repl(n):
            if isinstance(n, Derivative) and id(n) in ids:
                name = f"{PLACEHOLDER}p{ids[id(n)]}"
                env[name] = dummies[ids[id(n)]]
                return Name(name, n.pos, n.end)
            return None

        tree = rebuild(term.node, repl)
        for n in names_in(tree):
            if not n.startswith(PLACEHOLDER) and n not in ("e", "pi"):
                env[n] = self.ctx.sym(n)
        try:
            return to_sympy(tree, env, term.text)
        except (AnswerSyntaxError, TypeError, ValueError):
            return None

    def _differentiation(self, left: Term, right: Term, dL, dR) -> tuple[str, str]:
        gone = [d for d in dL if d not in dR]
        new = [d for d in dR if d not in dL]
        text = left.text
        result = right.node  # the side the derivatives were evaluated into
        if not gone and new:  # written right to left: h(1-h) = d/dxi(h)
            gone, new, text, result = new, gone, right.text, left.node
        elif gone and new and _size(new) > _size(gone):
            gone, new, text, result = new, gone, right.text, left.node
        if new:
            if all(self._is_linear_piece(n, gone, text) for n in new):
                return "derivative", "linearity: the derivative of a sum is the sum of the derivatives"
            if any(isinstance(n.expr, Name) and n.expr.name in self.ctx.defs for n in new):
                names = ", ".join(sorted({n.expr.name for n in new if isinstance(n.expr, Name)}))
                return "chain-rule", f"chain rule / total derivative through {names}"
            return "chain-rule", "chain rule: d/dx f(g(x)) = f′(g(x))·d/dx g(x)"
        import sympy

        from nncheck.lang.sympy_backend import sigma

        has_sigma = has_tanh = composite = False
        src = left if text is left.text else right
        for d in gone:
            try:
                inner = self.ctx.value(d.expr, src.text, frozenset({d.var}))
            except Exception:  # noqa: BLE001 - naming only: fall back to the generic rule
                continue
            v = self.ctx.sym(d.var)
            has_sigma |= inner.has(sigma)
            has_tanh |= inner.has(sympy.tanh)
            composite |= _composite(inner, v)
        chain = ", with the chain rule" if composite else ""
        return self._function_derivative(has_sigma, has_tanh, composite, chain, result)

    def _function_derivative(self, has_sigma: bool, has_tanh: bool, composite: bool, chain: str,
                             result: Node) -> tuple[str, str]:
        """Name a step that evaluated derivatives of σ or tanh (or neither) into ``result``.

        σ′ = σ(1−σ) is used only when the result is still written with σ: a result in
        exponentials differentiated σ's definition, not the identity (the course notes'
        dσ/dξ = e^(−ξ)/(1 + e^(−ξ))² is such a step), and likewise for tanh.
        """
        defs = {n: d.node for n, d in self.ctx.defs.items()}
        out_sigma = _uses_function(result, "sigma", defs)
        out_tanh = _uses_function(result, "tanh", defs)
        if has_tanh and out_tanh:
            return "tanh-derivative", "tanh′ = 1 − tanh²" + chain
        if has_sigma and out_sigma:
            return "sigmoid-derivative", "σ′ = σ(1−σ)" + chain
        if has_tanh and out_sigma:
            return "sigmoid-derivative", "tanh = 2σ(2u) − 1, then σ′ = σ(1−σ)" + chain
        if has_sigma or has_tanh:
            what = " and ".join(w for w, h in (("σ", has_sigma), ("tanh", has_tanh)) if h)
            how = "the chain rule" if composite else "differentiation"
            return ("chain-rule" if composite else "derivative",
                    f"the definition of {what} in exponentials, then {how}")
        if composite:
            return "chain-rule", "chain rule: d/dx f(g(x)) = f′(g(x))·d/dx g(x)"
        return "derivative", "differentiation: sum, product, power, exp and ln rules"


def _softmax_terms(expr) -> dict:
    """How many softmax fractions exp(u)/(e^a + e^b + …), with exp(u) among the e's, per denominator."""
    import sympy

    out: dict = {}
    for sub in sympy.preorder_traversal(expr):
        if not sub.is_Mul:
            continue
        nums = [f for f in sub.args if isinstance(f, sympy.exp)]
        dens = [f.base for f in sub.args if f.is_Pow and f.exp == -1 and f.base.is_Add
                and len(f.base.args) >= 2 and all(isinstance(t, sympy.exp) for t in f.base.args)]
        if len(nums) == 1 and len(dens) == 1 and nums[0] in dens[0].args:
            out[dens[0]] = out.get(dens[0], 0) + 1
    return out


def _builtin_detail(has_sigma: bool, has_tanh: bool) -> str:
    parts = []
    if has_sigma:
        parts.append("σ(u) = 1/(1 + e^(−u))")
    if has_tanh:
        parts.append("tanh(u) = (e^u − e^(−u))/(e^u + e^(−u))")
    return "definition of " + " and ".join(("σ: " if p.startswith("σ") else "tanh: ") + p for p in parts)


def _combine(found: list[tuple]) -> tuple[str, str]:
    ids = [f[0] for f in found]
    best = min(ids, key=lambda r: _PRECEDENCE.index(r) if r in _PRECEDENCE else len(_PRECEDENCE))
    details = []
    for rid, d, *_ in sorted(found, key=lambda f: _PRECEDENCE.index(f[0]) if f[0] in _PRECEDENCE else 99):
        if rid == "algebra" and len(found) > 1:
            continue
        if d not in details:
            details.append(d)
    return best, "; ".join(details)


def _shorthand_rule(L: Node, R: Node) -> tuple[str, str] | None:
    """σ′(u) or tanh′(u) written on one side only: the step applies that derivative, or (when the
    other side still has a d/du in it) just writes a derivative as σ′."""
    def funcs(n):
        return {x.func for x in walk(n) if isinstance(x, Call)}

    fl, fr = funcs(L), funcs(R)
    for f, rid in (("sigma'", "sigmoid-derivative"), ("tanh'", "tanh-derivative")):
        if (f in fl) != (f in fr):
            other = R if f in fl else L
            derivs = outer_derivatives(other)
            if derivs:
                name = "σ" if f == "sigma'" else "tanh"
                direct = all(isinstance(d.expr, Call) and d.expr.func == f[:-1] and len(d.expr.args) == 1
                             and isinstance(d.expr.args[0], Name) and d.expr.args[0].name == d.var for d in derivs)
                if direct:
                    return "derivative", f"notation: {name}′(u) stands for d{name}/du"
                return "chain-rule", f"chain rule: d/dx f(g(x)) = f′(g(x))·d/dx g(x), with {name}′ for d{name}/du"
            return rid, RULES[rid]
    return None


def _single_application(node: Node, funcs: tuple[str, ...], defs: dict) -> bool:
    """Is ``node`` one of ``funcs`` applied once (``sigma(xi)``, ``d/dxi(tanh(xi))``, a name defined so)?"""
    if isinstance(node, Derivative):
        node = node.expr
    seen: set[str] = set()
    while isinstance(node, Name) and node.name in defs and node.name not in seen:
        seen.add(node.name)
        node = defs[node.name]
    return isinstance(node, Call) and node.func in funcs


def _uses_function(node: Node, func: str, defs: dict) -> bool:
    """Is ``node`` written with ``func`` (σ′ written as such counts), directly or through a defined name?"""
    seen: set[str] = set()
    todo = [node]
    while todo:
        for n in walk(todo.pop()):
            if isinstance(n, Call) and n.func in (func, func + "'"):
                return True
            if isinstance(n, Name) and n.name in defs and n.name not in seen:
                seen.add(n.name)
                todo.append(defs[n.name])
    return False


def _size(nodes) -> int:
    return sum(sum(1 for _ in walk(n)) for n in nodes)


def _pieces(node: Node, is_constant) -> list[Node]:
    """The additive pieces of ``node``, each stripped of constant factors, recursively."""
    out, stack = [], [node]
    while stack:
        n = _strip_constants(stack.pop(), is_constant)
        if isinstance(n, BinOp) and n.op in "+-":
            stack.extend((n.left, n.right))
        else:
            out.append(n)
    return out


def _strip_constants(node: Node, is_constant) -> Node:
    """``c*f``, ``f*c`` or ``f/c`` with c constant in the variable -> f (repeatedly); signs dropped."""
    while True:
        if isinstance(node, Unary):
            node = node.arg
        elif isinstance(node, BinOp) and node.op == "*" and is_constant(node.left):
            node = node.right
        elif isinstance(node, BinOp) and node.op in "*/" and is_constant(node.right):
            node = node.left
        else:
            return node


def _composite(expr, v) -> bool:
    """Does ``expr`` apply a function (or a power) to something other than ``v`` itself that depends on ``v``?"""
    import sympy

    for sub in sympy.preorder_traversal(expr):
        if isinstance(sub, sympy.Function) or type(sub).__name__ in ("exp", "log", "sigma", "tanh"):
            for arg in sub.args:
                if arg != v and arg.has(v):
                    return True
        elif sub.is_Pow:
            base, ex = sub.args
            if ex.has(v) or (base.has(v) and base != v):
                return True
    return False


__all__ = ["IDENTITIES", "RULES", "Classifier"]
