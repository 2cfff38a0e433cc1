"""``rnn.scalar-iir``: the ECE 417 scalar RNN as a nonlinear IIR filter, and its BPTT.

The ECE 417 exam review, "Recurrent Neural Net (RNN) = Nonlinear(IIR)"::

    h[n] = σ(x[n] + Σ_{m=1}^{M−1} w[m] h[n−m]),   h[n] = 0 for n < 0,   n = 0, …, T−1
    L    = ½ Σ_n (h[n] − y[n])²

Back-propagation through time, as the ECE 417 exam review writes it::

    dL/dh[n] = ∂L/∂h[n] + Σ_{m≥1} dL/dh[n+m] ∂h[n+m]/∂h[n],   ∂h[n+m]/∂h[n] = h[n+m](1 − h[n+m]) w[m]
    dL/dw[m] = Σ_n dL/dh[n] h[n](1 − h[n]) h[n−m]

dL/dh[n] is the *total* derivative: L's change when h[n] alone is nudged and every later
step sees the nudged value.  The SymPy path makes that literal (h[n] = σ(…) + δ_n,
differentiate L with respect to δ_n at δ = 0); the NumPy path is the recursion above.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.lang.numeric import sigmoid
from nncheck.topics.base import A, ParamError, R, Solver, num, paren

# Entries used when a drawn vector must grow to the length the user chose; they match
# the draw specs of problems/iir.yaml.
X_CHOICES = (-2, -1, 0, 1, 2)
Y_CHOICES = (0, Fraction(1, 2), 1)
W_CHOICES = (-1, Fraction(-1, 2), Fraction(1, 2), 1, 2)
DIGITS = 50  # precision of the SymPy path


def _resize(vec, n: int, rng, choices) -> list:
    return list(vec[:n]) + [rng.choice(choices) for _ in range(n - len(vec))]


def _forward(x, w) -> tuple[list[float], list[float]]:
    """ξ[n] and h[n] in plain floats (for the prompt and the worked steps)."""
    xi: list[float] = []
    h: list[float] = []
    for n in range(len(x)):
        z = float(x[n]) + sum(float(w[m - 1]) * h[n - m] for m in range(1, len(w) + 1) if n - m >= 0)
        xi.append(z)
        h.append(sigmoid(z))
    return xi, h


def _names(pattern: str, indices) -> str:
    """'[h[0], h[1], h[2]]', shortened with … beyond four entries."""
    names = [pattern.format(i) for i in indices]
    return "[" + (", ".join(names) if len(names) <= 4 else f"{names[0]}, …, {names[-1]}") + "]"


class ScalarIIR(Solver):
    """``rnn.scalar-iir``: L, dL/dh[n] (BPTT) and dL/dw[m] of the scalar IIR RNN."""

    def check(self, p: dict) -> None:
        x, y, w = p["x"], p["y"], p["w"]
        if not x:
            raise ParamError("x is empty: the sequence needs at least x[0]")
        if len(x) != len(y):
            raise ParamError(f"x has {len(x)} entries but y has {len(y)}: there must be one target y[n] per input x[n]")
        if not w:
            raise ParamError("w is empty: give at least w[1]")

    def draw(self, p: dict, rng, fixed) -> dict:
        """Exam instances: T = 2 or 3 steps and one or two feedback weights."""
        p = dict(p)
        if "x" in fixed:
            T = len(p["x"])
        elif "y" in fixed:
            T = len(p["y"])
        else:
            T = rng.choice((2, 3, 3))
        if "x" not in fixed:
            p["x"] = _resize(p["x"], T, rng, X_CHOICES)
        if "y" not in fixed:
            p["y"] = _resize(p["y"], T, rng, Y_CHOICES)
        if "w" not in fixed:
            # A weight w[m] with m ≥ T never meets a nonzero h[n−m]; keep M − 1 ≤ T − 1.
            taps = rng.choice((1, 2)) if T >= 3 else 1
            p["w"] = _resize(p["w"], taps, rng, W_CHOICES)
        return p

    def derive(self, p: dict) -> dict:
        _, h = _forward(p["x"], p["w"])
        T, M1 = len(p["x"]), len(p["w"])
        return {"h_fwd": h, "last": T - 1, "taps": M1,
                "h_names": _names("h[{}]", range(T)),
                "dh_names": _names("dL/dh[{}]", range(T)),
                "dw_names": _names("dL/dw[{}]", range(1, M1 + 1)),
                "w_given": f"w[1] = {num(p['w'][0])}" if M1 == 1 else f"{_names('w[{}]', range(1, M1 + 1))} = "
                                                                       f"[{', '.join(num(v) for v in p['w'])}]"}

    # -- SymPy: differentiate the unrolled forward graph ----------------------
    def exact(self, p: dict) -> dict:
        """L unrolled over every step, differentiated by SymPy in one variable at a time.

        The data are 50-digit SymPy Floats: the closed forms nest T sigmoids and grow with
        every path through the recursion, while Floats collapse whatever does not depend on
        the variable being differentiated.  The variable is w[m] itself, or a nudge δ added
        to h[n] (so that later steps see it: the total derivative of BPTT).
        """
        import sympy

        def flt(v):
            return sympy.Float(R(v), DIGITS)

        x, y, wv = [flt(v) for v in p["x"]], [flt(v) for v in p["y"]], [flt(v) for v in p["w"]]
        T, M1 = len(x), len(wv)
        t = sympy.Symbol("t")

        def loss(w_sym: int | None = None, nudge: int | None = None):
            w = [t if m == w_sym else wv[m - 1] for m in range(1, M1 + 1)]
            h: list = []  # SymPy expressions (untyped)
            for n in range(T):
                xi = x[n] + sympy.Add(*[w[m - 1] * h[n - m] for m in range(1, M1 + 1) if n - m >= 0])
                h.append(1 / (1 + sympy.exp(-xi)) + (t if n == nudge else 0))
            return sympy.Rational(1, 2) * sympy.Add(*[(h[n] - y[n]) ** 2 for n in range(T)])

        return {
            "L": loss(),
            "dL_dh": sympy.Matrix([sympy.diff(loss(nudge=n), t).subs(t, 0) for n in range(T)]),
            "dL_dw": sympy.Matrix([sympy.diff(loss(w_sym=m), t).subs(t, wv[m - 1]) for m in range(1, M1 + 1)]),
        }

    # -- NumPy: the forward recursion and BPTT, as a student writes them ------
    @staticmethod
    def _np_forward(p: dict):
        import numpy as np

        x, w = A(p["x"]), A(p["w"])
        T, M1 = len(x), len(w)
        h = np.zeros(T)
        for n in range(T):
            xi = x[n] + sum(w[m - 1] * h[n - m] for m in range(1, M1 + 1) if n - m >= 0)
            h[n] = 1.0 / (1.0 + np.exp(-xi))
        return h

    @staticmethod
    def _bptt(h, y, w, *, sigma_prime=True, taps=None, sp_at_target=True):
        """dL/dh by the ECE 417 exam review's recursion; the keywords switch on the declared mistakes."""
        import numpy as np

        T = len(h)
        sp = h * (1.0 - h) if sigma_prime else np.ones(T)
        dh = np.zeros(T)
        for n in reversed(range(T)):
            dh[n] = h[n] - y[n]
            for m in range(1, (len(w) if taps is None else taps) + 1):
                if n + m < T:
                    dh[n] += dh[n + m] * (sp[n + m] if sp_at_target else sp[n]) * w[m - 1]
        return dh

    @staticmethod
    def _dw(h, dh, M1, *, sigma_prime=True, delay=True):
        """dL/dw[m] = Σ_n dL/dh[n]·σ′(ξ[n])·h[n−m]; the keywords switch on the declared mistakes."""
        import numpy as np

        T = len(h)
        sp = h * (1.0 - h) if sigma_prime else np.ones(T)
        if not delay:  # the mistake: h[n] where h[n−m] belongs
            return np.array([sum(dh[n] * sp[n] * h[n] for n in range(T)) for _ in range(M1)], dtype=float)
        return np.array([sum(dh[n] * sp[n] * h[n - m] for n in range(m, T)) for m in range(1, M1 + 1)], dtype=float)

    def numeric(self, p: dict) -> dict:
        y, w = A(p["y"]), A(p["w"])
        h = self._np_forward(p)
        dh = self._bptt(h, y, w)
        return {"L": 0.5 * float(((h - y) ** 2).sum()), "dL_dh": dh, "dL_dw": self._dw(h, dh, len(w))}

    def solution(self, p: dict, key: dict) -> dict:
        x, y, w = p["x"], p["y"], p["w"]
        T, M1 = len(x), len(w)
        xi, h = _forward(x, w)
        sp = [v * (1 - v) for v in h]
        dh = [float(v) for v in key["dL_dh"]]
        fwd = []
        for n in range(T):
            feedback = [(m, n - m) for m in range(1, M1 + 1) if n - m >= 0]
            sym = " + ".join([f"x[{n}]"] + [f"w[{m}]h[{k}]" for m, k in feedback])
            vals = " + ".join([num(x[n])] + [f"{paren(w[m - 1])}·{num(h[k])}" for m, k in feedback])
            inner = f"σ({vals})" + (f" = σ({num(xi[n])})" if feedback else "")
            fwd.append(f"h[{n}] = σ({sym}) = {inner} = {num(h[n])}")
        loss = [*fwd, "L = ½ Σ_n (h[n] − y[n])² = ½[" + " + ".join(f"({num(h[n])} − {num(y[n])})²" for n in range(T))
                + f"] = {num(key['L'])}"]
        bptt = ["BPTT runs backwards from n = T − 1: dL/dh[n] = (h[n] − y[n]) + Σ_m dL/dh[n+m]·h[n+m](1 − h[n+m])·w[m],"
                " where ∂h[n+m]/∂h[n] = σ′(ξ[n+m])·w[m] and σ′(ξ) = h(1 − h)."]
        for n in reversed(range(T)):
            future = [m for m in range(1, M1 + 1) if n + m < T]
            head = f"dL/dh[{n}] = (h[{n}] − y[{n}])"
            vals = f"({num(h[n])} − {num(y[n])})"
            for m in future:
                head += f" + dL/dh[{n + m}]·h[{n + m}](1 − h[{n + m}])·w[{m}]"
                vals += f" + {paren(dh[n + m])}·{num(sp[n + m])}·{paren(w[m - 1])}"
            bptt.append(f"{head} = {vals} = {num(dh[n])}" if future else
                        f"{head} = {vals} = {num(dh[n])} (no later step depends on h[{n}])")
        dw = ["dL/dw[m] = Σ_n dL/dh[n]·h[n](1 − h[n])·h[n−m], over the steps with n − m ≥ 0 (h[n−m] = 0 before)."]
        for m in range(1, M1 + 1):
            ns = [n for n in range(m, T)]
            terms = " + ".join(f"{paren(dh[n])}·{num(sp[n])}·{num(h[n - m])}" for n in ns) or "0"
            dw.append(f"dL/dw[{m}] = {terms} = {num(key['dL_dw'][m - 1])}")
        return {"L": loss, "dL_dh": bptt, "dL_dw": dw}

    def mistakes(self, p: dict) -> dict:
        y, w = A(p["y"]), A(p["w"])
        M1 = len(w)
        h = self._np_forward(p)
        dh = self._bptt(h, y, w)
        direct = h - y
        out = {
            "future-path-forgotten": {"dL_dh": direct, "dL_dw": self._dw(h, direct, M1)},
            "sigma-prime-forgotten": {"dL_dh": (no_sp := self._bptt(h, y, w, sigma_prime=False)),
                                      "dL_dw": self._dw(h, no_sp, M1, sigma_prime=False)},
            "sigma-prime-wrong-step": {"dL_dh": (early := self._bptt(h, y, w, sp_at_target=False)),
                                       "dL_dw": self._dw(h, early, M1)},
            "delay-forgotten": {"dL_dw": self._dw(h, dh, M1, delay=False)},
            # The right dL/dh[n], but dL/dw[m] without the σ′ of the step that w[m] sits in.
            "dw-sigma-prime-forgotten": {"dL_dw": self._dw(h, dh, M1, sigma_prime=False)},
            "half-forgotten": {"L": float(((h - y) ** 2).sum())},
        }
        if M1 >= 2:
            one = self._bptt(h, y, w, taps=1)
            out["only-next-step"] = {"dL_dh": one, "dL_dw": self._dw(h, one, M1)}
        return out
