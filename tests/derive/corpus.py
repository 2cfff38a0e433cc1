"""The labelled corpus of the derivation checker (tests and ``bench/bench_derive.py``).

* ``STEPS``: two-line derivations (one step), each ``(label, left, right, assume)`` with
  label "valid" or "invalid".  Hand-written ones cover each rule, the domain cases of
  the issue (ln of a quotient, sqrt(x^2), max(0, x)) and precision traps; generated ones
  apply identity templates to inner expressions chosen so that each label holds for
  every one of them (a wrong variant is wrong for every inner, a chain-rule factor is
  never 1).
* ``DERIVATIONS``: multi-line derivations with the expected status of every step,
  ``v`` valid, ``x`` invalid, ``!`` unreadable, ``?`` undecided (none expected), in
  order, plus whether the target is reached (problem derivations and ``target:`` headers).

Labels are written from the mathematics, never from the checker's output.
"""

from __future__ import annotations

from nncheck.topics.derivations import SigmoidDerivative

# ----------------------------------------------------------------------------
# Hand-written steps.
# ----------------------------------------------------------------------------
HAND = [
    # -- algebra ----------------------------------------------------------------
    ("valid", "(x + 1)^2", "x^2 + 2x + 1", None),
    ("invalid", "(x + 1)^2", "x^2 + 1", None),
    ("valid", "(a + b)(a - b)", "a^2 - b^2", None),
    ("invalid", "(a + b)(a - b)", "a^2 + b^2", None),
    ("valid", "1/(1 + 1/x)", "x/(x + 1)", None),
    ("invalid", "1/(1 + 1/x)", "1/(x + 1)", None),
    ("valid", "(x^2 - 1)/(x - 1)", "x + 1", None),
    ("valid", "x/x", "1", None),
    ("valid", "a/b + c/d", "(a d + b c)/(b d)", None),
    ("invalid", "a/b + c/d", "(a + c)/(b + d)", None),
    ("valid", "2^(x + 1)", "2 * 2^x", None),
    ("invalid", "2^(x + 1)", "2^x + 2", None),
    ("valid", "(x^3)^2", "x^6", None),
    ("invalid", "(x^3)^2", "x^9", None),
    ("valid", "x^2 x^3", "x^5", None),
    ("valid", "-(1/n)(y - yhat)", "(yhat - y)/n", "n > 0"),
    ("invalid", "-(1/n)(y - yhat)", "(y - yhat)/n", "n > 0"),
    ("valid", "(x + 1)^10", "x^10 + 10x^9 + 45x^8 + 120x^7 + 210x^6 + 252x^5 + 210x^4 + 120x^3 + 45x^2 + 10x + 1",
     None),
    ("invalid", "(x + 1)^10", "x^10 + 10x^9 + 45x^8 + 120x^7 + 210x^6 + 252x^5 + 210x^4 + 120x^3 + 45x^2 + 10x",
     None),
    ("invalid", "x^40 + 1", "x^40", None),
    ("invalid", "(1 + 1/10^12) x", "x", None),
    ("valid", "y (1 - yhat) - (1 - y) yhat", "y - yhat", None),
    ("invalid", "y (1 - yhat) - (1 - y) yhat", "y + yhat", None),
    ("valid", "(W1 + 2P - F)/S + 1", "(W1 - F + 2P + S)/S", "S > 0"),
    ("invalid", "(W1 + 2P - F)/S + 1", "(W1 - F + P)/S + 1", "S > 0"),
    ("valid", "exp(x) exp(-x)", "1", None),
    ("valid", "exp(2x)", "exp(x)^2", None),
    ("invalid", "exp(2x)", "2 exp(x)", None),
    ("valid", "exp(a + b)", "exp(a) exp(b)", None),
    ("invalid", "exp(a + b)", "exp(a) + exp(b)", None),
    ("valid", "e^(-x)", "exp(-x)", None),
    ("valid", "1/(1 + exp(-x))", "exp(x)/(exp(x) + 1)", None),
    ("invalid", "1/(1 + exp(-x))", "exp(-x)/(exp(-x) + 1)", None),
    # -- sigmoid ----------------------------------------------------------------
    ("valid", "sigma(x)", "1/(1 + exp(-x))", None),
    ("invalid", "sigma(x)", "1/(1 + exp(x))", None),
    ("valid", "sigma(-x)", "1 - sigma(x)", None),
    ("invalid", "sigma(-x)", "-sigma(x)", None),
    ("valid", "sigma(x) + sigma(-x)", "1", None),
    ("valid", "sigma(x)(1 - sigma(x))", "exp(-x)/(1 + exp(-x))^2", None),
    ("invalid", "sigma(x)(1 - sigma(x))", "exp(x)/(1 + exp(-x))^2", None),
    ("valid", "sigma(x)(1 - sigma(x))", "sigma(x) sigma(-x)", None),
    ("valid", "1 - sigma(x)", "exp(-x)/(1 + exp(-x))", None),
    ("invalid", "1 - sigma(x)", "1/(1 + exp(x)) + 1", None),
    ("valid", "sigma(0)", "1/2", None),
    ("valid", "ln(sigma(x))", "-ln(1 + exp(-x))", None),
    ("invalid", "ln(sigma(x))", "ln(1 + exp(-x))", None),
    ("valid", "ln(1 - sigma(x))", "-x - ln(1 + exp(-x))", None),
    # -- tanh ---------------------------------------------------------------------
    ("valid", "tanh(x)", "2 sigma(2x) - 1", None),
    ("invalid", "tanh(x)", "2 sigma(x) - 1", None),
    ("valid", "tanh(x)", "(exp(x) - exp(-x))/(exp(x) + exp(-x))", None),
    ("invalid", "tanh(x)", "(exp(x) + exp(-x))/(exp(x) - exp(-x))", None),
    ("valid", "tanh(-x)", "-tanh(x)", None),
    ("valid", "1 - tanh(x)^2", "(1 - tanh(x))(1 + tanh(x))", None),
    ("valid", "1 - tanh(x)^2", "4 sigma(2x)(1 - sigma(2x))", None),
    ("invalid", "1 - tanh(x)^2", "2 sigma(2x)(1 - sigma(2x))", None),
    ("valid", "(1 + tanh(x/2))/2", "sigma(x)", None),
    # -- logs and domains (the issue's own examples) --------------------------------
    ("valid", "ln(w/wa)", "ln(w) - ln(wa)", "w > 0, wa > 0"),
    ("invalid", "ln(w/wa)", "ln(w) - ln(wa)", None),
    ("valid", "ln(a b)", "ln(a) + ln(b)", "a > 0, b > 0"),
    ("invalid", "ln(a b)", "ln(a) + ln(b)", None),
    ("invalid", "ln(a + b)", "ln(a) + ln(b)", "a > 0, b > 0"),
    ("valid", "ln(x^2)", "2 ln(x)", "x > 0"),
    ("invalid", "ln(x^2)", "2 ln(x)", None),
    ("valid", "ln(x^2)", "2 ln(abs(x))", None),
    ("valid", "ln(exp(x))", "x", None),
    ("valid", "exp(ln(x))", "x", "x > 0"),
    ("invalid", "exp(ln(x))", "x", None),
    ("valid", "ln(1/x)", "-ln(x)", "x > 0"),
    ("invalid", "ln(1/x)", "ln(x)", "x > 0"),
    ("valid", "ln(sqrt(x))", "ln(x)/2", "x > 0"),
    ("valid", "ln(exp(z1)/(exp(z1) + exp(z2)))", "z1 - ln(exp(z1) + exp(z2))", None),
    ("invalid", "ln(exp(z1)/(exp(z1) + exp(z2)))", "z1 - ln(exp(z1)) - ln(exp(z2))", None),
    ("valid", "sqrt(x^2)", "x", "x > 0"),
    ("invalid", "sqrt(x^2)", "x", None),
    ("valid", "sqrt(x^2)", "abs(x)", None),
    ("invalid", "sqrt(x)^2", "x", None),
    ("valid", "sqrt(x)^2", "x", "x >= 0"),
    ("valid", "sqrt(a b)", "sqrt(a) sqrt(b)", "a > 0, b > 0"),
    ("invalid", "sqrt(a b)", "sqrt(a) sqrt(b)", None),
    ("valid", "sqrt(4 x^2)", "2 x", "x > 0"),
    ("invalid", "sqrt(4 x^2)", "2 x", "x < 0"),
    ("valid", "x^(1/2) x^(1/2)", "x", "x > 0"),
    # -- max, relu, abs -------------------------------------------------------------
    ("invalid", "max(0, x)", "x", None),
    ("valid", "max(0, x)", "x", "x > 0"),
    ("valid", "relu(x)", "max(0, x)", None),
    ("valid", "relu(x)", "(x + abs(x))/2", None),
    ("invalid", "relu(x)", "abs(x)", None),
    ("invalid", "max(x, -2.9)", "x", None),
    ("invalid", "max(x, 2.9)", "x", "x > 0"),
    ("valid", "max(x, -2.9)", "x", "x > -1"),
    ("valid", "min(x, 0)", "x", "x < 0"),
    ("invalid", "abs(x)", "x", None),
    ("valid", "abs(x)", "x", "x >= 0"),
    ("valid", "abs(x y)", "abs(x) abs(y)", None),
    ("invalid", "abs(x + y)", "abs(x) + abs(y)", None),
    ("valid", "max(a, b)", "(a + b + abs(a - b))/2", None),
    ("invalid", "max(a, b)", "(a + b - abs(a - b))/2", None),
    # -- derivatives ------------------------------------------------------------------
    ("valid", "d/dx(x^2)", "2x", None),
    ("invalid", "d/dx(x^2)", "x", None),
    ("valid", "d/dx(x^3 + 2x)", "3x^2 + 2", None),
    ("invalid", "d/dx(x^3 + 2x)", "3x^2 + 2x", None),
    ("valid", "diff(x^3, x)", "3x^2", None),
    ("valid", "d/dx(exp(2x))", "2 exp(2x)", None),
    ("invalid", "d/dx(exp(2x))", "exp(2x)", None),
    ("valid", "d/dx(ln(x))", "1/x", "x > 0"),
    ("invalid", "d/dx(ln(x))", "ln(x)/x", "x > 0"),
    ("valid", "d/dxi(sigma(xi))", "sigma(xi)(1 - sigma(xi))", None),
    ("invalid", "d/dxi(sigma(xi))", "sigma(xi)(1 + sigma(xi))", None),
    ("invalid", "d/dxi(sigma(xi))", "sigma(xi)", None),
    ("valid", "d/dxi(sigma(xi))", "exp(-xi)/(1 + exp(-xi))^2", None),
    ("valid", "d/dxi(1/(1 + exp(-xi)))", "exp(-xi)/(1 + exp(-xi))^2", None),
    ("invalid", "d/dxi(1/(1 + exp(-xi)))", "-exp(-xi)/(1 + exp(-xi))^2", None),
    ("valid", "d/dxi(tanh(xi))", "1 - tanh(xi)^2", None),
    ("invalid", "d/dxi(tanh(xi))", "1 + tanh(xi)^2", None),
    ("valid", "d/dx(sigma(2x))", "2 sigma(2x)(1 - sigma(2x))", None),
    ("invalid", "d/dx(sigma(2x))", "sigma(2x)(1 - sigma(2x))", None),
    ("valid", "d/dx(ln(sigma(x)))", "1 - sigma(x)", None),
    ("invalid", "d/dx(ln(sigma(x)))", "1/sigma(x)", None),
    ("valid", "d/dx(ln(1 - sigma(x)))", "-sigma(x)", None),
    ("valid", "d/dx(ln(sigma(x)))", "d/dx(sigma(x))/sigma(x)", None),
    ("valid", "d/dx(x y)", "y", None),
    ("invalid", "d/dx(x y)", "x", None),
    ("valid", "d/dx(f c + g)", "c d/dx(f)", None),
    ("valid", "d/dx(relu(x))", "1", "x > 0"),
    ("valid", "d/dx(relu(x))", "0", "x < 0"),
    ("valid", "d/dx(d/dx(x^3))", "6x", None),
    ("invalid", "d/dx(d/dx(x^3))", "3x^2", None),
    ("valid", "d/dx(sigma(x)^2)", "2 sigma(x)^2 (1 - sigma(x))", None),
    ("valid", "d/dw(-(y ln(sigma(w x)) + (1 - y) ln(1 - sigma(w x))))", "(sigma(w x) - y) x", None),
    ("invalid", "d/dw(-(y ln(sigma(w x)) + (1 - y) ln(1 - sigma(w x))))", "(sigma(w x) - y)", None),
    ("valid", "d/dw((w x - y)^2/2)", "(w x - y) x", None),
    ("invalid", "d/dw((w x - y)^2/2)", "(w x - y)", None),
    ("valid", "d/dw(lam w^2/2)", "lam w", None),
    ("valid", "d/dw(lam abs(w))", "lam w/abs(w)", None),
    # -- softmax ----------------------------------------------------------------------
    ("valid", "exp(a)/(exp(a) + exp(b))", "sigma(a - b)", None),
    ("invalid", "exp(a)/(exp(a) + exp(b))", "sigma(b - a)", None),
    ("valid", "exp(a)/(exp(a) + exp(b)) + exp(b)/(exp(a) + exp(b))", "1", None),
    ("valid", "exp(a)/(exp(a) + exp(b))", "exp(a - c)/(exp(a - c) + exp(b - c))", None),
    ("invalid", "exp(a)/(exp(a) + exp(b))", "exp(a - c)/(exp(a) + exp(b - c))", None),
    ("valid", "exp(z1)/(exp(z1) + exp(z2) + exp(z3))", "1/(1 + exp(z2 - z1) + exp(z3 - z1))", None),
    ("invalid", "exp(z1)/(exp(z1) + exp(z2) + exp(z3))", "sigma(z1)", None),
    ("valid", "d/dz1(ln(exp(z1)/(exp(z1) + exp(z2))))", "1 - exp(z1)/(exp(z1) + exp(z2))", None),
    ("valid", "d/dz2(ln(exp(z1)/(exp(z1) + exp(z2))))", "-exp(z2)/(exp(z1) + exp(z2))", None),
    ("invalid", "d/dz2(ln(exp(z1)/(exp(z1) + exp(z2))))", "exp(z2)/(exp(z1) + exp(z2))", None),
    ("valid", "-ln(exp(s1)/(exp(s1) + exp(s2)))", "ln(1 + exp(s2 - s1))", None),
    ("invalid", "-ln(exp(s1)/(exp(s1) + exp(s2)))", "ln(1 + exp(s1 - s2))", None),
    # -- constraints and probabilities -------------------------------------------------
    ("valid", "y1 (1 - p) - y2 p", "y1 - p", "y1 + y2 = 1"),
    ("invalid", "y1 (1 - p) - y2 p", "y1 - p", None),
    ("valid", "p (1 - p)", "p - p^2", "0 < p < 1"),
    ("valid", "ln(p) + ln(1 - p)", "ln(p (1 - p))", "0 < p < 1"),
    # Without 0 < p < 1 both sides are still defined exactly for p in (0, 1): the step holds there.
    ("valid", "ln(p) + ln(1 - p)", "ln(p (1 - p))", None),
    ("invalid", "ln(p) - ln(1 - p)", "ln(p (1 - p))", "0 < p < 1"),
    ("valid", "-(y ln(p) + (1 - y) ln(1 - p))", "-ln(p)", "y = 1, 0 < p < 1"),
    ("invalid", "-(y ln(p) + (1 - y) ln(1 - p))", "-ln(p)", "0 < p < 1"),
    # -- notation -------------------------------------------------------------------
    ("valid", "σ(ξ)", "sigma(xi)", None),
    ("valid", "ŷ(1 − ŷ)", "yhat - yhat^2", None),
    ("valid", "x²", "x*x", None),
    ("valid", "2·x", "x + x", None),
    ("invalid", "2·x", "x²", None),
]

# ----------------------------------------------------------------------------
# Generated steps: identity templates applied to inner expressions.
# ----------------------------------------------------------------------------
#: (left, right that is valid for every inner, rights that are wrong for every inner)
TEMPLATES = [
    ("sigma(-(U))", "1 - sigma(U)", ["sigma(U)", "1 + sigma(U)"]),
    ("sigma(U)", "exp(U)/(1 + exp(U))", ["exp(U)/(1 + exp(-(U)))", "1/(1 - exp(-(U)))"]),
    ("tanh(U)", "2 sigma(2 (U)) - 1", ["2 sigma(U) - 1", "sigma(2 (U))"]),
    ("exp(U) exp(-(U))", "1", ["exp(U)^2", "0"]),
    ("(U)^2 - 1", "((U) - 1)((U) + 1)", ["((U) - 1)^2", "(U)^2 + 1"]),
    ("ln(exp(U))", "U", ["exp(U)", "(U)^2 + 1"]),
    ("1/(1 + exp(-(U)))", "sigma(U)", ["sigma(-(U))", "1 - sigma(U)"]),
    ("sigma(U) (1 - sigma(U))", "sigma(U) sigma(-(U))", ["sigma(U)^2", "sigma(U) - sigma(-(U))"]),
]
INNERS = ["x", "2x", "x^2", "3x - 1", "x y", "x/2 + y", "-x + 1", "x^3 - x + 2"]

#: derivative templates: the chain-rule factor d/dx(U) is never the constant 1 for these inners
D_TEMPLATES = [
    ("d/dx(sigma(U))", "sigma(U)(1 - sigma(U)) d/dx(U)", ["sigma(U)(1 - sigma(U))", "sigma(U) d/dx(U)"]),
    ("d/dx(exp(U))", "exp(U) d/dx(U)", ["exp(U)", "exp(U) + d/dx(U)"]),
    ("d/dx(tanh(U))", "(1 - tanh(U)^2) d/dx(U)", ["1 - tanh(U)^2", "(1 + tanh(U)^2) d/dx(U)"]),
    ("d/dx((U)^3)", "3 (U)^2 d/dx(U)", ["3 (U)^2", "(U)^3 d/dx(U)"]),
]
D_INNERS = ["2x", "x^2", "3x - 1", "x y", "x^2 + y", "x^3 - x"]
#: log templates need positive arguments: the inners are positive for x, y > 0
L_TEMPLATES = [
    ("ln((U) (V))", "ln(U) + ln(V)", ["ln(U) ln(V)", "ln(U) - ln(V)"]),
    ("ln((U)/(V))", "ln(U) - ln(V)", ["ln(U)/ln(V)", "ln(V) - ln(U)"]),
]
#: (U, V, domain differs without x, y > 0): ln(x^2 (y + 1)) and ln(x^2) + ln(y + 1) are both
#: undefined exactly when y < -1, so without the assumption that step still holds
L_INNERS = [("x", "y", True), ("x^2", "y + 1", False), ("2x", "3y", True), ("x + y", "x y", True)]


def _fill(t: str, u: str, v: str | None = None) -> str:
    out = t.replace("U", u)
    return out.replace("V", v) if v is not None else out


def generated() -> list[tuple]:
    out = []
    for left, good, bads in TEMPLATES:
        for u in INNERS:
            out.append(("valid", _fill(left, u), _fill(good, u), None))
            for bad in bads:
                out.append(("invalid", _fill(left, u), _fill(bad, u), None))
    for left, good, bads in D_TEMPLATES:
        for u in D_INNERS:
            out.append(("valid", _fill(left, u), _fill(good, u), None))
            for bad in bads:
                out.append(("invalid", _fill(left, u), _fill(bad, u), None))
    for left, good, bads in L_TEMPLATES:
        for u, v, differs in L_INNERS:
            out.append(("valid", _fill(left, u, v), _fill(good, u, v), "x > 0, y > 0"))
            out.append(("invalid" if differs else "valid", _fill(left, u, v), _fill(good, u, v), None))
            for bad in bads:
                out.append(("invalid", _fill(left, u, v), _fill(bad, u, v), "x > 0, y > 0"))
    return out


STEPS = HAND + generated()


def step_text(left: str, right: str, assume: str | None) -> str:
    """A two-line derivation: the left side, then '= right'."""
    head = f"assume: {assume}\n" if assume else ""
    return f"{head}{left}\n= {right}\n"


# ----------------------------------------------------------------------------
# Multi-line derivations: (name, text, expected statuses, finished) — finished None when no target.
# ----------------------------------------------------------------------------
# ECE 417's derivation of σ′ is the one ``nncheck solve derive.sigmoid-derivative`` shows: its
# steps are taken from there (one source), written as a student types them (continuations indented).
SIGMOID_SEED = ("# ECE 417: derivative of a sigmoid\nlet h = sigma(xi)\n"
                + "\n  ".join(SigmoidDerivative().solution({}, {})["derivation"]) + "\n")

#: A two-layer network in vector form (a ``shapes:`` line): δ⁽²⁾ = ∇_{ξ⁽²⁾}L is given.
VECTOR_HEAD = """\
shapes: W1: N×D, x: D, b1: N, W2: K×N, b2: K, delta2: K
given: xi1 = W1 x + b1; h = sigma(xi1); xi2 = W2 h + b2; d/dxi2(L) = delta2
"""

DERIVATIONS = [
    ("sigmoid seed", SIGMOID_SEED, "vvvvvv", None),
    ("sigmoid, sign slip", SIGMOID_SEED.replace("= exp(-xi)/(1 + exp(-xi))^2", "= -exp(-xi)/(1 + exp(-xi))^2"),
     "vxxvvv", None),
    ("sigmoid, wrong split", SIGMOID_SEED.replace("(1 - 1/(1 + exp(-xi)))", "(1 + 1/(1 + exp(-xi)))"), "vvvxxv",
     None),
    ("sigmoid, h(1+h)", SIGMOID_SEED.replace("= h(1 - h)", "= h(1 + h)"), "vvvvvx", None),
    ("sigmoid with target", "target: h(1 - h)\n" + SIGMOID_SEED, "vvvvvv", True),
    ("sigmoid, stops early", "target: h(1 - h)\n" + SIGMOID_SEED.replace("  = h(1 - h)\n", ""), "vvvvv", False),
    ("seed chain with definition line", """\
h = sigma(xi) = 1/(1 + exp(-xi))
d/dxi(h) = exp(-xi)/(1 + exp(-xi))^2
  = h(1 - h)
""", "vvv", None),
    ("seed chain, wrong derivative", """\
h = sigma(xi) = 1/(1 + exp(-xi))
d/dxi(h) = exp(xi)/(1 + exp(-xi))^2
  = h(1 - h)
""", "vxx", None),
    ("tanh seed", """\
h = tanh(xi) = (exp(xi) - exp(-xi))/(exp(xi) + exp(-xi)) = (1 - exp(-2 xi))/(1 + exp(-2 xi)) = 2 sigma(2 xi) - 1
d/dxi(tanh(xi)) = 1 - tanh(xi)^2
""", "vvvv", None),
    ("tanh seed, unscaled argument", """\
h = tanh(xi) = (exp(xi) - exp(-xi))/(exp(xi) + exp(-xi)) = (1 - exp(-2 xi))/(1 + exp(-2 xi)) = 2 sigma(xi) - 1
""", "vvx", None),
    ("two-class softmax seed", """\
exp(w1 h)/(exp(w1 h) + exp(w2 h)) = 1/(1 + exp(-(w1 - w2) h)) = sigma((w1 - w2) h)
""", "vv", None),
    ("two-class softmax, swapped", """\
exp(w1 h)/(exp(w1 h) + exp(w2 h)) = 1/(1 + exp(-(w2 - w1) h)) = sigma((w2 - w1) h)
""", "xv", None),
    ("BCE seed (typo fixed)", """\
let yhat = sigma(xi)
assume: n > 0
d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))
= -(1/n)(y d/dxi(ln(sigma(xi))) + (1 - y) d/dxi(ln(1 - sigma(xi))))
= -(1/n)(y d/dxi(sigma(xi))/sigma(xi) - (1 - y) d/dxi(sigma(xi))/(1 - sigma(xi)))
= -(1/n)(y yhat(1 - yhat)/yhat - (1 - y) yhat(1 - yhat)/(1 - yhat))
= -(1/n)(y - yhat)
""", "vvvv", None),
    ("BCE seed as printed (1 - σ̇ typo)", """\
let yhat = sigma(xi)
assume: n > 0
d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))
= -(1/n)(y d/dxi(ln(sigma(xi))) + (1 - y) d/dxi(ln(1 - sigma(xi))))
= -(1/n)(y d/dxi(sigma(xi))/sigma(xi) - (1 - y)(1 - d/dxi(sigma(xi)))/(1 - sigma(xi)))
= -(1/n)(y yhat(1 - yhat)/yhat - (1 - y) yhat(1 - yhat)/(1 - yhat))
= -(1/n)(y - yhat)
""", "vxxv", None),
    ("BCE, dropped 1/n", """\
let yhat = sigma(xi)
assume: n > 0
d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))
= -(y (1 - yhat) - (1 - y) yhat)
= -(y - yhat)
""", "xv", None),
    ("MSE gradient", """\
assume: n > 0
d/dw((1/(2n)) (w x - y)^2)
= (1/n) (w x - y) d/dw(w x - y)
= (1/n) (w x - y) x
""", "vv", None),
    ("MSE gradient, chain factor dropped", """\
assume: n > 0
d/dw((1/(2n)) (w x - y)^2)
= (1/n) (w x - y)
""", "x", None),
    ("L2 regularisation", """\
d/dw(lam (w1^2 + w^2)/2)
= lam w
""", "v", None),
    ("log rules need the domain", """\
assume: w > 0, wa > 0
ln(w/wa) = ln(w) - ln(wa)
tw = ln(w/wa)
""", "v", None),
    ("log rules without the domain", """\
ln(w/wa) = ln(w) - ln(wa)
""", "x", None),
    ("sqrt and max", """\
sqrt(x^2) = abs(x)
max(0, x) = relu(x)
relu(x) = x
""", "vvx", None),
    ("expression lines", """\
(x + 1)^2 - (x - 1)^2
x^2 + 2x + 1 - (x^2 - 2x + 1)
4x
4x + 1
""", "vvx", None),
    ("repeated left side", """\
d/dx(x^2 exp(x)) = 2x exp(x) + x^2 exp(x)
d/dx(x^2 exp(x)) = x (x + 2) exp(x)
d/dx(x^2 exp(x)) = x (x + 3) exp(x)
""", "vvx", None),
    ("CE softmax, free-form", """\
let yhat1 = exp(z1)/(exp(z1) + exp(z2) + exp(z3))
let yhat2 = exp(z2)/(exp(z1) + exp(z2) + exp(z3))
let yhat3 = exp(z3)/(exp(z1) + exp(z2) + exp(z3))
assume: y1 + y2 + y3 = 1
d/dz1(-(y1 ln(yhat1) + y2 ln(yhat2) + y3 ln(yhat3)))
= -(y1 (1 - yhat1) + y2 (0 - yhat1) + y3 (0 - yhat1))
= -(y1 - yhat1 (y1 + y2 + y3))
= yhat1 - y1
""", "vvv", None),
    ("CE softmax, forgot the coupling", """\
let yhat1 = exp(z1)/(exp(z1) + exp(z2) + exp(z3))
let yhat2 = exp(z2)/(exp(z1) + exp(z2) + exp(z3))
let yhat3 = exp(z3)/(exp(z1) + exp(z2) + exp(z3))
assume: y1 + y2 + y3 = 1
d/dz1(-(y1 ln(yhat1) + y2 ln(yhat2) + y3 ln(yhat3)))
= -(y1 (1 - yhat1))
= yhat1 - y1
""", "xx", None),
    ("softmax normalisation", """\
let p1 = exp(z1)/(exp(z1) + exp(z2) + exp(z3))
let p2 = exp(z2)/(exp(z1) + exp(z2) + exp(z3))
let p3 = exp(z3)/(exp(z1) + exp(z2) + exp(z3))
1 - p1 = p2 + p3
p1 + p2 = 1 - p3
p1 + p2 + p3 = 2
""", "vvx", None),
    ("LSTM recursion, free-form", """\
let h_t = o_t c_t
let c_t1 = f_t1 c_t + i_t1 g_t1
dLdc_t = dLdh_t d/dc_t(h_t) + dLdc_t1 d/dc_t(c_t1)
= dLdh_t d/dc_t(o_t c_t) + dLdc_t1 d/dc_t(f_t1 c_t + i_t1 g_t1)
= dLdh_t o_t + dLdc_t1 f_t1
""", "vv", None),
    ("LSTM recursion, forget gate dropped", """\
let h_t = o_t c_t
let c_t1 = f_t1 c_t + i_t1 g_t1
dLdc_t = dLdh_t d/dc_t(h_t) + dLdc_t1 d/dc_t(c_t1)
= dLdh_t o_t + dLdc_t1
""", "x", None),
    ("conv size, free-form", """\
let Wp = W1 + 2P
assume: S > 0
W2 = (Wp - F)/S + 1
= (W1 + 2P - F)/S + 1
= (W1 - F + 2P)/S + 1
""", "vv", None),
    ("conv size, padding once", """\
let Wp = W1 + 2P
assume: S > 0
W2 = (Wp - F)/S + 1
= (W1 + P - F)/S + 1
= (W1 - F + P)/S + 1
""", "xv", None),
    ("an unreadable line", """\
x^2 - 1
= (x - 1)(x + 1)
= (x - 1)(x + 1
= x^2 - 1
""", "v!v", None),
    ("dh/dxi in Leibniz notation", """\
let h = sigma(xi)
dh/dxi = h(1 - h)
""", "v", None),
    ("dσ/dξ in Leibniz notation, a wrong right side", """\
dσ/dξ = σ(ξ)(1 + σ(ξ))
""", "x", None),
    ("tanh through exponentials", """\
d/dx(tanh(x))
= d/dx((exp(x) - exp(-x))/(exp(x) + exp(-x)))
= ((exp(x) + exp(-x))^2 - (exp(x) - exp(-x))^2)/(exp(x) + exp(-x))^2
= 1 - tanh(x)^2
""", "vvv", None),
    ("tanh through exponentials, quotient rule slip", """\
d/dx(tanh(x))
= d/dx((exp(x) - exp(-x))/(exp(x) + exp(-x)))
= ((exp(x) + exp(-x))^2 + (exp(x) - exp(-x))^2)/(exp(x) + exp(-x))^2
= 1 - tanh(x)^2
""", "vxx", None),
    ("sigmoid symmetry", """\
sigma(-x) = 1/(1 + exp(x))
= exp(-x)/(exp(-x) + 1)
= 1 - 1/(1 + exp(-x))
= 1 - sigma(x)
""", "vvvv", None),
    ("logistic loss in logits", """\
-ln(sigma(z)) = -ln(1/(1 + exp(-z)))
= ln(1 + exp(-z))
= ln(exp(z) + 1) - z
""", "vvv", None),
    ("logistic loss, lost minus", """\
-ln(sigma(z)) = -ln(1/(1 + exp(-z)))
= -ln(1 + exp(-z))
= ln(exp(z) + 1) - z
""", "vxx", None),
    ("softmax shift invariance", """\
exp(a)/(exp(a) + exp(b))
= exp(a - m)/(exp(a - m) + exp(b - m))
= 1/(1 + exp(b - a))
= sigma(a - b)
""", "vvv", None),
    ("power rule chain", """\
d/dx((3x + 1)^4)
= 4 (3x + 1)^3 d/dx(3x + 1)
= 12 (3x + 1)^3
= 4 (3x + 1)^3
""", "vvx", None),
    ("product rule", """\
d/dx(x sigma(x))
= sigma(x) + x d/dx(sigma(x))
= sigma(x) + x sigma(x)(1 - sigma(x))
= sigma(x)(1 + x - x sigma(x))
""", "vvv", None),
    ("product rule slip", """\
d/dx(x sigma(x))
= x d/dx(sigma(x))
= x sigma(x)(1 - sigma(x))
""", "xv", None),
    ("relu derivative on its domain", """\
assume: x > 0
d/dx(relu(x))
= d/dx(x)
= 1
""", "vv", None),
    ("quotient of logs", """\
assume: a > 0, b > 0
ln(a^2 b^3)
= 2 ln(a) + 3 ln(b)
= ln(a^2) + ln(b^3)
= 6 ln(a b)
""", "vvx", None),
    ("exp algebra", """\
exp(2x) - 1
= (exp(x) - 1)(exp(x) + 1)
= exp(x)^2 - 1
= exp(x^2) - 1
""", "vvx", None),
    ("start and target headers", """\
start: d/dx(x^2 sigma(x))
target: x sigma(x)(2 + x - x sigma(x))
d/dx(x^2 sigma(x))
= 2x sigma(x) + x^2 sigma(x)(1 - sigma(x))
= x sigma(x)(2 + x - x sigma(x))
""", "vvv", True),
    ("target header not reached", """\
target: x sigma(x)(2 + x - x sigma(x))
d/dx(x^2 sigma(x))
= 2x sigma(x) + x^2 d/dx(sigma(x))
""", "v", False),
    ("target header, reached in another arrangement", """\
target: x sigma(x)(2 + x - x sigma(x))
d/dx(x^2 sigma(x))
= 2x sigma(x) + x^2 sigma(x)(1 - sigma(x))
""", "v", True),
    ("geometric sum", """\
(1 - r^4)/(1 - r)
= 1 + r + r^2 + r^3
= (1 + r)(1 + r^2)
""", "vv", None),
    ("geometric sum slip", """\
(1 - r^4)/(1 - r)
= 1 + r + r^2 + r^3 + r^4
= (1 + r)(1 + r^2)
""", "xx", None),
    ("chain rule through a definition", """\
let g = 3x
let y = g^2 + x
d/dx(y) = 2 g d/dx(g) + 1
= 6 g + 1
= 18 x + 1
""", "vvv", None),
    ("chain rule through a definition, partial only", """\
let g = 3x
let y = g^2 + x
d/dx(y) = 1
""", "x", None),
    ("partial derivative in a defined name", """\
let yhat = sigma(xi)
d/dyhat(-(y ln(yhat) + (1 - y) ln(1 - yhat)))
= -(y/yhat - (1 - y)/(1 - yhat))
= (yhat - y)/(yhat (1 - yhat))
""", "vv", None),
    ("partial derivative in a defined name, slip", """\
let yhat = sigma(xi)
d/dyhat(-(y ln(yhat) + (1 - y) ln(1 - yhat)))
= -(y/yhat + (1 - y)/(1 - yhat))
""", "x", None),
    # -- vector form (shapes declared): the ECE 417 exam review's ∇_{W⁽¹⁾}L = (σ̇(ξ⁽¹⁾) ⊙ W⁽²⁾ᵀ δ⁽²⁾) xᵀ ------
    ("vector form: the weight gradient", VECTOR_HEAD + """\
d/dW1(L) = d/dxi1(L) x'
= (d/dh(L) ⊙ dsigma(xi1)) x'
= (W2' d/dxi2(L) ⊙ dsigma(xi1)) x'
= (W2' delta2 ⊙ dsigma(xi1)) x'
= (dsigma(xi1) ⊙ W2' delta2) x'
""", "vvvvv", None),
    ("vector form: transposed outer product", VECTOR_HEAD + """\
d/dW1(L) = x d/dxi1(L)'
""", "x", None),
    ("vector form: W2 not transposed (does not conform)", VECTOR_HEAD + """\
d/dxi1(L) = W2 delta2 ⊙ dsigma(xi1)
""", "!", None),
    ("vector form: σ̇ forgotten, then δ⁽²⁾ written as the given gradient", VECTOR_HEAD + """\
d/dxi1(L) = W2' delta2
= W2' d/dxi2(L)
""", "xv", None),
    ("vector form: the second layer and the bias", VECTOR_HEAD + """\
d/dW2(L) = d/dxi2(L) h'
= delta2 sigma(W1 x + b1)'
d/db1(L) = d/dxi1(L)
= dsigma(xi1) ⊙ W2' delta2
""", "vvvv", None),
    ("vector form: a sum of sizes that differ", """\
shapes: u: N, v: D
(0 u + 1)'(0 u + 1) = (0 v + 1)'(0 v + 1)
""", "x", None),
]

# ----------------------------------------------------------------------------
# Bank problems: the seed derivation (the solver's solution) passes; broken ones fail.
# (family id, part, derivation text, expected statuses with the start check first, finished)
# ----------------------------------------------------------------------------
PROBLEM_BROKEN = [
    ("derive.sigmoid-derivative", "derivation", """\
d/dxi(sigma(xi)) = d/dxi(1/(1 + exp(-xi)))
= exp(-xi)/(1 + exp(-xi))^2
= sigma(xi)(1 - sigma(xi))
""", "vvvv", False),
    ("derive.sigmoid-derivative", "derivation", """\
d/dxi(sigma(xi)) = d/dxi(1/(1 + exp(-xi)))
= exp(-xi)/(1 + exp(-xi))
= h(1 - h)
""", "vvxx", True),
    ("derive.sigmoid-derivative", "derivation", """\
sigma(xi) = 1/(1 + exp(-xi))
= h(1 - h)
""", "xvx", True),
    ("derive.tanh-sigmoid", "derivation", """\
tanh(xi) = (exp(xi) - exp(-xi))/(exp(xi) + exp(-xi))
= (1 - exp(-2 xi))/(1 + exp(-2 xi))
= 2 sigma(xi) - 1
""", "vvvx", False),
    ("derive.tanh-derivative", "derivation", """\
d/dxi(tanh(xi)) = d/dxi(2 sigma(2 xi) - 1)
= 2 sigma(2 xi)(1 - sigma(2 xi))
= (1 + tanh(xi))(1 - tanh(xi))/2
""", "vvxv", False),
    ("derive.tanh-derivative", "derivation", """\
d/dxi(tanh(xi)) = 1 - tanh(xi)
""", "vx", False),
    ("derive.bce-gradient", "derivation", """\
d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))
= -(1/n)(y (1 - yhat) - (1 - y) yhat)
= (1/n)(y - yhat)
""", "vvx", False),
    ("derive.bce-gradient", "derivation", """\
d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))
= -(1/n)(y/yhat - (1 - y)/(1 - yhat))
= -(1/n)(y - yhat)
""", "vxx", True),
    ("derive.ce-softmax-gradient", "derivation", """\
d/dz1(-(y1 ln(yhat1) + y2 ln(yhat2) + y3 ln(yhat3)))
= -(y1 (1 - yhat1) + y2 (0 - yhat1) + y3 (0 - yhat1))
= y1 - yhat1
""", "vvx", False),
    ("derive.ce-softmax-gradient", "derivation", """\
d/dz1(-(y1 ln(yhat1) + y2 ln(yhat2) + y3 ln(yhat3)))
= -y1/yhat1
""", "vx", False),
    ("derive.softmax-two-class", "derivation", """\
exp(w1 h)/(exp(w1 h) + exp(w2 h)) = 1/(1 + exp((w1 - w2) h))
= sigma((w1 - w2) h)
""", "vxx", True),
    ("derive.softmax-two-class", "derivation", """\
exp(w1 h)/(exp(w1 h) + exp(w2 h)) = 1/(1 + exp(-(w1 - w2) h))
""", "vv", False),
    ("derive.conv-output-size", "derivation", """\
(last - first)/S + 1 = (Wp - F)/S + 1
= (W1 + P - F)/S + 1
""", "vvx", False),
    ("derive.conv-output-size", "derivation", """\
(last - first)/S + 1 = (Wp - F)/S
= (W1 - F + 2P)/S
""", "vxv", False),
    ("derive.lstm-dldc", "derivation", """\
dLdc_t = dLdh_t d/dc_t(h_t) + dLdc_t1 d/dc_t(c_t1)
= dLdh_t o_t + dLdc_t1
""", "vx", False),
    ("derive.lstm-dldc", "derivation", """\
dLdc_t = dLdh_t d/dc_t(h_t)
= dLdh_t o_t
""", "xv", False),
]
