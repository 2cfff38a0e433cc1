"""Small 2-D convolution / cross-correlation and max pooling, forward and backward.

Sources: the ECE 417 exam review ("Convolution forward, Correlation backward", "Back-Prop for Max
Pooling"), CMU 16-785 ("Cross-correlation") and the CS231n notes (§5).

The ``convention`` parameter selects the operation, and every prompt states it:

* ``convolution`` (ECE 417): ξ[m,n,d] = Σ_c Σ_m′ Σ_n′ w[m−m′, n−n′, c, d] h[m′, n′, c].  The kernel
  is flipped; with 0-based indices the "valid" outputs are K−1 ≤ m ≤ M−1, L−1 ≤ n ≤ N−1.
* ``correlation`` (CS231n, 16-785): ξ[i,j,d] = Σ_c Σ_m Σ_n h[i+m, j+n, c] w[m, n, c, d]; no flip,
  and the valid outputs are 0 ≤ i ≤ M−K, 0 ≤ j ≤ N−L.

There is one output channel (d = 0) and D1 ∈ {1, 2} input channels: ``h``/``w`` hold
channel c = 0, ``h_c1``/``w_c1`` channel c = 1.  The NumPy path writes both conventions
as ξ = Σ_c corr(h_c, k_c) with the *effective* kernel k_c = rot180(w_c) for convolution
and w_c for correlation; backward is then the other operation (the ECE 417 exam review's point):
∂L/∂h_c is the correlation of the zero-padded ∂L/∂ξ with rot180(k_c), which for
convolution is w itself ("convolution with the flipped filter w[−m′, −n′]").  The SymPy
path never uses that identity: it builds ξ from the course notes' index formula and
differentiates L = Σ ∂L/∂ξ[m,n]·ξ[m,n] (a loss whose gradient at ξ is the given one).
"""

from __future__ import annotations

from nncheck.topics.base import A, ParamError, R, Solver, num, paren

# Entry ranges of random instances, used when a drawn matrix must grow to fit the user's
# sizes; they match the ``draw`` ranges in problems/convops.yaml.
H_RANGE = (-2, 3)
W_RANGE = (-2, 2)
G_RANGE = (-2, 2)
X_RANGE = (-3, 9)
MAX_DRAWN_POOL_INPUT = 5  # random pooling inputs stay at most 5×5 (hand-computable)


# ----------------------------------------------------------------------------
# Plain-Python helpers (used on the fast path: draw, check, derive).
# ----------------------------------------------------------------------------
def _shape(a) -> tuple[int, int]:
    return (len(a), len(a[0]) if a else 0)


def _shape_text(a) -> str:
    r, c = _shape(a)
    return f"{r}×{c}"


def _rot180(a) -> list:
    return [list(reversed(r)) for r in reversed(a)]


def _fliplr(a) -> list:
    return [list(reversed(r)) for r in a]


def _flipud(a) -> list:
    return [list(r) for r in reversed(a)]


def _corr_py(a, k) -> list:
    """Valid cross-correlation in plain Python: out[i][j] = Σ a[i+m][j+n]·k[m][n]."""
    (M, N), (K, L) = _shape(a), _shape(k)
    return [[sum(a[i + m][j + n] * k[m][n] for m in range(K) for n in range(L)) for j in range(N - L + 1)]
            for i in range(M - K + 1)]


def _resize(mat, rows: int, cols: int, rng, lo_hi: tuple[int, int], *, nonzero: bool = False) -> list:
    """``mat`` cropped or grown to rows×cols; new entries are drawn from ``lo_hi``."""
    lo, hi = lo_hi
    choices = [v for v in range(lo, hi + 1) if v or not nonzero]
    out = []
    for i in range(rows):
        row = list(mat[i][:cols]) if i < len(mat) else []
        row += [rng.choice(choices) for _ in range(cols - len(row))]
        out.append(row)
    return out


def _terms(pairs) -> str:
    """'a·b + c·d' for the products of a worked sum (0 when there are none)."""
    return " + ".join(f"{paren(a)}·{paren(b)}" for a, b in pairs) or "0"


def _inline(mat) -> str:
    return "[" + ", ".join("[" + ", ".join(num(v) for v in row) + "]" for row in mat) + "]"


def _channels(p: dict, name: str) -> list:
    return [p[name]] + ([p[name + "_c1"]] if p.get("D1", 1) == 2 else [])


def _conv_sizes(p: dict) -> tuple[int, int, int, int]:
    return (*_shape(p["h"]), *_shape(p["w"]))


def _is_conv(p: dict) -> bool:
    return p["convention"] == "convolution"


def _out_index(p: dict, i: int, j: int) -> tuple[int, int]:
    """The course notes' index of valid output (i, j) of the matrix: shifted by K−1, L−1 for convolution."""
    _, _, K, L = _conv_sizes(p)
    return (i + K - 1, j + L - 1) if _is_conv(p) else (i, j)


def _effective_kernels(p: dict) -> list:
    """The kernel as it slides over h: w rotated by 180° for convolution, w for correlation."""
    return [_rot180(w) if _is_conv(p) else w for w in _channels(p, "w")]


# ----------------------------------------------------------------------------
# conv.forward and conv.backward
# ----------------------------------------------------------------------------
class _ConvBase(Solver):
    """Shared parameter handling for ``conv.forward`` and ``conv.backward``."""

    has_upstream = False

    def check(self, p: dict) -> None:
        for name in ("h", "w") + (("h_c1", "w_c1") if p["D1"] == 2 else ()):
            if not p[name] or not p[name][0]:
                raise ParamError(f"{name} is empty")
        M, N, K, L = _conv_sizes(p)
        if K > M or L > N:
            raise ParamError(f"the kernel w is {K}×{L}, larger than the input h ({M}×{N}): there is no valid output")
        if p["D1"] == 2:
            for name, ref in (("h_c1", "h"), ("w_c1", "w")):
                if _shape(p[name]) != _shape(p[ref]):
                    raise ParamError(f"{name} is {_shape_text(p[name])} but {ref} is {_shape_text(p[ref])}: "
                                     f"both input channels must have the same size")
        if self.has_upstream and _shape(p["upstream"]) != (M - K + 1, N - L + 1):
            raise ParamError(f"upstream (∂L/∂ξ) must be {M - K + 1}×{N - L + 1}, the shape of ξ; "
                             f"got {_shape_text(p['upstream'])}")

    def draw(self, p: dict, rng, fixed) -> dict:
        """Hand-sized instances: 3×3 or 4×4 inputs, 2×2 kernels, conv ≠ correlation."""
        p = dict(p)
        ch1 = sorted(fixed & {"h_c1", "w_c1"})
        if "D1" in fixed:
            if p["D1"] == 1 and ch1:
                raise ParamError(f"{ch1[0]} holds input channel c = 1, but D1 = 1: give D1=2 or leave {ch1[0]} out")
        elif ch1:
            p["D1"] = 2
        elif fixed & {"h", "w"}:
            p["D1"] = 1  # the user's own single-channel numbers get no random second channel
        if "h" in fixed:
            M, N = _shape(p["h"])
        elif "h_c1" in fixed:
            M, N = _shape(p["h_c1"])
        elif fixed & {"w", "w_c1"}:
            K, L = _shape(p["w"] if "w" in fixed else p["w_c1"])
            grow = rng.choice((1, 2))
            M, N = K + grow, L + grow
        else:
            M = N = rng.choice((3, 4))
        if "w" in fixed:
            K, L = _shape(p["w"])
        elif "w_c1" in fixed:
            K, L = _shape(p["w_c1"])
        else:
            K, L = min(2, M), min(2, N)
        if "h" not in fixed:
            p["h"] = _resize(p["h"], M, N, rng, H_RANGE)
        if "w" not in fixed:
            p["w"] = _resize(p["w"], K, L, rng, W_RANGE)
        if p["D1"] == 2:
            if "h_c1" not in fixed:
                p["h_c1"] = _resize(p["h_c1"], M, N, rng, H_RANGE)
            if "w_c1" not in fixed:
                p["w_c1"] = _resize(p["w_c1"], K, L, rng, W_RANGE)
        else:
            p["h_c1"], p["w_c1"] = [], []  # no channel c = 1
        mismatched = p["D1"] == 2 and (_shape(p["h_c1"]) != (M, N) or _shape(p["w_c1"]) != (K, L))
        if K > M or L > N or mismatched:
            return p  # check() reports it
        names = [n for n in ("w", "w_c1")[: p["D1"]] if n not in fixed]
        for _ in range(100):
            if self._tells_conventions_apart(p) or not names:
                break
            for n in names:
                p[n] = _resize([], K, L, rng, W_RANGE)
        if self.has_upstream and "upstream" not in fixed:
            p["upstream"] = _resize(p["upstream"], M - K + 1, N - L + 1, rng, G_RANGE, nonzero=True)
        return p

    @staticmethod
    def _tells_conventions_apart(p: dict) -> bool:
        """Whether convolution, correlation and one-axis flips all give different ξ."""
        hs, ws = _channels(p, "h"), _channels(p, "w")

        def xi(flip):
            outs = [_corr_py(h, flip(w)) for h, w in zip(hs, ws)]
            return [[sum(o[i][j] for o in outs) for j in range(len(outs[0][0]))] for i in range(len(outs[0]))]

        ident = xi(lambda w: w)
        others = [xi(_rot180)]
        K, L = _shape(ws[0])
        if K > 1 and L > 1:
            others += [xi(_fliplr), xi(_flipud)]
        return all(o != ident for o in others) and len({str(o) for o in others}) == len(others)

    def derive(self, p: dict) -> dict:
        from nncheck.lang.template import render

        M, N, K, L = _conv_sizes(p)
        two = p["D1"] == 2
        if two:
            inputs = render("h⁽ˡ⁻¹⁾[m,n,0] = {h|mat}    h⁽ˡ⁻¹⁾[m,n,1] = {h_c1|mat}\n\n"
                            "w⁽ˡ⁾[m,n,0,0] = {w|mat}    w⁽ˡ⁾[m,n,1,0] = {w_c1|mat}", p)
        else:
            inputs = render("h⁽ˡ⁻¹⁾[m,n] = {h|mat}    w⁽ˡ⁾[m,n] = {w|mat}", p)
        Mo, No = M - K + 1, N - L + 1
        r0, c0 = _out_index(p, 0, 0)
        if _is_conv(p):
            operation = ("Operation: convolution, as in ECE 417 (the kernel is flipped):\n"
                         "  ξ⁽ˡ⁾[m,n,d] = Σ_c Σ_m′ Σ_n′ w⁽ˡ⁾[m−m′, n−n′, c, d] h⁽ˡ⁻¹⁾[m′, n′, c]")
            valid = f"ξ[m,n] for {K - 1} ≤ m ≤ {M - 1} and {L - 1} ≤ n ≤ {N - 1}"
        else:
            operation = ("Operation: cross-correlation, as in CS231n and 16-785 (deep-learning libraries call it\n"
                         "convolution; the kernel is not flipped):\n"
                         "  ξ⁽ˡ⁾[i,j,d] = Σ_c Σ_m Σ_n h⁽ˡ⁻¹⁾[i+m, j+n, c] w⁽ˡ⁾[m, n, c, d]")
            valid = f"ξ[i,j] for 0 ≤ i ≤ {M - K} and 0 ≤ j ≤ {N - L}"
        indexing = (f"Indices are 0-based from the top-left entry. 'Valid' keeps the outputs where the whole kernel\n"
                    f"lies on the input: {valid}, a {Mo}×{No} map whose top-left entry is ξ[{r0},{c0}].")
        layer = ("two input channels (c = 0, 1) and one output channel (d = 0)" if two
                 else "one input and one output channel (c = d = 0)")
        return {"inputs": inputs, "operation": operation, "indexing": indexing, "layer": layer,
                "out_rows": Mo, "out_cols": No, "xi_first": f"ξ[{r0},{c0}]",
                "in_size": f"{M}×{N}", "kernel_size": f"{K}×{L}"}

    # -- the SymPy path: the seed's index formula, unrolled -------------------
    def _symbolic(self, p: dict):
        """Symbols for h and w, ξ built from the convention's definition, and their values."""
        import sympy

        M, N, K, L = _conv_sizes(p)
        hs, ws, values = [], [], {}
        for c, (h, w) in enumerate(zip(_channels(p, "h"), _channels(p, "w"))):
            hs.append(sympy.Matrix(M, N, lambda i, j, c=c: sympy.Symbol(f"h_{i}_{j}_{c}")))
            ws.append(sympy.Matrix(K, L, lambda i, j, c=c: sympy.Symbol(f"w_{i}_{j}_{c}")))
            values.update({hs[c][i, j]: R(h[i][j]) for i in range(M) for j in range(N)})
            values.update({ws[c][i, j]: R(w[i][j]) for i in range(K) for j in range(L)})
        Mo, No = M - K + 1, N - L + 1
        xi = sympy.zeros(Mo, No)
        for i in range(Mo):
            for j in range(No):
                terms = []
                for c in range(len(hs)):
                    if _is_conv(p):
                        # ξ[m,n] = Σ_m′ Σ_n′ w[m−m′, n−n′] h[m′, n′], w zero outside its K×L support.
                        m, n = _out_index(p, i, j)
                        terms += [ws[c][m - mp, n - nq] * hs[c][mp, nq]
                                  for mp in range(M) for nq in range(N) if 0 <= m - mp < K and 0 <= n - nq < L]
                    else:
                        # ξ[i,j] = Σ_m Σ_n h[i+m, j+n] w[m, n].
                        terms += [hs[c][i + a, j + b] * ws[c][a, b] for a in range(K) for b in range(L)]
                xi[i, j] = sympy.Add(*terms)
        return hs, ws, xi, values

    # -- the NumPy path: sliding windows and the flipped-filter rule ----------
    @staticmethod
    def _np_corr_valid(a, k):
        import numpy as np
        from numpy.lib.stride_tricks import sliding_window_view

        return np.einsum("ijab,ab->ij", sliding_window_view(a, k.shape), k)

    def _np_corr_full(self, g, k):
        import numpy as np

        K, L = k.shape
        return self._np_corr_valid(np.pad(g, ((K - 1, K - 1), (L - 1, L - 1))), k)

    def _np_forward(self, p: dict, kernel=None):
        kernels = kernel or [A(k) for k in _effective_kernels(p)]
        return sum(self._np_corr_valid(A(h), k) for h, k in zip(_channels(p, "h"), kernels))

    def _forward_steps(self, p: dict, xi) -> list[str]:
        """One line per output: the products of the sliding sum, then the value."""
        hs, ks = _channels(p, "h"), _effective_kernels(p)
        K, L = _shape(ks[0])
        steps = []
        if _is_conv(p):
            steps.append(f"Convolution flips the kernel: w[m−m′, n−n′] runs backwards over m′, n′, so slide w rotated "
                         f"by 180° (flipped top-to-bottom and left-to-right) over h: rot180(w) = {_inline(ks[0])}"
                         + (f", rot180(w[·,·,1]) = {_inline(ks[1])}" if len(ks) > 1 else "") + ".")
        else:
            steps.append("Cross-correlation slides w over h as it is (no flip): ξ[i,j] = Σ_m Σ_n h[i+m, j+n] w[m,n].")
        if len(hs) > 1:
            steps.append("Both input channels add into the one output channel: ξ = Σ_c (channel c's sum).")
        for i in range(len(xi)):
            for j in range(len(xi[0])):
                m, n = _out_index(p, i, j)
                sums = [_terms([(k[a][b], h[i + a][j + b]) for a in range(K) for b in range(L)])
                        for h, k in zip(hs, ks)]
                body = " + ".join(f"({s})" for s in sums) if len(sums) > 1 else sums[0]
                steps.append(f"ξ[{m},{n}] = {body} = {num(xi[i][j])}")
        return steps


def _plain_matrix(m) -> list:
    """A SymPy Matrix as nested lists of int/Fraction (for worked steps)."""
    from nncheck.topics.base import _plain

    return [[_plain(m[i, j]) for j in range(m.shape[1])] for i in range(m.shape[0])]


class ConvForward(_ConvBase):
    """``conv.forward``: the valid convolution or cross-correlation ξ of a small map."""

    def exact(self, p: dict) -> dict:
        _, _, xi, values = self._symbolic(p)
        return {"xi": xi.xreplace(values)}

    def numeric(self, p: dict) -> dict:
        return {"xi": self._np_forward(p)}

    def solution(self, p: dict, key: dict) -> dict:
        return {"xi": self._forward_steps(p, _plain_matrix(key["xi"]))}

    def mistakes(self, p: dict) -> dict:
        ws = [A(w) for w in _channels(p, "w")]
        out: dict = {}
        if _is_conv(p):
            out["kernel-not-flipped"] = {"xi": self._np_forward(p, ws)}
            out["flipped-left-right-only"] = {"xi": self._np_forward(p, [w[:, ::-1] for w in ws])}
            out["flipped-top-bottom-only"] = {"xi": self._np_forward(p, [w[::-1, :] for w in ws])}
        else:
            out["convolution-computed"] = {"xi": self._np_forward(p, [w[::-1, ::-1] for w in ws])}
        if p["D1"] == 2:
            k0 = A(_effective_kernels(p)[0])
            out["one-channel-only"] = {"xi": self._np_corr_valid(A(p["h"]), k0)}
        return out


class ConvBackward(_ConvBase):
    """``conv.backward``: ∂L/∂h⁽ˡ⁻¹⁾ and ∂L/∂w⁽ˡ⁾ from a given ∂L/∂ξ⁽ˡ⁾."""

    has_upstream = True

    def _parts(self, p: dict) -> list[tuple[str, str, int]]:
        """(part name, 'h' or 'w', channel) of every asked gradient."""
        out = [("dh", "h", 0), ("dw", "w", 0)]
        if p["D1"] == 2:
            out += [("dh_c1", "h", 1), ("dw_c1", "w", 1)]
        return out

    def exact(self, p: dict) -> dict:
        import sympy

        hs, ws, xi, values = self._symbolic(p)
        G = p["upstream"]
        loss = sympy.Add(*[R(G[i][j]) * xi[i, j] for i in range(xi.shape[0]) for j in range(xi.shape[1])])
        out = {}
        for part, which, c in self._parts(p):
            syms = hs[c] if which == "h" else ws[c]
            out[part] = syms.applyfunc(lambda s: sympy.diff(loss, s).xreplace(values))
        return out

    def numeric(self, p: dict) -> dict:
        G = A(p["upstream"])
        out = {}
        for part, which, c in self._parts(p):
            k = A(_effective_kernels(p)[c])
            if which == "h":
                # The seed's rule: back-prop is convolution with the flipped filter = correlation of the
                # zero-padded ∂L/∂ξ with rot180(k) (which is w itself when the forward pass convolves).
                out[part] = self._np_corr_full(G, k[::-1, ::-1])
            else:
                dk = self._np_corr_valid(A(_channels(p, "h")[c]), G)
                out[part] = dk[::-1, ::-1] if _is_conv(p) else dk
        return out

    def solution(self, p: dict, key: dict) -> dict:
        G = p["upstream"]
        hs, ws = _channels(p, "h"), _channels(p, "w")
        M, N, K, L = _conv_sizes(p)
        Mo, No = len(G), len(G[0])
        pad = [[0] * (No + 2 * (L - 1)) for _ in range(K - 1)]
        padded = pad + [[0] * (L - 1) + list(r) + [0] * (L - 1) for r in G] + [list(r) for r in pad]
        steps: dict = {}
        for part, which, c in self._parts(p):
            value = _plain_matrix(key[part])
            ch = f"[·,·,{c}]" if len(hs) > 1 else ""
            lines = []
            if which == "h":
                kk = ws[c] if _is_conv(p) else _rot180(ws[c])  # rot180 of the effective kernel
                if _is_conv(p):
                    lines.append("Back-prop through a convolution is a correlation, i.e. convolution with the flipped "
                                 "filter w[−m′, −n′]: ∂L/∂h[m′,n′] = Σ_m Σ_n w[m−m′, n−n′] ∂L/∂ξ[m,n].")
                    lines.append(f"So zero-pad ∂L/∂ξ with K−1 = {K - 1} row(s) and L−1 = {L - 1} column(s) on every "
                                 f"side and slide w{ch} over it WITHOUT flipping: w{ch} = {_inline(kk)}.")
                else:
                    lines.append("Each ξ[i,j] used w[m,n]·h[i+m, j+n], so ∂L/∂h[i+m, j+n] collects "
                                 "w[m,n]·∂L/∂ξ[i,j]: a full convolution of ∂L/∂ξ with w.")
                    lines.append(f"That is the correlation of ∂L/∂ξ, zero-padded with K−1 = {K - 1} row(s) and "
                                 f"L−1 = {L - 1} column(s) on every side, with the FLIPPED kernel "
                                 f"rot180(w{ch}) = {_inline(kk)}.")
                lines.append(f"Padded ∂L/∂ξ = {_inline(padded)}")
                for a in range(M):
                    for b in range(N):
                        pairs = [(kk[u][v], padded[a + u][b + v]) for u in range(K) for v in range(L)
                                 if 0 <= a + u - (K - 1) < Mo and 0 <= b + v - (L - 1) < No]
                        lines.append(f"∂L/∂h[{a},{b}{',' + str(c) if len(hs) > 1 else ''}] = {_terms(pairs)} "
                                     f"= {num(value[a][b])}")
            else:
                h = hs[c]
                if _is_conv(p):
                    lines.append("∂L/∂w[a,b] = Σ_m Σ_n ∂L/∂ξ[m,n] h[m−a, n−b]: each output's gradient times the "
                                 "input pixel that w[a,b] multiplied in it.")
                    lines.append("With the valid outputs m = K−1+i, n = L−1+j this is the correlation of h with "
                                 "∂L/∂ξ, rotated by 180°.")
                else:
                    lines.append("∂L/∂w[m,n] = Σ_i Σ_j ∂L/∂ξ[i,j] h[i+m, j+n]: the correlation of h with ∂L/∂ξ.")
                for a in range(K):
                    for b in range(L):
                        if _is_conv(p):
                            pairs = [(G[i][j], h[K - 1 + i - a][L - 1 + j - b]) for i in range(Mo) for j in range(No)]
                        else:
                            pairs = [(G[i][j], h[i + a][j + b]) for i in range(Mo) for j in range(No)]
                        lines.append(f"∂L/∂w[{a},{b}{',' + str(c) if len(hs) > 1 else ''}] = {_terms(pairs)} "
                                     f"= {num(value[a][b])}")
            steps[part] = lines
        return steps

    def mistakes(self, p: dict) -> dict:
        G = A(p["upstream"])
        hs = [A(h) for h in _channels(p, "h")]
        ws = [A(w) for w in _channels(p, "w")]
        out: dict = {}
        conv = _is_conv(p)
        wrong_dh, wrong_dw = {}, {}
        for part, which, c in self._parts(p):
            if which == "h":
                # The kernel's orientation for back-prop is off by one flip.
                wrong_dh[part] = self._np_corr_full(G, ws[c][::-1, ::-1] if conv else ws[c])
            else:
                dk = self._np_corr_valid(hs[c], G)
                wrong_dw[part] = dk if conv else dk[::-1, ::-1]
        out["backward-flipped-twice" if conv else "backward-not-flipped"] = wrong_dh
        out["dw-not-flipped" if conv else "dw-flipped"] = wrong_dw
        if p["D1"] == 2:
            # Channel c's gradient computed with the other channel's kernel (dh) or input (dw).
            ks = [A(k) for k in _effective_kernels(p)]
            swapped = {}
            for part, which, c in self._parts(p):
                o = 1 - c
                if which == "h":
                    swapped[part] = self._np_corr_full(G, ks[o][::-1, ::-1])
                else:
                    dk = self._np_corr_valid(hs[o], G)
                    swapped[part] = dk[::-1, ::-1] if conv else dk
            out["channels-swapped"] = swapped
        return out


# ----------------------------------------------------------------------------
# pool.max-backward
# ----------------------------------------------------------------------------
def _pool_windows(rows: int, cols: int, F: int, S: int):
    """(i, j, cells) of every window, the cells in row-major order."""
    Ho, Wo = (rows - F) // S + 1, (cols - F) // S + 1
    for i in range(Ho):
        for j in range(Wo):
            yield i, j, [(i * S + a, j * S + b) for a in range(F) for b in range(F)]


class PoolMaxBackward(Solver):
    """``pool.max-backward``: the pooled map h and ∂L/∂x routed to each window's argmax."""

    @staticmethod
    def _fits(rows: int, cols: int, F: int, S: int) -> bool:
        return F <= rows and F <= cols and (rows - F) % S == 0 and (cols - F) % S == 0

    @staticmethod
    def _worth_asking(x, F: int, S: int) -> bool:
        """Random draws: maxima in at least two cells, and with overlap one cell shared by two windows."""
        targets = []
        for _, _, cells in _pool_windows(len(x), len(x[0]), F, S):
            vals = [x[a][b] for a, b in cells]
            targets.append(cells[vals.index(max(vals))])
        distinct = len(set(targets))
        return distinct >= min(2, len(targets)) and (S >= F or distinct < len(targets))

    def check(self, p: dict) -> None:
        x, F, S = p["x"], p["F"], p["S"]
        if not x or not x[0]:
            raise ParamError("x is empty")
        rows, cols = _shape(x)
        if F > rows or F > cols:
            raise ParamError(f"the pooling window F×F = {F}×{F} is larger than x ({rows}×{cols})")
        for n, what in ((rows, "rows"), (cols, "columns")):
            if (n - F) % S:
                raise ParamError(f"the windows do not tile x: ({n} {what} − F)/S + 1 = ({n} − {F})/{S} + 1 is not a "
                                 f"whole number")
        want = ((rows - F) // S + 1, (cols - F) // S + 1)
        if _shape(p["upstream"]) != want:
            raise ParamError(f"upstream (∂L/∂h) must be {want[0]}×{want[1]}, the shape of the pooled map; "
                             f"got {_shape_text(p['upstream'])}")

    def draw(self, p: dict, rng, fixed) -> dict:
        """Inputs of at most 5×5 that the windows tile; often a tie, so the tie rule matters."""
        p = dict(p)
        if "x" in fixed:
            rows, cols = _shape(p["x"])
            if not self._fits(rows, cols, p["F"], p["S"]) and not {"F", "S"} <= fixed:
                pairs = [(F, S) for F in (2, 3, 1) for S in (2, 1, 3)
                         if ("F" not in fixed or F == p["F"]) and ("S" not in fixed or S == p["S"])
                         and self._fits(rows, cols, F, S)]
                if pairs:
                    p["F"], p["S"] = pairs[rng.randrange(len(pairs))]
        else:
            F, S = p["F"], p["S"]
            sizes = [(out - 1) * S + F for out in (2, 3)]
            small = [s for s in sizes if s <= MAX_DRAWN_POOL_INPUT] or sizes[:1]
            n = rng.choice(small)
            p["x"] = _resize(p["x"], n, n, rng, X_RANGE)
            for _ in range(100):
                if self._worth_asking(p["x"], F, S):
                    break
                p["x"] = _resize([], n, n, rng, X_RANGE)
            if rng.random() < 0.4:
                # A tie: copy a window's maximum into another of its cells.
                windows = list(_pool_windows(n, n, F, S))
                _, _, cells = windows[rng.randrange(len(windows))]
                vals = [p["x"][a][b] for a, b in cells]
                top = cells[vals.index(max(vals))]
                others = [c for c in cells if c != top]
                if others:
                    a, b = others[rng.randrange(len(others))]
                    p["x"][a][b] = max(vals)
        rows, cols = _shape(p["x"])
        if "upstream" not in fixed and rows and self._fits(rows, cols, p["F"], p["S"]):
            Ho, Wo = (rows - p["F"]) // p["S"] + 1, (cols - p["F"]) // p["S"] + 1
            p["upstream"] = _resize(p["upstream"], Ho, Wo, rng, G_RANGE, nonzero=True)
        return p

    def derive(self, p: dict) -> dict:
        rows, cols = _shape(p["x"])
        F, S = p["F"], p["S"]
        Ho, Wo = ((rows - F) // S + 1, (cols - F) // S + 1) if S and rows else (0, 0)
        overlap = ("The windows overlap (S < F): a cell that is the maximum of several windows receives the SUM of "
                   "their gradients." if S < F else
                   "The windows do not overlap (S ≥ F)." if S == F else
                   "S > F: some cells belong to no window and get zero gradient.")
        return {"out_rows": Ho, "out_cols": Wo, "last_row": F - 1, "overlap": overlap,
                "row_i": "i" if S == 1 else f"{S}i", "col_j": "j" if S == 1 else f"{S}j"}

    def exact(self, p: dict) -> dict:
        """SymPy: differentiate L = Σ ∂L/∂h[i,j]·Max(window) at x nudged by the tie rule.

        The rule "first maximum in row-major order" is the limit of breaking ties by
        x̃ = x − ε·k (k = the cell's row-major index): earlier cells win.  ε is smaller
        than any gap between distinct values of x, so no other comparison changes, and
        every Heaviside in d Max/dx gets a nonzero argument.  One cell at a time is a
        symbol: SymPy's Max of several *symbols* is slow to build and differentiate,
        while a Max of numbers and one symbol collapses at once.
        """
        import sympy

        x, F, S, G = p["x"], p["F"], p["S"], p["upstream"]
        rows, cols = _shape(x)
        exact = {(a, b): R(x[a][b]) for a in range(rows) for b in range(cols)}
        distinct = sorted(set(exact.values()))
        gap = min((hi - lo for lo, hi in zip(distinct, distinct[1:])), default=sympy.Integer(1))
        eps = gap / (2 * (rows * cols + 1))
        nudged = {cell: v - eps * k for k, (cell, v) in enumerate(exact.items())}  # k: row-major index
        windows = list(_pool_windows(rows, cols, F, S))
        Ho, Wo = windows[-1][0] + 1, windows[-1][1] + 1
        t = sympy.Symbol("t")

        def loss(values: dict, cell):
            # The terms of L whose window holds ``cell``; the others do not depend on it.
            return sympy.Add(*[R(G[i][j]) * sympy.Max(*[values[c] for c in cells])
                               for i, j, cells in windows if cell in cells])

        dx = sympy.zeros(rows, cols)
        for cell in exact:
            dx[cell] = sympy.diff(loss({**nudged, cell: t}, cell), t).subs(t, nudged[cell])
        h = sympy.zeros(Ho, Wo)
        for i, j, cells in windows:
            h[i, j] = sympy.Max(*[exact[c] for c in cells])
        return {"h": h, "dx": dx}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        x, G = A(p["x"]), A(p["upstream"])
        F, S = p["F"], p["S"]
        Ho, Wo = G.shape
        h = np.zeros((Ho, Wo))
        dx = np.zeros_like(x)
        for i in range(Ho):
            for j in range(Wo):
                win = x[i * S:i * S + F, j * S:j * S + F]
                h[i, j] = win.max()
                a, b = divmod(int(np.argmax(win)), F)  # argmax: the first maximum in row-major order
                dx[i * S + a, j * S + b] += G[i, j]  # overlapping windows accumulate
        return {"h": h, "dx": dx}

    def solution(self, p: dict, key: dict) -> dict:
        x, F, S, G = p["x"], p["F"], p["S"], p["upstream"]
        rows, cols = _shape(x)
        si, sj = ("i", "j") if S == 1 else (f"{S}i", f"{S}j")
        h_steps, dx_steps = [f"h[i,j] = max of the {F}×{F} window starting at row {si}, column {sj} of x."], []
        dx_steps.append("Each ∂L/∂h[i,j] goes to the cell holding its window's maximum (the first one in row-major "
                        "order when several tie); every other cell gets 0 from that window.")
        routed: dict = {}
        for i, j, cells in _pool_windows(rows, cols, F, S):
            vals = [x[a][b] for a, b in cells]
            top = max(vals)
            first = cells[vals.index(top)]
            ties = [c for c, v in zip(cells, vals) if v == top]
            shown = ", ".join(num(v) for v in vals)
            h_steps.append(f"h[{i},{j}] = max({shown}) = {num(top)}")
            tie = (f" (tied with {', '.join(f'x[{a},{b}]' for a, b in ties[1:])}: the first in row-major order wins)"
                   if len(ties) > 1 else "")
            dx_steps.append(f"window ({i},{j}): max {num(top)} at x[{first[0]},{first[1]}]{tie} → "
                            f"∂L/∂x[{first[0]},{first[1]}] += {num(G[i][j])}")
            routed.setdefault(first, []).append(G[i][j])
        for (a, b), gs in sorted(routed.items()):
            if len(gs) > 1:
                dx_steps.append(f"x[{a},{b}] is the maximum of {len(gs)} overlapping windows: "
                                f"∂L/∂x[{a},{b}] = {' + '.join(paren(g) for g in gs)} = {num(sum(gs))}")
        dx_steps.append(f"∂L/∂x = {_inline(_plain_matrix(key['dx']))}")
        return {"h": h_steps, "dx": dx_steps}

    def mistakes(self, p: dict) -> dict:
        import numpy as np

        x, G = A(p["x"]), A(p["upstream"])
        F, S = p["F"], p["S"]
        rows, cols = x.shape
        every, last, all_max, overwrite, avg = (np.zeros_like(x) for _ in range(5))
        for i, j, cells in _pool_windows(rows, cols, F, S):
            g = G[i, j]
            vals = [x[a, b] for a, b in cells]
            top = max(vals)
            for (a, b), v in zip(cells, vals):
                every[a, b] += g
                avg[a, b] += g / (F * F)
                if v == top:
                    all_max[a, b] += g
            la, lb = [c for c, v in zip(cells, vals) if v == top][-1]
            last[la, lb] += g
            fa, fb = cells[vals.index(top)]
            overwrite[fa, fb] = g  # assigned, not accumulated: the later window wins
        out = {"gradient-to-every-cell": {"dx": every}, "tie-last-max": {"dx": last},
               "tie-every-max": {"dx": all_max}, "average-pooling": {"dx": avg}}
        if S < F:
            out["overlap-overwritten"] = {"dx": overwrite}
        return out
