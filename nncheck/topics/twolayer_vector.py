"""The vector-form parts of ``backprop.two-layer`` (``ask=vector``): gradients as matrix expressions.

The ECE 417 final-exam review writes back-propagation in vector form,

    ∇_{W⁽²⁾}L = Σᵢ ∇_{ξᵢ⁽²⁾}L hᵢᵀ,   ∇_{ξ⁽¹⁾}L = σ̇(ξ⁽¹⁾) ⊙ W⁽²⁾ᵀ ∇_{ξ⁽²⁾}L,   ∇_{W⁽¹⁾}L = Σᵢ ∇_{ξᵢ⁽¹⁾}L xᵢᵀ,

and these parts ask for it (kind ``matexpr``, ``nncheck.kinds.matrix_expression``) in the network's
named vectors: ``delta2`` = ∇_{ξ⁽²⁾}L (K), ``h`` (N), ``x`` (D), ``xi1`` = ξ⁽¹⁾ (N) and ``W2`` (K×N),
with ``h = g(xi1)`` declared, so that ``h ⊙ (1 - h)`` is σ̇(ξ⁽¹⁾) for a sigmoid layer.

For **one example** (n = 1): the answer language reads no Σ over examples, and with one example
the sums are single terms and the 1/n is inside δ⁽²⁾, so the vector slice asks a one-example
network (the prompt says so).  As δ⁽²⁾ is given, the answers do not depend on the output or the
loss: only on the hidden activation (σ̇, tanh′ or ReLU′).

Two computations, as for every key:

* :func:`exact`: the key text, confirmed by SymPy: the forward pass with matrices of symbols at
  two sets of distinct sizes, L differentiated entry by entry, equal to the key text evaluated at
  the same matrices (refused otherwise);
* :func:`numeric`: the hand-written backward pass in NumPy, a callable ``f(env)`` per part.
"""

from __future__ import annotations

from functools import lru_cache

VECTOR_PARTS = ("dW2_vec", "dxi1_vec", "dW1_vec", "db1_vec")
#: g′(ξ⁽¹⁾) in the answer language, and g itself (for the definition h = g(xi1)).
DERIVATIVE = {"sigmoid": "dsigma(xi1)", "tanh": "tanh'(xi1)", "relu": "relu'(xi1)"}
FUNCTION = {"sigmoid": "sigma", "tanh": "tanh", "relu": "relu"}
DERIVATIVE_TEXT = {"sigmoid": "σ̇(ξ⁽¹⁾) as dsigma(xi1) (or h ⊙ (1 - h))",
                   "tanh": "tanh′(ξ⁽¹⁾) as tanh'(xi1) (or 1 - h ⊙ h)",
                   "relu": "ReLU′(ξ⁽¹⁾) = u(ξ⁽¹⁾) as relu'(xi1)"}
#: Random instances with one example ask the vector slice this often (about one in five of all draws).
SHARE = 0.3
#: Sizes (K, N, D) at which SymPy confirms the keys: distinct, so that no transposition hides.
CONFIRM_SIZES = ((2, 3, 4), (3, 2, 1))


def keys(hidden: str) -> dict[str, str]:
    """The key of every vector part, as answer-language text."""
    dxi1 = f"{DERIVATIVE[hidden]} ⊙ W2' delta2"
    return {"dW2_vec": "delta2 h'", "dxi1_vec": dxi1, "dW1_vec": f"({dxi1}) x'", "db1_vec": dxi1}


# ----------------------------------------------------------------------------
# Generate: the slice, its prompt text, its parameters.
# ----------------------------------------------------------------------------
def template_values(p: dict, n: int, D: int, N: int, K: int) -> dict:
    """``hidden_fn`` (for the parts' definition h = g(xi1)), ``ask_vector`` and ``answers_text``."""
    vector = p["ask"] == "vector"
    if vector:
        text = (f"Answer in vector form for this one example (n = 1: no Σᵢ, and the 1/n is inside δ⁽²⁾), in the "
                f"named vectors of the ECE 417 final-exam review: vectors are columns; W2 = W⁽²⁾ is K×N = {K}×{N}, "
                f"delta2 = ∇ξ⁽²⁾L has K = {K} entr{'y' if K == 1 else 'ies'}, h and xi1 = ξ⁽¹⁾ have N = {N}, "
                f"x has D = {D}; "
                f"∇W⁽²⁾L = Σᵢ ∇ξᵢ⁽²⁾L hᵢᵀ and ∇ξ⁽¹⁾L = σ̇(ξ⁽¹⁾) ⊙ W⁽²⁾ᵀ∇ξ⁽²⁾L. Write a transpose as W2' (or W2ᵀ), "
                f"⊙ as ⊙, .* or odot, a matrix product by juxtaposition, {DERIVATIVE_TEXT[p['hidden']]}.")
    else:
        text = ("Answers with one row per example: write [a, b] for one row, [[a, b], [c, d]] for two; "
                "a single number as [a].")
    return {"hidden_fn": FUNCTION[p["hidden"]], "ask_vector": int(vector), "answers_text": text}


def check(p: dict, n: int) -> str | None:
    """Why these numbers cannot be asked in vector form, or None."""
    if p["ask"] != "vector":
        return None
    if n != 1:
        return (f"ask=vector asks the vector form for one example (the answers have no Σ over examples), "
                f"but x has {n} examples: give one example, or ask=all")
    if p.get("lambda", 0):
        return "ask=vector asks the gradients of L without weight decay: use lambda=0, or ask=all"
    return None


def draw(p: dict, rng, fixed) -> dict:
    """Turn a share of the random one-example instances into the vector slice.

    The choice is made from a copy of the generator's state, so the main stream is untouched: every
    seed that is not turned into the vector slice draws exactly what it drew before this slice existed.
    """
    import random

    if "ask" in fixed or p["ask"] == "all" or len(p["x"]) != 1:
        return p
    if random.Random(f"vector#{rng.getstate()[1]}").random() < SHARE:
        p = dict(p, ask="vector")
        if "lambda" in p and "lambda" not in fixed:
            p["lambda"] = 0  # the vector slice asks ∇L itself
    return p


# ----------------------------------------------------------------------------
# Key: SymPy's derivative of the forward pass, and NumPy's backward pass.
# ----------------------------------------------------------------------------
def _matrix(prefix: str, rows: int, cols: int):
    import sympy

    return sympy.Matrix(rows, cols, lambda r, c: sympy.Symbol(f"{prefix}_{r}_{c}", real=True))


def _differs(a, b, points: list[dict]) -> bool:
    """Do two entries differ at any of ``points`` (exact rationals for every symbol), to 40 digits?

    ReLU′ is u(ξ) on both sides away from ξ = 0, where random points never fall."""
    import sympy

    from nncheck.lang.sympy_backend import sigma

    def at(e, pt):
        return e.xreplace(pt).replace(sigma, lambda u: 1 / (1 + sympy.exp(-u)))

    for pt in points:
        x, y = at(a, pt), at(b, pt)
        gap, size = abs(sympy.N(x - y, 40)), abs(sympy.N(x, 40))
        if not gap <= sympy.Float("1e-30") * max(1, size):
            return True
    return False


def _points(symbols, rng, n: int = 2) -> list[dict]:
    import sympy

    return [{s: sympy.Rational(rng.randint(-20, 20), rng.randint(1, 9)) for s in symbols} for _ in range(n)]


def _loss(hidden: str, xi1, W2, b2, delta):
    """(L, h) through ξ⁽²⁾ = b⁽²⁾ + W⁽²⁾g(ξ⁽¹⁾).  A gradient depends on L only through ∇ξ⁽²⁾L (the chain
    rule), so L = δᵀξ⁽²⁾, with δ held at the given ∇ξ⁽²⁾L, has the gradients of every loss that has it."""
    from nncheck.topics.activations import g_sym

    h = xi1.applyfunc(lambda v: g_sym(hidden, v))
    return (delta.T * (b2 + W2 * h))[0, 0], h


@lru_cache(maxsize=8)
def confirmed_keys(hidden: str) -> dict[str, str]:
    """:func:`keys`, each confirmed against SymPy's derivative of the forward pass (else AnswerKeyError)."""
    import random

    import sympy

    from nncheck.errors import AnswerKeyError
    from nncheck.lang.matrices import explicit
    from nncheck.lang.syntax import parse

    texts = keys(hidden)
    rng = random.Random(f"two-layer vector form {hidden}")
    for K, N, D in CONFIRM_SIZES:
        W1, b1, x = _matrix("w1", N, D), _matrix("b1", N, 1), _matrix("x", D, 1)
        W2, b2, delta = _matrix("w2", K, N), _matrix("b2", K, 1), _matrix("d", K, 1)
        a = _matrix("a", N, 1)  # ξ⁽¹⁾ as symbols of its own, for ∇ξ⁽¹⁾L
        L, h = _loss(hidden, W1 * x + b1, W2, b2, delta)
        La, ha = _loss(hidden, a, W2, b2, delta)
        derived = {"dW2_vec": sympy.Matrix(K, N, [sympy.diff(L, w) for w in W2]),
                   "dW1_vec": sympy.Matrix(N, D, [sympy.diff(L, w) for w in W1]),
                   "db1_vec": sympy.Matrix(N, 1, [sympy.diff(L, b) for b in b1])}
        at_a = sympy.Matrix(N, 1, [sympy.diff(La, v) for v in a])
        M = sympy.ImmutableMatrix
        env = {"W2": M(W2), "delta2": M(delta), "x": M(x), "xi1": M(W1 * x + b1), "h": M(h)}
        env_a = dict(env, xi1=M(a), h=M(ha))
        checks = [(name, derived[name], env) for name in ("dW2_vec", "dW1_vec", "db1_vec")]
        checks.append(("dxi1_vec", at_a, env_a))
        points = _points([*W1, *b1, *x, *W2, *b2, *delta, *a], rng)
        for name, grad, where in checks:
            closed = explicit(parse(texts[name], symbols=None, matrix=True), where, texts[name])
            if closed.shape != grad.shape or any(_differs(u, v, points) for u, v in zip(grad, closed)):
                raise AnswerKeyError(f"backprop.two-layer part {name}: the vector form {texts[name]!r} does not "
                                     f"follow from the forward pass (K, N, D = {K}, {N}, {D})")
    return texts


def exact(p: dict) -> dict:
    return dict(confirmed_keys(p["hidden"]))


def numeric(p: dict) -> dict:
    """The backward pass as NumPy writes it, one callable per part (vectors arrive 1-D)."""
    return dict(_numeric_parts(p["hidden"]))


@lru_cache(maxsize=8)
def _numeric_parts(hidden: str) -> dict:
    # The same function objects for every instance of one activation: the kind's comparison of the
    # two key computations, which depends only on them, the part's shapes and the key text, is then
    # done once per activation instead of once per key (matrix_expression.agree_matrix's memo).
    import numpy as np

    from nncheck.topics.activations import dg_np

    def dxi1(env):
        return dg_np(hidden, env["xi1"], 0.0, env["h"]) * (env["W2"].T @ env["delta2"])

    return {"dW2_vec": lambda env: np.outer(env["delta2"], env["h"]),
            "dxi1_vec": dxi1, "dW1_vec": lambda env: np.outer(dxi1(env), env["x"]), "db1_vec": dxi1}


# ----------------------------------------------------------------------------
# Mistakes and the worked solution.
# ----------------------------------------------------------------------------
def mistakes(p: dict) -> dict:
    """{mistake id: {part: text}}: the slips of the vector form that give an answer of the right shape.

    A transposed answer (x(…)ᵀ) is the kind's own ``transposed``; a transposed product (W2 delta2) or ⊙
    written as a product ((W2' delta2) dsigma(xi1)) does not conform, and the shape check names it
    (``transposed-product``, ``product-for-hadamard``) before anything is computed.
    """
    hidden = p["hidden"]

    def hidden_side(derivative: str | None) -> dict:
        back = "W2' delta2" if derivative is None else f"{derivative} ⊙ W2' delta2"
        return {"dxi1_vec": back, "dW1_vec": f"({back}) x'", "db1_vec": back}

    # For ReLU a forgotten derivative is relu-derivative-one, whose message says more (as in the numeric parts).
    out: dict = {"relu-derivative-one" if hidden == "relu" else "forgot-sigma-dot": hidden_side(None),
                 "xi-for-h": {"dW2_vec": "delta2 xi1'"}}
    if hidden == "sigmoid":
        out["sigma-dot-from-xi"] = hidden_side("xi1 ⊙ (1 - xi1)")
    elif hidden == "tanh":
        out["sigma-dot-from-xi"] = hidden_side("(1 - xi1 ⊙ xi1)")
    return out


def solution(p: dict) -> dict:
    """Steps of each vector part, in the notes' notation."""
    hidden = p["hidden"]
    g = {"sigmoid": "σ̇(ξ⁽¹⁾) = h ⊙ (1 − h)", "tanh": "tanh′(ξ⁽¹⁾) = 1 − h ⊙ h",
         "relu": "ReLU′(ξ⁽¹⁾) = u(ξ⁽¹⁾)"}[hidden]
    k = keys(hidden)
    return {
        "dW2_vec": ["ξ⁽²⁾ = b⁽²⁾ + W⁽²⁾h: ∂L/∂W⁽²⁾ₖⱼ = (∂L/∂ξ⁽²⁾ₖ) hⱼ, an outer product (K×N)",
                    "∇W⁽²⁾L = ∇ξ⁽²⁾L hᵀ (ECE 417: Σᵢ ∇ξᵢ⁽²⁾L hᵢᵀ, one example here)", f"= {k['dW2_vec']}"],
        "dxi1_vec": ["back through ξ⁽²⁾ = b⁽²⁾ + W⁽²⁾h: ∇h L = W⁽²⁾ᵀ∇ξ⁽²⁾L (N)",
                     f"back through h = g(ξ⁽¹⁾), entry by entry: ∇ξ⁽¹⁾L = g′(ξ⁽¹⁾) ⊙ ∇h L, with {g}",
                     f"= {k['dxi1_vec']}"],
        "dW1_vec": ["ξ⁽¹⁾ = b⁽¹⁾ + W⁽¹⁾x: ∇W⁽¹⁾L = ∇ξ⁽¹⁾L xᵀ (N×D)", f"∇ξ⁽¹⁾L = {k['dxi1_vec']}",
                    f"∇W⁽¹⁾L = {k['dW1_vec']}"],
        "db1_vec": ["∂ξ⁽¹⁾/∂b⁽¹⁾ is the identity: ∇b⁽¹⁾L = ∇ξ⁽¹⁾L", f"= {k['db1_vec']}"],
    }
