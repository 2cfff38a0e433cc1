"""Gradients through small graphs: gates (CS231n §4.2), flow graphs (ECE 417), the XOR network (16-785).

* ``backprop.graph``: an upstream gradient ∂L/∂f pushed back through add, mul and max gates
  ("add distributes, max routes, mul switches"), or through σ in the 16-785 logistic graph.
* ``backprop.total-derivative``: a chain of hidden nodes hᵢ, each fed by x and by hᵢ₋₁, all
  feeding ŷ; dŷ/dx = Σᵢ (dŷ/dhᵢ)(∂hᵢ/∂x), total derivative times partial (ECE 417 "Flow Graphs").
* ``backprop.xor-network``: f(x) = wᵀ max{0, Wᵀx + c} + b on the four XOR inputs (16-785).

SymPy differentiates each graph's forward expression (max as a piecewise that picks its first
input on a tie); NumPy applies the local gate rules one node at a time.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.topics.activations import sig4, sigma_py, slope_py, tidy, value_py
from nncheck.topics.base import RM, ParamError, R, Solver, num, signed_sum

GRAPHS = ("add-max", "mul-max", "logistic")
GRAPH_TEXT = {
    "add-max": "q = x + y,   m = max(z, w),   f = q·m",
    "mul-max": "q = x·y,   m = max(q, z),   f = m + w",
    "logistic": "s = w·x + b,   f = σ(s)   (16-785 Fig. 6.8b: logistic regression, ŷ = σ(wx + b))",
}
INPUTS = {"add-max": ("x", "y", "z", "w"), "mul-max": ("x", "y", "z", "w"), "logistic": ("w", "x", "b")}
ALL_INPUTS = ("x", "y", "z", "w", "b")


def pn(x) -> str:
    """A factor in a product: negative numbers in brackets, 2·(−3)."""
    return f"({num(x)})" if x < 0 else num(x)


def max_sym(a, b):
    """max(a, b) that routes to its first input on a tie (as CS231n's `x >= y` gate does)."""
    import sympy

    return sympy.Piecewise((a, a >= b), (b, True))


def _first_wins(a, b) -> bool:
    return a >= b


# ----------------------------------------------------------------------------
# backprop.graph
# ----------------------------------------------------------------------------
class Graph(Solver):
    """``backprop.graph``: forward value and every gradient of a three-gate graph."""

    template_vars = ("graph_text", "inputs_text", "has_q", "is_logistic", "given")

    def unused(self, p: dict) -> set[str]:
        """The inputs this graph does not have (y and z of the logistic graph, b of the gate graphs): the
        bank draws all five, and `show` lists only the ones the graph reads."""
        return set(ALL_INPUTS) - set(INPUTS.get(p.get("graph", ""), ALL_INPUTS))

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        g = p["graph"]
        unused = sorted((fixed & set(ALL_INPUTS)) - set(INPUTS[g]))
        if unused:
            raise ParamError(f"graph={g} has no input {', '.join(unused)} (its inputs: {', '.join(INPUTS[g])})")
        for _ in range(100):
            for k in INPUTS[g]:
                if k not in fixed:
                    p[k] = rng.choice([-3, -2, -1, 1, 2, 3, 4] if g != "logistic" else [-2, -1, 0, 1, 2])
            if "upstream" not in fixed:
                p["upstream"] = rng.choice([1, 1, 2, -1, 3, -2])
            # Hand-computable and unambiguous: no tie at a max gate, a short σ table.
            if g == "add-max" and p["z"] == p["w"] and not {"z", "w"} <= fixed:
                continue
            if g == "mul-max" and p["x"] * p["y"] == p["z"] and not {"x", "y", "z"} <= fixed:
                continue
            if g == "logistic" and abs(p["w"] * p["x"] + p["b"]) > 3 and not {"w", "x", "b"} <= fixed:
                continue
            break
        return p

    def derive(self, p: dict) -> dict:
        g = p["graph"]
        given = ""
        if g == "logistic":
            s = p["w"] * p["x"] + p["b"]
            given = f"You may use σ({num(s)}) {'=' if s == 0 else '≈'} {sig4(value_py('sigmoid', s))}."
        return {
            "graph_text": GRAPH_TEXT[g],
            "inputs_text": ", ".join(f"{k} = {num(p[k])}" for k in INPUTS[g]),
            "has_q": int(g != "logistic"),
            "is_logistic": int(g == "logistic"),
            "given": given,
        }

    def exact(self, p: dict) -> dict:
        import sympy

        g = p["graph"]
        names = INPUTS[g]
        syms = {k: sympy.Symbol(k, real=True) for k in names}
        at = {syms[k]: R(p[k]) for k in names}
        up = R(p["upstream"])
        q, m, s = (sympy.Symbol(k, real=True) for k in ("q", "m", "s"))
        out = {k: None for k in ("f", "dq", "dm", "ds", "dx", "dy", "dz", "dw", "db")}
        if g == "add-max":
            x, y, z, w = (syms[k] for k in names)
            f = (x + y) * max_sym(z, w)
            out["dq"] = up * sympy.diff(q * max_sym(z, w), q).xreplace(at)
            out["dm"] = up * sympy.diff((x + y) * m, m).xreplace(at)
        elif g == "mul-max":
            x, y, z, w = (syms[k] for k in names)
            f = max_sym(x * y, z) + w
            out["dq"] = up * sympy.diff(max_sym(q, z) + w, q).xreplace({**at, q: (x * y).xreplace(at)})
            out["dm"] = up * sympy.diff(m + w, m).xreplace(at)
        else:
            w, x, b = (syms[k] for k in names)
            f = 1 / (1 + sympy.exp(-(w * x + b)))
            out["ds"] = tidy(up * sympy.diff(1 / (1 + sympy.exp(-s)), s).xreplace({s: (w * x + b).xreplace(at)}))
        out["f"] = tidy(f.xreplace(at))
        for k in names:
            out["d" + k] = tidy(up * sympy.diff(f, syms[k]).xreplace(at))
        return out

    def numeric(self, p: dict) -> dict:
        """The local gate rules, applied backwards from ∂L/∂f = upstream."""
        g = p["graph"]
        up = float(p["upstream"])
        out: dict[str, float | None] = {k: None for k in ("f", "dq", "dm", "ds", "dx", "dy", "dz", "dw", "db")}
        if g == "add-max":
            x, y, z, w = (float(p[k]) for k in INPUTS[g])
            q, m = x + y, max(z, w)
            out["f"] = q * m
            dq, dm = up * m, up * q  # mul switches
            out["dq"], out["dm"] = dq, dm
            out["dx"] = out["dy"] = dq  # add distributes
            first = _first_wins(z, w)  # max routes
            out["dz"], out["dw"] = (dm, 0.0) if first else (0.0, dm)
        elif g == "mul-max":
            x, y, z, w = (float(p[k]) for k in INPUTS[g])
            q = x * y
            m = max(q, z)
            out["f"] = m + w
            out["dm"] = out["dw"] = up  # add distributes
            first = _first_wins(q, z)
            dq, dz = (up, 0.0) if first else (0.0, up)  # max routes
            out["dq"], out["dz"] = dq, dz
            out["dx"], out["dy"] = dq * y, dq * x  # mul switches
        else:
            w, x, b = (float(p[k]) for k in INPUTS[g])
            f = sigma_py(w * x + b)
            out["f"] = f
            ds = up * f * (1 - f)  # σ̇ = σ(1 − σ)
            out["ds"] = ds
            out["dw"], out["dx"], out["db"] = ds * x, ds * w, ds
        return out

    def solution(self, p: dict, key: dict) -> dict:
        g = p["graph"]
        up = p["upstream"]
        o = self.numeric(p)
        u = num(up)
        st: dict = {}
        if g == "add-max":
            x, y, z, w = (p[k] for k in INPUTS[g])
            q, m = x + y, max(z, w)
            big, small = ("z", "w") if z >= w else ("w", "z")
            st["f"] = [f"q = x + y = {num(x)} + {pn(y)} = {num(q)}",
                       f"m = max(z, w) = max({num(z)}, {num(w)}) = {num(m)}",
                       f"f = q·m = {pn(q)}·{pn(m)} = {num(q * m)}"]
            st["dq"] = [f"mul switches: ∂L/∂q = ∂L/∂f · m = {pn(up)}·{pn(m)} = {num(up * m)}"]
            st["dm"] = [f"mul switches: ∂L/∂m = ∂L/∂f · q = {pn(up)}·{pn(q)} = {num(up * q)}"]
            st["dx"] = st["dq"] + [f"add distributes: ∂L/∂x = ∂L/∂q = {num(up * m)}"]
            st["dy"] = st["dq"] + [f"add distributes: ∂L/∂y = ∂L/∂q = {num(up * m)}"]
            route = [f"max routes: {big} = {num(p[big])} is the larger input" + (" (a tie goes to z)" if z == w else "")
                     + f", so ∂L/∂{big} = ∂L/∂m = {num(up * q)} and ∂L/∂{small} = 0"]
            st["dz"] = st["dm"] + route
            st["dw"] = st["dm"] + route
        elif g == "mul-max":
            x, y, z, w = (p[k] for k in INPUTS[g])
            q = x * y
            m = max(q, z)
            st["f"] = [f"q = x·y = {pn(x)}·{pn(y)} = {num(q)}", f"m = max(q, z) = max({num(q)}, {num(z)}) = {num(m)}",
                       f"f = m + w = {num(m)} + {pn(w)} = {num(m + w)}"]
            st["dm"] = [f"add distributes: ∂L/∂m = ∂L/∂f = {u}"]
            st["dw"] = [f"add distributes: ∂L/∂w = ∂L/∂f = {u}"]
            first = q >= z
            routed = (f"max routes: q = {num(q)} ≥ z = {num(z)}, so ∂L/∂q = {u} and ∂L/∂z = 0" if first else
                      f"max routes: z = {num(z)} > q = {num(q)}, so ∂L/∂z = {u} and ∂L/∂q = 0")
            dq = up if first else 0
            st["dq"] = st["dm"] + [routed]
            st["dz"] = st["dm"] + [routed]
            st["dx"] = st["dq"] + [f"mul switches: ∂L/∂x = ∂L/∂q · y = {pn(dq)}·{pn(y)} = {num(dq * y)}"]
            st["dy"] = st["dq"] + [f"mul switches: ∂L/∂y = ∂L/∂q · x = {pn(dq)}·{pn(x)} = {num(dq * x)}"]
        else:
            w, x, b = (p[k] for k in INPUTS[g])
            s = w * x + b
            f = value_py("sigmoid", s)
            d = slope_py("sigmoid", s)
            st["f"] = [f"s = w·x + b = {pn(w)}·{pn(x)} + {pn(b)} = {num(s)}", f"f = σ({num(s)}) = {sig4(f)}"]
            st["ds"] = st["f"] + [f"σ̇(s) = f(1 − f) = {sig4(f)}·{sig4(1 - f)} = {sig4(d)}",
                                  f"∂L/∂s = ∂L/∂f · σ̇(s) = {pn(up)}·{sig4(d)} = {sig4(up * d)}"]
            st["dw"] = st["ds"] + [f"mul switches: ∂L/∂w = ∂L/∂s · x = {sig4(up * d)}·{pn(x)} = {sig4(o['dw'])}"]
            st["dx"] = st["ds"] + [f"mul switches: ∂L/∂x = ∂L/∂s · w = {sig4(up * d)}·{pn(w)} = {sig4(o['dx'])}"]
            st["db"] = st["ds"] + [f"add distributes: ∂L/∂b = ∂L/∂s = {sig4(o['db'])}"]
        return st

    def mistakes(self, p: dict) -> dict:
        g = p["graph"]
        up = p["upstream"]
        o = self.numeric(p)
        out: dict = {}
        if up != 1:
            one = self.numeric({**p, "upstream": 1})
            out["upstream-forgotten"] = {k: v for k, v in one.items() if v is not None and k != "f"}
        if g == "add-max":
            x, y, z, w = (p[k] for k in INPUTS[g])
            q, m = x + y, max(z, w)
            out["max-distributes"] = {"dz": up * q, "dw": up * q}
            out["max-to-smaller"] = {"dz": 0 if z >= w else up * q, "dw": up * q if z >= w else 0}
            out["mul-not-switched"] = {"dq": up * q, "dm": up * m, "dx": up * q, "dy": up * q,
                                       "dz": up * m if z >= w else 0, "dw": 0 if z >= w else up * m}
            out["add-splits"] = {"dx": up * m / 2, "dy": up * m / 2}
        elif g == "mul-max":
            x, y, z, w = (p[k] for k in INPUTS[g])
            q = x * y
            first = q >= z
            out["max-distributes"] = {"dq": up, "dz": up, "dx": up * y, "dy": up * x}
            out["max-to-smaller"] = {"dq": 0 if first else up, "dz": up if first else 0,
                                     "dx": 0 if first else up * y, "dy": 0 if first else up * x}
            dq = up if first else 0
            out["mul-not-switched"] = {"dx": dq * x, "dy": dq * y}
            out["add-splits"] = {"dm": Fraction(up) / 2, "dw": Fraction(up) / 2}
        else:
            w, x, b = (float(p[k]) for k in INPUTS[g])
            f = o["f"]
            out["sigma-dot-missing"] = {"ds": up, "dw": up * x, "dx": up * w, "db": up}
            out["sigma-for-sigma-dot"] = {"ds": up * f, "dw": up * f * x, "dx": up * f * w, "db": up * f}
            out["mul-not-switched"] = {"dw": o["ds"] * w, "dx": o["ds"] * x}
        return out


# ----------------------------------------------------------------------------
# backprop.total-derivative
# ----------------------------------------------------------------------------
class TotalDerivative(Solver):
    """``backprop.total-derivative``: dŷ/dx = Σᵢ (dŷ/dhᵢ)(∂hᵢ/∂x) over a chain of hidden nodes.

    h₀ = g(w₀x), hᵢ = g(wᵢx + uᵢhᵢ₋₁), ŷ = Σᵢ vᵢhᵢ, with g linear or ReLU.
    """

    template_vars = ("N", "graph_text", "given")

    def check(self, p: dict) -> None:
        N = len(p["w"])
        if N < 2:
            raise ParamError("the flow graph needs at least 2 hidden nodes: w has 1 entry")
        if len(p["u"]) != N - 1:
            raise ParamError(f"u has {len(p['u'])} entries but there are {N} hidden nodes (w): "
                             f"u needs N − 1 = {N - 1}, one per link hᵢ₋₁ → hᵢ")
        if len(p["v"]) != N:
            raise ParamError(f"v has {len(p['v'])} entries but w has {N}: one weight hᵢ → ŷ per hidden node")
        if N > 6:
            raise ParamError(f"the flow graph is hand-sized: at most 6 hidden nodes (w has {N})")

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        N = len(p["w"]) if "w" in fixed else len(p["v"]) if "v" in fixed else \
            len(p["u"]) + 1 if "u" in fixed else rng.choice([2, 3, 3])
        for _ in range(100):
            if "x" not in fixed:
                p["x"] = rng.choice([-1, 1, 2])
            if "w" not in fixed:
                p["w"] = [rng.choice([-2, -1, 1, 2, 3]) for _ in range(N)]
            if "u" not in fixed:
                p["u"] = [rng.choice([-2, -1, 1, 2]) for _ in range(N - 1)]
            if "v" not in fixed:
                p["v"] = [rng.choice([-1, 1, 2, 3]) for _ in range(N)]
            if p["g"] != "relu" or len(p["u"]) != N - 1 or len(p["w"]) != N:
                break
            a = self._forward(p)[0]
            # No ReLU kink exactly at 0, and not every path dead.
            if (0 not in a and any(v > 0 for v in a)) or {"x", "w", "u"} <= fixed:
                break
        return p

    @staticmethod
    def _forward(p):
        g = p["g"]
        a: list = []  # exact or float, as the parameters are
        h: list = []
        for i, (wi, x) in enumerate(zip(p["w"], [p["x"]] * len(p["w"]))):
            ai = wi * x + (p["u"][i - 1] * h[i - 1] if i else 0)
            a.append(ai)
            h.append(value_py(g, ai))
        return a, h

    def derive(self, p: dict) -> dict:
        N = len(p["w"])
        g = "g" if p["g"] == "relu" else ""
        gl = f"{g}(" if g else ""
        gr = ")" if g else ""
        lines = [f"h₀ = {gl}w₀x{gr}"] + [f"h{_sub(i)} = {gl}w{_sub(i)}x + u{_sub(i)}h{_sub(i - 1)}{gr}"
                                         for i in range(1, N)]
        lines.append("ŷ = " + " + ".join(f"v{_sub(i)}h{_sub(i)}" for i in range(N)))
        return {"N": N, "graph_text": ",   ".join(lines),
                "given": "g = ReLU, with ReLU′(0) = u(0) = 1." if p["g"] == "relu" else "Every node is linear."}

    def exact(self, p: dict) -> dict:
        import sympy

        N = len(p["w"])
        x = sympy.Symbol("x", real=True)
        w, u, v = RM(p["w"]), RM(p["u"]) if p["u"] else [], RM(p["v"])
        g = p["g"]

        def act(a):
            return sympy.Piecewise((a, a >= 0), (0, True)) if g == "relu" else a

        def chain(start: int, h_start, x_sym):
            """h_start at node `start`, then the later nodes computed from it."""
            hs = [h_start]
            for i in range(start + 1, N):
                hs.append(act(w[i] * x_sym + u[i - 1] * hs[-1]))
            return hs

        at = {x: R(p["x"])}
        hs = chain(0, act(w[0] * x), x)
        yhat = sum(v[i] * hs[i] for i in range(N))
        H = sympy.Symbol("H", real=True)
        P = sympy.Symbol("P", real=True)
        h_vals = [hv.xreplace(at) for hv in hs]
        totals, partials = [], []
        for i in range(N):
            # Total: hᵢ free, every later node recomputed from it; earlier nodes do not depend on it.
            later = chain(i, H, x)
            y_i = sum(v[j] * hs[j] for j in range(i)) + sum(v[j] * later[j - i] for j in range(i, N))
            totals.append(sympy.diff(y_i, H).xreplace({**at, H: h_vals[i]}))
            # Partial: hᵢ as a function of x with its other input hᵢ₋₁ held fixed.
            own = act(w[i] * x + (u[i - 1] * P if i else 0))
            partials.append(sympy.diff(own, x).xreplace({**at, P: h_vals[i - 1] if i else 0}))
        return {"h": sympy.Matrix([tidy(hv) for hv in h_vals]), "yhat": tidy(yhat.xreplace(at)),
                "dyhat_dh": sympy.Matrix(totals), "dh_dx": sympy.Matrix(partials),
                "dyhat_dx": tidy(sympy.diff(yhat, x).xreplace(at))}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        a, h, tot, par, _ = self._backward(p)
        return {"h": np.array(h, float), "yhat": float(np.dot(p["v"], h)), "dyhat_dh": np.array(tot, float),
                "dh_dx": np.array(par, float), "dyhat_dx": float(np.dot(tot, par))}

    def _backward(self, p, *, relu_one=False):
        """Totals from the output down: dŷ/dhᵢ = vᵢ + (dŷ/dhᵢ₊₁)·g′(aᵢ₊₁)·uᵢ₊₁; partials g′(aᵢ)wᵢ."""
        N = len(p["w"])
        a, h = self._forward(p)
        gp = [1 if relu_one else slope_py(p["g"], ai) for ai in a]
        tot = [0] * N
        for i in reversed(range(N)):
            tot[i] = p["v"][i] + (tot[i + 1] * gp[i + 1] * p["u"][i] if i + 1 < N else 0)
        par = [gp[i] * p["w"][i] for i in range(N)]
        return a, h, tot, par, gp

    def solution(self, p: dict, key: dict) -> dict:
        N = len(p["w"])
        a, h, tot, par, gp = self._backward(p)
        relu = p["g"] == "relu"
        fwd = []
        for i in range(N):
            expr = f"{pn(p['w'][i])}·{pn(p['x'])}" + (f" + {pn(p['u'][i - 1])}·{pn(h[i - 1])}" if i else "")
            fwd.append(f"h{_sub(i)} = {'g(' if relu else ''}{expr}{')' if relu else ''} = "
                       + (f"g({num(a[i])}) = " if relu else "") + num(h[i]))
        yh = sum(vi * hi for vi, hi in zip(p["v"], h))
        back = [f"dŷ/dh{_sub(N - 1)} = v{_sub(N - 1)} = {num(tot[N - 1])} (only the direct edge)"]
        for i in reversed(range(N - 1)):
            back.append(f"dŷ/dh{_sub(i)} = v{_sub(i)} + (dŷ/dh{_sub(i + 1)})·g′(a{_sub(i + 1)})·u{_sub(i + 1)} = "
                        f"{num(p['v'][i])} + {pn(tot[i + 1])}·{pn(gp[i + 1])}·{pn(p['u'][i])} = {num(tot[i])}")
        parts = [f"∂h{_sub(i)}/∂x = g′(a{_sub(i)})·w{_sub(i)} = {num(gp[i])}·{pn(p['w'][i])} = {num(par[i])}"
                 + (" (hᵢ₋₁ held fixed)" if i else "") for i in range(N)]
        total = " + ".join(f"({num(t)})({num(q)})" for t, q in zip(tot, par))
        return {"h": fwd, "yhat": fwd + [f"ŷ = Σᵢ vᵢhᵢ = {num(yh)}"], "dyhat_dh": back, "dh_dx": parts,
                "dyhat_dx": back + parts + [f"dŷ/dx = Σᵢ (dŷ/dhᵢ)(∂hᵢ/∂x) = {total} = "
                                            f"{num(sum(t * q for t, q in zip(tot, par)))}"]}

    def mistakes(self, p: dict) -> dict:
        N = len(p["w"])
        a, h, tot, par, gp = self._backward(p)
        out: dict = {"partials-only": {"dyhat_dh": list(p["v"]),
                                       "dyhat_dx": sum(vi * q for vi, q in zip(p["v"], par))}}
        # Total dhᵢ/dx (through hᵢ₋₁ as well) times the total dŷ/dhᵢ counts the early paths again.
        dtot: list = []
        for i in range(N):
            dtot.append(gp[i] * (p["w"][i] + (p["u"][i - 1] * dtot[i - 1] if i else 0)))
        out["totals-twice"] = {"dh_dx": dtot, "dyhat_dx": sum(t * d for t, d in zip(tot, dtot))}
        out["last-node-only"] = {"dyhat_dx": tot[N - 1] * dtot[N - 1]}
        if p["g"] == "relu" and any(ai < 0 for ai in a):
            _, _, t1, p1, _ = self._backward(p, relu_one=True)
            out["relu-derivative-one"] = {"dyhat_dh": t1, "dh_dx": p1, "dyhat_dx": sum(x * y for x, y in zip(t1, p1))}
        return out


def _sub(i: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(c)] for c in str(i))


# ----------------------------------------------------------------------------
# backprop.xor-network
# ----------------------------------------------------------------------------
XOR_INPUTS = [[0, 0, 1, 1], [0, 1, 0, 1]]
SEED_WEIGHTS = {"W": [[1, 1], [1, 1]], "c": [0, -1], "w": [1, -2], "b": 0}


class XorNetwork(Solver):
    """``backprop.xor-network``: f(x) = wᵀ max{0, Wᵀx + c} + b, inputs as the columns of x."""

    template_vars = ("m", "N", "is_xor_inputs")

    def check(self, p: dict) -> None:
        W, c, w, x = p["W"], p["c"], p["w"], p["x"]
        D, N = len(W), len(W[0])
        if len(x) != D:
            raise ParamError(f"W is {D}×{N} (D×N, used as Wᵀx) but x has {len(x)} row{'s' if len(x) != 1 else ''}: "
                             f"x needs one row per input, one column per example")
        if len(c) != N:
            raise ParamError(f"c has {len(c)} entries but W has {N} columns (hidden units)")
        if len(w) != N:
            raise ParamError(f"w has {len(w)} entries but W has {N} columns (hidden units)")
        if len(x[0]) > 8 or N > 4 or D > 4:
            raise ParamError("the XOR network is hand-sized: at most 4 inputs, 4 hidden units and 8 examples")

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        if "x" not in fixed:
            p["x"] = [row[:] for row in XOR_INPUTS]
        free = {"W", "c", "w", "b"} - fixed
        if not free:
            return p
        if rng.random() < 0.25 and free == {"W", "c", "w", "b"}:
            p.update({k: (v if not isinstance(v, list) else [r[:] if isinstance(r, list) else r for r in v])
                      for k, v in SEED_WEIGHTS.items()})
            return p
        D = len(p["x"])
        N = len(p["W"][0]) if "W" in fixed else len(p["c"]) if "c" in fixed else len(p["w"]) if "w" in fixed else 2
        if "W" in free:
            p["W"] = [[rng.choice([-1, 0, 1, 1, 2]) for _ in range(N)] for _ in range(D)]
        if "c" in free:
            p["c"] = [rng.choice([-1, -1, 0, 1]) for _ in range(N)]
        if "w" in free:
            p["w"] = [rng.choice([-2, -1, 1, 2]) for _ in range(N)]
        if "b" in free:
            p["b"] = rng.choice([-1, 0, 0, 1])
        return p

    def derive(self, p: dict) -> dict:
        return {"m": len(p["x"][0]), "N": len(p["W"][0]), "is_xor_inputs": int(p["x"] == XOR_INPUTS)}

    def exact(self, p: dict) -> dict:
        import sympy

        W, c, w, X = RM(p["W"]), RM(p["c"]), RM(p["w"]), RM(p["x"])
        b = R(p["b"])
        m, N = X.shape[1], W.shape[1]
        pre = sympy.zeros(N, m)
        h = sympy.zeros(N, m)
        f = []
        for k in range(m):
            # f(x) written out for this input, max{0, ·} as SymPy's Max.
            xs = X.col(k)
            for j in range(N):
                pre[j, k] = sum(W[d, j] * xs[d] for d in range(W.shape[0])) + c[j]
                h[j, k] = sympy.Max(0, pre[j, k])
            f.append(sum(w[j] * h[j, k] for j in range(N)) + b)
        out = {"pre": pre, "h": h, "f": sympy.Matrix(f)}
        out["computes_xor"] = ([int(v) if v.is_Integer else v for v in f] == [0, 1, 1, 0] if p["x"] == XOR_INPUTS
                               else None)
        return out

    def numeric(self, p: dict) -> dict:
        import numpy as np

        W, c, w, X = (np.array(p[k], dtype=float) for k in ("W", "c", "w", "x"))
        pre = W.T @ X + c[:, None]
        h = np.maximum(0.0, pre)
        f = w @ h + float(p["b"])
        xor = bool(np.allclose(f, [0, 1, 1, 0])) if p["x"] == XOR_INPUTS else None
        return {"pre": pre, "h": h, "f": f, "computes_xor": xor}

    def solution(self, p: dict, key: dict) -> dict:
        o = self.numeric(p)
        mat = lambda a: "[" + ", ".join("[" + ", ".join(num(_n(v)) for v in r) + "]" for r in a) + "]"  # noqa: E731
        W, X = p["W"], p["x"]
        WtX = [[sum(W[d][j] * X[d][k] for d in range(len(W))) for k in range(len(X[0]))] for j in range(len(W[0]))]
        pre = [f"Wᵀx = {mat([list(r) for r in zip(*W)])}·{mat(X)} = {mat(WtX)}",
               f"Wᵀx + c (c = {num(p['c'])} added to every column) = {mat(o['pre'])}"]
        h = pre + [f"max{{0, ·}} entry by entry = {mat(o['h'])}"]
        wh_b = signed_sum([f"{num(p['w'])}ᵀ·{mat(o['h'])}", num(p["b"])], str)  # "… − 1", never "… + −1"
        f = h + [f"f = wᵀ·h + b = {wh_b} = {num([_n(v) for v in o['f']])}"]
        xor = (f + [("f = [0, 1, 1, 0] on (0,0), (0,1), (1,0), (1,1): the network computes XOR" if o["computes_xor"]
                     else "f ≠ [0, 1, 1, 0]: this network does not compute XOR")]
               if o["computes_xor"] is not None else [])
        return {"pre": pre, "h": h, "f": f, "computes_xor": xor}

    def mistakes(self, p: dict) -> dict:
        import numpy as np

        W, c, w, X = (np.array(p[k], dtype=float) for k in ("W", "c", "w", "x"))
        b = float(p["b"])
        pre = W.T @ X + c[:, None]
        out = {"relu-forgotten": {"h": pre, "f": w @ pre + b},
               "c-forgotten": {"pre": W.T @ X, "h": np.maximum(0, W.T @ X), "f": w @ np.maximum(0, W.T @ X) + b}}
        if W.shape[0] == W.shape[1]:
            pre2 = W @ X + c[:, None]
            out["w-not-transposed"] = {"pre": pre2, "h": np.maximum(0, pre2), "f": w @ np.maximum(0, pre2) + b}
        if b != 0:
            out["b-forgotten"] = {"f": w @ np.maximum(0, pre)}
        return out


def _n(v):
    """A float that is a whole number, as an int (for the worked steps)."""
    return int(v) if float(v).is_integer() else float(v)
