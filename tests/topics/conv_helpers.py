"""Independent conv forward passes, written from the course notes' formulas with plain loops, and the
finite-difference check of conv.backward; shared by the conv topic tests."""

from __future__ import annotations

import numpy as np

from topics.helpers import arr


def text(value) -> str:
    """A matrix written in the answer language, full float precision."""
    a = arr(value)
    return "[" + ", ".join("[" + ", ".join(repr(float(x)) for x in row) + "]" for row in a) + "]"


def mat(a) -> str:
    return "[" + "; ".join(" ".join(str(x) for x in row) for row in a) + "]"


# ----------------------------------------------------------------------------
# Independent forward passes, written from the seeds' formulas with plain loops.
# ----------------------------------------------------------------------------
def literal_conv(h, w, convention: str, S: int = 1, P: int = 0) -> np.ndarray:
    """ξ of one channel: the seed's sum, term by term (convolution: ECE 417; correlation: 16-785, CS231n),
    h taken as 0 outside its support (zero padding P), every S-th output kept."""
    M, N = h.shape
    K, L = w.shape
    Mo, No = (M + 2 * P - K) // S + 1, (N + 2 * P - L) // S + 1
    out = np.zeros((Mo, No))
    for i in range(Mo):
        for j in range(No):
            if convention == "convolution":
                m, n = K - 1 - P + S * i, L - 1 - P + S * j  # the output's own index
                out[i, j] = sum(w[m - a, n - b] * h[a, b] for a in range(M) for b in range(N)
                                if 0 <= m - a < K and 0 <= n - b < L)
            else:
                out[i, j] = sum(h[S * i + a - P, S * j + b - P] * w[a, b] for a in range(K) for b in range(L)
                                if 0 <= S * i + a - P < M and 0 <= S * j + b - P < N)
    return out


def suffix(c: int = 0, d: int = 0) -> str:
    return (f"_c{c}" if c else "") + (f"_d{d}" if d else "")


def channels(p: dict, name: str = "h") -> list[np.ndarray]:
    """The input channels h[·,·,c]."""
    return [np.array(p[name + suffix(c)], float) for c in range(p["D1"])]


def kernels(p: dict) -> list[list[np.ndarray]]:
    """The kernels as ws[d][c] = w[·,·,c,d]."""
    return [[np.array(p["w" + suffix(c, d)], float) for c in range(p["D1"])] for d in range(p["K"])]


def xi_of(p: dict, hs=None, ws=None) -> list[np.ndarray]:
    """Every output map ξ[·,·,d] = Σ_c (channel c's sum with kernel w[·,·,c,d])."""
    hs = channels(p) if hs is None else hs
    ws = kernels(p) if ws is None else ws
    return [sum(literal_conv(h, w, p["convention"], p["S"], p["P"]) for h, w in zip(hs, row)) for row in ws]


def gradient_parts(p: dict) -> list[tuple[str, str, int, int]]:
    """(part, 'h' or 'w', c, d) of every gradient conv.backward asks."""
    return [("dh" + suffix(c), "h", c, 0) for c in range(p["D1"])] + \
        [("dw" + suffix(c, d), "w", c, d) for d in range(p["K"]) for c in range(p["D1"])]


def conv_finite_differences(key, step: float = 1e-3) -> None:
    """L = Σ_d Σ ∂L/∂ξ_d·ξ_d(h, w) with ξ from the literal loops; nudge every entry of h and w both ways."""
    p = key.variant.params
    Gs = [np.array(p["upstream" + suffix(d=d)], float) for d in range(p["K"])]
    hs, ws = channels(p), kernels(p)

    def loss(hs_, ws_):
        return float(sum((G * xi).sum() for G, xi in zip(Gs, xi_of(p, hs_, ws_))))

    for part, which, c, d in gradient_parts(p):
        entry = hs[c] if which == "h" else ws[d][c]
        fd = np.zeros_like(entry)
        for idx in np.ndindex(entry.shape):
            nudged = []
            for sign in (1, -1):
                hs2 = [a.copy() for a in hs]
                ws2 = [[a.copy() for a in row] for row in ws]
                (hs2[c] if which == "h" else ws2[d][c])[idx] += sign * step
                nudged.append(loss(hs2, ws2))
            fd[idx] = (nudged[0] - nudged[1]) / (2 * step)
        assert np.allclose(arr(key.part(part).exact), fd, atol=1e-6), (part, key.variant.seed)
