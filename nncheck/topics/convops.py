"""Small 2-D convolution / cross-correlation and max pooling, forward and backward.

Sources: the ECE 417 exam review ("Convolution forward, Correlation backward", "Back-Prop for Max
Pooling"), CMU 16-785 ("Cross-correlation") and the CS231n notes (§5).

The ``convention`` parameter selects the operation, and every prompt states it:

* ``convolution`` (ECE 417): ξ[m,n,d] = Σ_c Σ_m′ Σ_n′ w[m−m′, n−n′, c, d] h[m′, n′, c], with h zero
  outside its M×N support.  The kernel is flipped; with 0-based indices and an R×C kernel the
  "valid" outputs are R−1 ≤ m ≤ M−1, C−1 ≤ n ≤ N−1.  Zero padding P widens that range by P on
  every side (R−1−P ≤ m ≤ M−1+P) and stride S keeps every S-th output: m = R−1−P + S·i.
* ``correlation`` (CS231n, 16-785): ξ[i,j,d] = Σ_c Σ_m Σ_n h̃[S·i+m, S·j+n, c] w[m, n, c, d], where
  h̃ is h with P zeros added on every side; no flip, and 0 ≤ i ≤ (M + 2P − R)/S.

D1 ≤ 3 input channels and K ≤ 3 output maps.  The answer language has vectors and matrices only,
and an exam prints a 3-D volume as its 2-D slices anyway (ECE 417 writes h[m,n,c] one channel c
at a time), so every slice is its own matrix parameter and every output map or filter gradient
its own matrix part: ``h``, ``h_c1``, ``h_c2`` are the channels c of h; ``w_c{c}_d{d}`` is the
kernel w[·,·,c,d] (the suffix ``_c0``/``_d0`` is left out: ``w`` is w[·,·,0,0], ``w_c1`` is
w[·,·,1,0], ``w_d1`` is w[·,·,0,1]); ``upstream_d{d}`` and the parts ``xi_d{d}``, ``dh_c{c}``,
``dw_c{c}_d{d}`` follow the same rule.

The NumPy path writes both conventions as ξ_d = Σ_c corr_S(h̃_c, k_cd) with the *effective*
kernel k = rot180(w) for convolution and w for correlation; backward is then the other operation
(the ECE 417 exam review's point): ∂L/∂h̃_c is the correlation of ∂L/∂ξ_d — dilated by the stride
and zero-padded — with rot180(k_cd), summed over d, and ∂L/∂h drops h̃'s padded border.  The
SymPy path never uses that identity: it builds ξ from the course notes' index formula and
differentiates L = Σ_d Σ ∂L/∂ξ[m,n,d]·ξ[m,n,d] (a loss whose gradient at ξ is the given one).
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
MAX_MAPS = 3  # input channels D1 and output maps K, each
#: The share of random conv draws that are not the plain single-map, stride-1, unpadded layer.
VARIED_DRAWS = 0.3
#: A random pooling draw with ECE 417's ReLU inside (h = max ReLU(ξ)).
RELU_DRAWS = 0.3
_ORDINAL = {2: "2nd", 3: "3rd"}
_NUMBER_WORD = {1: "one", 2: "two", 3: "three"}


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


def _pad_py(a, P: int) -> list:
    """``a`` with P zeros added on every side."""
    cols = len(a[0]) + 2 * P
    edge = [[0] * cols for _ in range(P)]
    return edge + [[0] * P + list(r) + [0] * P for r in a] + [list(r) for r in edge]


def _corr_py(a, k, S: int = 1) -> list:
    """Valid cross-correlation with stride S, in plain Python: out[i][j] = Σ a[S·i+m][S·j+n]·k[m][n]."""
    (M, N), (Kr, Kc) = _shape(a), _shape(k)
    return [[sum(a[S * i + m][S * j + n] * k[m][n] for m in range(Kr) for n in range(Kc))
             for j in range((N - Kc) // S + 1)] for i in range((M - Kr) // S + 1)]


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


# -- the names of a layer's slices: channel c of h, kernel (c, d) of w, map d of ξ --------------
def _suffix(c: int | None = None, d: int | None = None) -> str:
    return (f"_c{c}" if c else "") + (f"_d{d}" if d else "")


def h_name(c: int) -> str:
    return "h" + _suffix(c)


def w_name(c: int, d: int) -> str:
    return "w" + _suffix(c, d)


def g_name(d: int) -> str:
    return "upstream" + _suffix(d=d)


def _slice_index(name: str) -> tuple[int, int]:
    """(c, d) of a slice parameter's name: w_c2_d1 → (2, 1), upstream_d1 → (0, 1), h → (0, 0)."""
    c = d = 0
    for piece in name.split("_")[1:]:
        if piece[:1] in ("c", "d") and piece[1:].isdigit():
            c, d = (int(piece[1:]), d) if piece[0] == "c" else (c, int(piece[1:]))
    return c, d


def _slice_names() -> list[str]:
    """Every slice parameter's name, channel by channel and map by map."""
    names = [h_name(c) for c in range(MAX_MAPS)]
    names += [w_name(c, d) for d in range(MAX_MAPS) for c in range(MAX_MAPS)]
    return names + [g_name(d) for d in range(MAX_MAPS)]


def _n_in(p: dict) -> int:
    return p.get("D1", 1)


def _n_out(p: dict) -> int:
    return p.get("K", 1)


def _stride_pad(p: dict) -> tuple[int, int]:
    return p.get("S", 1), p.get("P", 0)


def _hs(p: dict) -> list:
    return [p[h_name(c)] for c in range(_n_in(p))]


def _ws(p: dict) -> list:
    """The kernels as ws[d][c] = w[·,·,c,d]."""
    return [[p[w_name(c, d)] for c in range(_n_in(p))] for d in range(_n_out(p))]


def _gs(p: dict) -> list:
    return [p[g_name(d)] for d in range(_n_out(p))]


def _is_conv(p: dict) -> bool:
    return p["convention"] == "convolution"


def _geometry(p: dict) -> tuple[int, int, int, int, int, int]:
    """(M, N) of h, (R, C) of the kernel, (Mo, No) of each output map."""
    (M, N), (Kr, Kc) = _shape(p["h"]), _shape(p["w"])
    S, P = _stride_pad(p)
    return M, N, Kr, Kc, (M + 2 * P - Kr) // S + 1, (N + 2 * P - Kc) // S + 1


def _out_index(p: dict, i: int, j: int) -> tuple[int, int]:
    """The course notes' index of entry (i, j) of an output map: for convolution the kernel's last
    row and column sit on the output index (m = R−1−P + S·i), for correlation it is (i, j)."""
    _, _, Kr, Kc, _, _ = _geometry(p)
    S, P = _stride_pad(p)
    return (Kr - 1 - P + S * i, Kc - 1 - P + S * j) if _is_conv(p) else (i, j)


def _xi_label(p: dict, i: int, j: int, d: int) -> str:
    m, n = _out_index(p, i, j)
    return f"ξ[{m},{n}" + (f",{d}]" if _n_out(p) > 1 else "]")


def _effective_kernels(p: dict) -> list:
    """The kernels as they slide over h̃, ks[d][c]: w rotated by 180° for convolution, w for correlation."""
    return [[_rot180(w) if _is_conv(p) else w for w in row] for row in _ws(p)]


def _xi_py(p: dict, flip=None) -> list:
    """Every output map in plain Python, the kernels slid as ``flip(w)`` (default: the convention's own)."""
    S, P = _stride_pad(p)
    hs = [_pad_py(h, P) for h in _hs(p)]
    ks = _effective_kernels(p) if flip is None else [[flip(w) for w in row] for row in _ws(p)]
    maps = []
    for row in ks:
        outs = [_corr_py(h, k, S) for h, k in zip(hs, row)]
        maps.append([[sum(o[i][j] for o in outs) for j in range(len(outs[0][0]))] for i in range(len(outs[0]))])
    return maps


def _fitting_size(n: int, S: int, P: int, prefer: tuple[int, ...]) -> int:
    """The first kernel size in ``prefer`` that tiles an input of size ``n`` (padded by P) with stride S."""
    for size in prefer:
        if size <= n + 2 * P and (n + 2 * P - size) % S == 0:
            return size
    return 1 if S == 1 or (n + 2 * P - 1) % S == 0 else prefer[0]


def _tiling_sizes(size: int, S: int, P: int, candidates: tuple[int, ...]) -> list[int]:
    """The input sizes among ``candidates`` (else the next larger ones) that a kernel of ``size`` tiles."""
    ok = [n for n in candidates if n + 2 * P >= size and (n + 2 * P - size) % S == 0]
    if ok:
        return ok
    first = max(1, size - 2 * P)
    while (first + 2 * P - size) % S:
        first += 1
    return [first, first + S]


def _on_input(r: int, q: int, M: int, N: int, P: int) -> bool:
    """Whether entry (r, q) of h̃ (h padded by P) lies on h itself, not in the padding."""
    return P <= r < M + P and P <= q < N + P


def _affine(lo: int, S: int, v: str) -> str:
    """'1 + 2i', 'i', '2i − 1': the course notes' index of the i-th output."""
    step = v if S == 1 else f"{S}{v}"
    return step if lo == 0 else f"{step} + {lo}" if lo > 0 else f"{step} − {-lo}"


def _channels_text(n: int, what: str, letter: str) -> str:
    """'two input channels (c = 0, 1)'."""
    return f"{_NUMBER_WORD[n]} {what} channel{'s' if n > 1 else ''} ({letter} = {', '.join(map(str, range(n)))})"


# ----------------------------------------------------------------------------
# conv.forward and conv.backward
# ----------------------------------------------------------------------------
class _ConvBase(Solver):
    """Shared parameter handling for ``conv.forward`` and ``conv.backward``."""

    has_upstream = False

    def check(self, p: dict) -> None:
        D1, K = _n_in(p), _n_out(p)
        S, P = _stride_pad(p)
        for d in range(K):
            for c in range(D1):
                for name in (h_name(c), w_name(c, d)):
                    if not p[name] or not p[name][0]:
                        raise ParamError(f"{name} is empty")
        M, N, Kr, Kc, Mo, No = _geometry(p)
        if Kr > M + 2 * P or Kc > N + 2 * P:
            where = f"the input h ({M}×{N})" if not P else f"the padded input ({M + 2 * P}×{N + 2 * P}, P = {P})"
            raise ParamError(f"the kernel w is {Kr}×{Kc}, larger than {where}: there is no valid output")
        for n, k, what in ((M, Kr, "rows"), (N, Kc, "columns")):
            if (n + 2 * P - k) % S:
                raise ParamError(f"the kernel does not tile the {what} of h with stride S = {S}: "
                                 f"(n − F + 2P)/S + 1 = ({n} − {k} + 2·{P})/{S} + 1 is not a whole number, "
                                 f"so the layer does not fit (CS231n)")
        for c in range(1, D1):
            if _shape(p[h_name(c)]) != (M, N):
                raise ParamError(f"{h_name(c)} is {_shape_text(p[h_name(c)])} but h is {M}×{N}: "
                                 f"every input channel must have the same size")
        for d in range(K):
            for c in range(D1):
                if (c or d) and _shape(p[w_name(c, d)]) != (Kr, Kc):
                    what = "both input channels" if (D1, K) == (2, 1) else "every kernel"
                    raise ParamError(f"{w_name(c, d)} is {_shape_text(p[w_name(c, d)])} but w is {Kr}×{Kc}: "
                                     f"{what} must have the same size")
            if self.has_upstream and _shape(p[g_name(d)]) != (Mo, No):
                which = "∂L/∂ξ" if K == 1 else f"∂L/∂ξ[·,·,{d}]"
                raise ParamError(f"{g_name(d)} ({which}) must be {Mo}×{No}, the shape of ξ; "
                                 f"got {_shape_text(p[g_name(d)])}")

    # -- random and partly given instances ------------------------------------
    def _layer_size(self, p: dict, fixed) -> None:
        """D1 and K from the slices the user gave (w_c2 means D1 = 3), or as drawn."""
        given = [n for n in _slice_names() if n in fixed]
        for name, count in (("D1", "input channel"), ("K", "output map")):
            needed = max((_slice_index(n)[0 if name == "D1" else 1] + 1 for n in given), default=1)
            if name in fixed:
                if p[name] < needed:
                    culprit = next(n for n in given if _slice_index(n)[0 if name == "D1" else 1] + 1 == needed)
                    letter = "c" if name == "D1" else "d"
                    raise ParamError(f"{culprit} holds {count} {letter} = {needed - 1}, but {name} = {p[name]}: "
                                     f"give {name}={needed} or leave {culprit} out")
            elif needed > 1 or (name == "D1" and set(given) - {g_name(d) for d in range(MAX_MAPS)}):
                # The user's own numbers get no random extra channel or map.
                p[name] = needed

    def draw(self, p: dict, rng, fixed) -> dict:
        """Hand-sized instances: 3×3 or 4×4 inputs, 2×2 kernels, conv ≠ correlation; some varied."""
        p = dict(p)
        self._layer_size(p, fixed)
        S, P = _stride_pad(p)
        h_given = [h_name(c) for c in range(MAX_MAPS) if h_name(c) in fixed]
        w_given = [w_name(c, d) for d in range(MAX_MAPS) for c in range(MAX_MAPS) if w_name(c, d) in fixed]
        if w_given:
            Kr, Kc = _shape(p[w_given[0]])
        if h_given:
            M, N = _shape(p[h_given[0]])
        elif w_given:
            # Grow the input around the user's kernel: (M + 2P − R)/S is 1 or 2.
            grow = rng.choice((1, 2))
            M, N = (max(1, k - 2 * P + S * grow) for k in (Kr, Kc))
        else:
            M = N = rng.choice(_tiling_sizes(3 if P else 2, S, P, (3, 4)))
        if not w_given:
            prefer = (3, 2, 1) if P else (2, 3, 1)
            Kr, Kc = _fitting_size(M, S, P, prefer), _fitting_size(N, S, P, prefer)
        self._fill(p, fixed, rng, (M, N), (Kr, Kc))
        if not self._consistent(p):
            return p  # check() reports it
        self._tell_apart(p, fixed, rng)
        if not fixed and rng.random() < VARIED_DRAWS:
            self._vary(p, rng)
        if self.has_upstream:
            _, _, _, _, Mo, No = _geometry(p)
            for d in range(MAX_MAPS):
                if g_name(d) in fixed:
                    continue
                p[g_name(d)] = (_resize(p[g_name(d)], Mo, No, rng, G_RANGE, nonzero=True)
                                if d < _n_out(p) and self._tiles(p) else [])
        return p

    @staticmethod
    def _fill(p: dict, fixed, rng, h_size: tuple[int, int], w_size: tuple[int, int]) -> None:
        """Every slice the layer has, cropped or grown to its size; the ones it does not have empty."""
        D1, K = _n_in(p), _n_out(p)
        for c in range(MAX_MAPS):
            if h_name(c) not in fixed:
                p[h_name(c)] = _resize(p[h_name(c)], *h_size, rng, H_RANGE) if c < D1 else []
            for d in range(MAX_MAPS):
                if w_name(c, d) not in fixed:
                    p[w_name(c, d)] = _resize(p[w_name(c, d)], *w_size, rng, W_RANGE) if c < D1 and d < K else []

    @staticmethod
    def _consistent(p: dict) -> bool:
        M, N, Kr, Kc, _, _ = _geometry(p)
        S, P = _stride_pad(p)
        same = all(_shape(h) == (M, N) for h in _hs(p)) and all(_shape(w) == (Kr, Kc) for r in _ws(p) for w in r)
        return same and Kr <= M + 2 * P and Kc <= N + 2 * P

    @staticmethod
    def _tiles(p: dict) -> bool:
        M, N, Kr, Kc, _, _ = _geometry(p)
        S, P = _stride_pad(p)
        return Kr <= M + 2 * P and Kc <= N + 2 * P and (M + 2 * P - Kr) % S == 0 and (N + 2 * P - Kc) % S == 0

    def _tell_apart(self, p: dict, fixed, rng) -> None:
        """Redraw the kernels not given until convolution, correlation and one-axis flips differ."""
        if not self._tiles(p):
            return
        Kr, Kc = _shape(p["w"])
        names = [w_name(c, d) for d in range(_n_out(p)) for c in range(_n_in(p)) if w_name(c, d) not in fixed]
        for _ in range(100):
            if self._tells_conventions_apart(p) or not names:
                break
            for n in names:
                p[n] = _resize([], Kr, Kc, rng, W_RANGE)

    def _vary(self, p: dict, rng) -> None:
        """A random exam's other layers: a stride, "same" zero padding, or two output maps."""
        what = rng.choice(("stride", "padding", "maps"))
        M = len(p["h"])
        if what == "stride" and M == 4:
            p["S"] = 2  # a 2×2 kernel every 2 entries of a 4×4 input: a 2×2 map
        elif what in ("stride", "padding"):
            # A 3×3 kernel on a 3×3 input with P = 1: "same" size, or with S = 2 a 2×2 map.
            p["P"], p["S"], p["D1"] = 1, 2 if what == "stride" else 1, 1
            self._fill(p, frozenset(), rng, (3, 3), (3, 3))
        else:
            p["K"], p["D1"] = 2, 1  # two filters over one 3×3 channel: two 2×2 maps
            self._fill(p, frozenset(), rng, (3, 3), (2, 2))
        self._tell_apart(p, frozenset(), rng)

    @staticmethod
    def _tells_conventions_apart(p: dict) -> bool:
        """Whether convolution, correlation and one-axis flips all give different ξ."""
        ident = _xi_py(p, lambda w: w)
        others = [_xi_py(p, _rot180)]
        Kr, Kc = _shape(p["w"])
        if Kr > 1 and Kc > 1:
            others += [_xi_py(p, _fliplr), _xi_py(p, _flipud)]
        return all(o != ident for o in others) and len({str(o) for o in others}) == len(others)

    template_vars = ("inputs", "operation", "indexing", "layer", "stride_padding", "upstream_block", "out_rows",
                     "out_cols", "in_size", "kernel_size", *(f"xi_first{_suffix(d=d)}" for d in range(MAX_MAPS)),
                     *(f"xi_at{_suffix(d=d)}" for d in range(MAX_MAPS)),
                     *(f"w_at{_suffix(c, d)}" for d in range(MAX_MAPS) for c in range(MAX_MAPS)))

    def derive(self, p: dict) -> dict:
        from nncheck.lang.template import render

        M, N, Kr, Kc, Mo, No = _geometry(p)
        D1, K = _n_in(p), _n_out(p)
        S, P = _stride_pad(p)
        plain = S == 1 and P == 0
        if (D1, K) == (1, 1):
            inputs = render("h⁽ˡ⁻¹⁾[m,n] = {h|mat}    w⁽ˡ⁾[m,n] = {w|mat}", p)
            layer = "one input and one output channel (c = d = 0)"
        else:
            lines = ["    ".join(f"h⁽ˡ⁻¹⁾[m,n,{c}] = {{{h_name(c)}|mat}}" for c in range(D1))]
            lines += ["    ".join(f"w⁽ˡ⁾[m,n,{c},{d}] = {{{w_name(c, d)}|mat}}" for c in range(D1)) for d in range(K)]
            inputs = render("\n\n".join(lines), p)
            layer = f"{_channels_text(D1, 'input', 'c')} and {_channels_text(K, 'output', 'd')}"
        stride_padding = ("stride 1, no padding, no bias." if plain else
                          f"stride S = {S}, " + (f"zero padding P = {P} on every side" if P else "no padding")
                          + ", no bias.")
        if D1 > 2 or K > 1:
            stride_padding = (f"D₁ = {D1} input channel{'s' if D1 > 1 else ''}, K = {K} filters, "
                              + stride_padding)
        step = lambda v: v if S == 1 else f"{S}{v}"  # noqa: E731 - "2i" for S = 2
        r0, c0 = _out_index(p, 0, 0)
        first = f"ξ[{r0},{c0}" + (",d]" if K > 1 else "]")
        # The plain single-map layer keeps its one-sentence statement; the rest say the shape on a line of its own.
        shape = (f", a {Mo}×{No} map whose top-left entry is {first}." if K == 1 and plain else
                 f";\nthe output is a {Mo}×{No} map whose top-left entry is {first}." if K == 1 else
                 f";\neach output map d is a {Mo}×{No} matrix whose top-left entry is {first}.")
        if _is_conv(p):
            operation = ("Operation: convolution, as in ECE 417 (the kernel is flipped):\n"
                         "  ξ⁽ˡ⁾[m,n,d] = Σ_c Σ_m′ Σ_n′ w⁽ˡ⁾[m−m′, n−n′, c, d] h⁽ˡ⁻¹⁾[m′, n′, c]")
            lo_r, lo_c = Kr - 1 - P, Kc - 1 - P
            if plain:
                indexing = (f"Indices are 0-based from the top-left entry. 'Valid' keeps the outputs where the whole "
                            f"kernel\nlies on the input: ξ[m,n] for {lo_r} ≤ m ≤ {M - 1} and {lo_c} ≤ n ≤ {N - 1}"
                            f"{shape}")
            else:
                keep = (f"Zero padding P = {P} keeps the outputs where the kernel overlaps the padded input"
                        if P else "'Valid' keeps the outputs where the whole kernel lies on the input")
                nth = _ORDINAL.get(S, f"{S}th")
                every = (f";\nstride S = {S} keeps every {nth} of them, m = {lo_r}, {lo_r + S}, … "
                         f"and n = {lo_c}, {lo_c + S}, …" if S > 1 else "")
                indexing = (f"Indices are 0-based from the top-left entry of h⁽ˡ⁻¹⁾, which is 0 outside its {M}×{N} "
                            f"support.\n{keep}:\n{lo_r} ≤ m ≤ {M - 1 + P} and {lo_c} ≤ n ≤ {N - 1 + P}{every}{shape}")
        else:
            if plain:
                operation = ("Operation: cross-correlation, as in CS231n and 16-785 (deep-learning libraries call "
                             "it\nconvolution; the kernel is not flipped):\n"
                             "  ξ⁽ˡ⁾[i,j,d] = Σ_c Σ_m Σ_n h⁽ˡ⁻¹⁾[i+m, j+n, c] w⁽ˡ⁾[m, n, c, d]")
                indexing = (f"Indices are 0-based from the top-left entry. 'Valid' keeps the outputs where the whole "
                            f"kernel\nlies on the input: ξ[i,j] for 0 ≤ i ≤ {M - Kr} and 0 ≤ j ≤ {N - Kc}{shape}")
            else:
                src = "h̃" if P else "h⁽ˡ⁻¹⁾"
                operation = ("Operation: cross-correlation, as in CS231n and 16-785 (deep-learning libraries call "
                             "it\nconvolution; the kernel is not flipped):\n"
                             f"  ξ⁽ˡ⁾[i,j,d] = Σ_c Σ_m Σ_n {src}[{step('i')}+m, {step('j')}+n, c] w⁽ˡ⁾[m, n, c, d]"
                             + (f",\n  where h̃ is h⁽ˡ⁻¹⁾ with P = {P} row(s) and column(s) of zeros added on every "
                                f"side ({M + 2 * P}×{N + 2 * P})" if P else ""))
                placed = f"every S = {S} entries" if S > 1 else "at every entry"
                indexing = (f"Indices are 0-based from the top-left entry. The kernel is placed {placed}\nwhere it "
                            f"lies wholly on {src}: ξ[i,j] for 0 ≤ i ≤ {Mo - 1} and 0 ≤ j ≤ {No - 1}{shape}")
        out = {"inputs": inputs, "operation": operation, "indexing": indexing, "layer": layer,
               "stride_padding": stride_padding, "out_rows": Mo, "out_cols": No,
               "in_size": f"{M}×{N}", "kernel_size": f"{Kr}×{Kc}", "upstream_block": ""}
        for d in range(MAX_MAPS):
            out[f"xi_first{_suffix(d=d)}"] = _xi_label(p, 0, 0, d)
            out[f"xi_at{_suffix(d=d)}"] = f"[·,·,{d}] (output map d = {d})" if K > 1 else ""
            for c in range(MAX_MAPS):
                out[f"w_at{_suffix(c, d)}"] = (f" of channel c = {c}" if K == 1 else
                                               f"[·,·,{c},{d}] (input channel c = {c}, filter d = {d})")
        if self.has_upstream:
            if K == 1:
                out["upstream_block"] = render("Back-prop has brought the gradient at the layer's output, laid out "
                                               "like ξ (top-left entry ∂L/∂{xi_first}):\n"
                                               "∂L/∂ξ⁽ˡ⁾ = {upstream|mat}", {**p, **out})
            else:
                out["upstream_block"] = render(
                    f"Back-prop has brought the gradient at every output map, laid out like ξ (top-left entries "
                    f"∂L/∂{first}):\n" + "    ".join(f"∂L/∂ξ⁽ˡ⁾[·,·,{d}] = {{{g_name(d)}|mat}}" for d in range(K)), p)
        return out

    # -- the SymPy path: the course notes' index formula, unrolled ------------
    def _symbolic(self, p: dict):
        """Symbols for h and w, every ξ map built from the convention's definition, and their values."""
        import sympy

        M, N, Kr, Kc, Mo, No = _geometry(p)
        S, P = _stride_pad(p)
        D1, K = _n_in(p), _n_out(p)
        values: dict = {}
        hs = []
        for c, h in enumerate(_hs(p)):
            hs.append(sympy.Matrix(M, N, lambda i, j, c=c: sympy.Symbol(f"h_{i}_{j}_{c}")))
            values.update({hs[c][i, j]: R(h[i][j]) for i in range(M) for j in range(N)})
        ws: list = []  # ws[d][c]
        for d, row in enumerate(_ws(p)):
            ws.append([])
            for c, w in enumerate(row):
                ws[d].append(sympy.Matrix(Kr, Kc, lambda i, j, c=c, d=d: sympy.Symbol(f"w_{i}_{j}_{c}_{d}")))
                values.update({ws[d][c][i, j]: R(w[i][j]) for i in range(Kr) for j in range(Kc)})
        xis = []
        for d in range(K):
            xi = sympy.zeros(Mo, No)
            for i in range(Mo):
                for j in range(No):
                    terms = []
                    for c in range(D1):
                        if _is_conv(p):
                            # ξ[m,n] = Σ_m′ Σ_n′ w[m−m′, n−n′] h[m′, n′]: h is 0 outside its support (the
                            # padding), w outside its R×C support.
                            m, n = _out_index(p, i, j)
                            terms += [ws[d][c][m - mp, n - nq] * hs[c][mp, nq] for mp in range(M) for nq in range(N)
                                      if 0 <= m - mp < Kr and 0 <= n - nq < Kc]
                        else:
                            # ξ[i,j] = Σ_m Σ_n h̃[S·i+m, S·j+n] w[m, n], h̃[a, b] = h[a−P, b−P] (0 off h).
                            terms += [hs[c][S * i + a - P, S * j + b - P] * ws[d][c][a, b]
                                      for a in range(Kr) for b in range(Kc)
                                      if 0 <= S * i + a - P < M and 0 <= S * j + b - P < N]
                    xi[i, j] = sympy.Add(*terms)
            xis.append(xi)
        return hs, ws, xis, values

    # -- the NumPy path: sliding windows and the flipped-filter rule ----------
    @staticmethod
    def _np_corr(a, k, S: int = 1):
        """Valid cross-correlation of ``a`` with ``k``, the kernel placed every S entries."""
        import numpy as np
        from numpy.lib.stride_tricks import sliding_window_view

        return np.einsum("ijab,ab->ij", sliding_window_view(a, k.shape)[::S, ::S], k)

    @staticmethod
    def _np_pad(a, P: int):
        import numpy as np

        return np.pad(a, P)

    @staticmethod
    def _np_dilate(g, S: int):
        """∂L/∂ξ with S − 1 zeros between its entries: where each output sat on the stride-1 grid."""
        import numpy as np

        out = np.zeros(((g.shape[0] - 1) * S + 1, (g.shape[1] - 1) * S + 1))
        out[::S, ::S] = g
        return out

    def _np_full(self, g, k):
        """Full correlation: ``g`` zero-padded by the kernel's size − 1 on every side, then slid over by ``k``."""
        import numpy as np

        Kr, Kc = k.shape
        return self._np_corr(np.pad(g, ((Kr - 1, Kr - 1), (Kc - 1, Kc - 1))), k)

    def _np_forward(self, p: dict, kernels=None, channels=None) -> list:
        """Every output map ξ_d = Σ_c corr_S(h̃_c, k_cd); ``kernels[d][c]`` default to the effective ones."""
        S, P = _stride_pad(p)
        ks = kernels or [[A(k) for k in row] for row in _effective_kernels(p)]
        hs = [self._np_pad(A(h), P) for h in _hs(p)]
        use = range(len(hs)) if channels is None else channels
        return [sum(self._np_corr(hs[c], row[c], S) for c in use) for row in ks]

    def _forward_steps(self, p: dict, xis: list) -> list[list[str]]:
        """Per output map: one line per output, the products of the sliding sum, then the value."""
        S, P = _stride_pad(p)
        hs = [_pad_py(h, P) for h in _hs(p)]
        ks = _effective_kernels(p)
        M, N, Kr, Kc, _, _ = _geometry(p)
        D1, K = _n_in(p), _n_out(p)
        shared = []
        if P:
            shared.append(f"Zero padding P = {P}: h̃ is h with {P} row(s) and column(s) of zeros on every side (the "
                          f"products with those zeros are left out below)"
                          + (f": h̃ = {_inline(hs[0])}." if D1 == 1 else
                             "; " + ", ".join(f"h̃[·,·,{c}] = {_inline(h)}" for c, h in enumerate(hs)) + "."))
        if _is_conv(p):
            named = ", ".join(f"rot180(w{self._at(p, c, d)}) = {_inline(ks[d][c])}" for d in range(K)
                              for c in range(D1))
            over = "h̃" if P else "h"
            shared.append(f"Convolution flips the kernel: w[m−m′, n−n′] runs backwards over m′, n′, so slide w "
                          f"rotated by 180° (flipped top-to-bottom and left-to-right) over {over}: {named}.")
        else:
            shared.append("Cross-correlation slides w over h as it is (no flip): ξ[i,j] = Σ_m Σ_n h[i+m, j+n] w[m,n]."
                          if not P and S == 1 else
                          f"Cross-correlation slides w as it is (no flip) over {'h̃' if P else 'h'}: "
                          f"ξ[i,j] = Σ_m Σ_n {'h̃' if P else 'h'}[{_affine(0, S, 'i')}+m, {_affine(0, S, 'j')}+n] "
                          f"w[m,n].")
        if S > 1:
            shared.append(f"Stride S = {S}: the kernel moves {S} entries between outputs, so output (i, j) starts at "
                          f"row {S}i, column {S}j.")
        if D1 > 1:
            shared.append(("Every" if D1 > 2 else "Both") + " input channel" + ("s add" if D1 > 1 else " adds")
                          + (" into the one output channel" if K == 1 else " into each output map")
                          + ": ξ = Σ_c (channel c's sum).")
        if K > 1:
            shared.append("Each filter d has its own kernels w[·,·,c,d] and gives its own output map ξ[·,·,d].")
        steps = []
        for d in range(K):
            lines = list(shared) if d == 0 else []
            for i in range(len(xis[d])):
                for j in range(len(xis[d][0])):
                    sums = [_terms([(k[a][b], h[S * i + a][S * j + b]) for a in range(Kr) for b in range(Kc)
                                    if _on_input(S * i + a, S * j + b, M, N, P)]) for h, k in zip(hs, ks[d])]
                    body = " + ".join(f"({s})" for s in sums) if len(sums) > 1 else sums[0]
                    lines.append(f"{_xi_label(p, i, j, d)} = {body} = {num(xis[d][i][j])}")
            steps.append(lines)
        return steps

    @staticmethod
    def _at(p: dict, c: int, d: int) -> str:
        """How a worked step names kernel (c, d): "" for the only one, else [·,·,c] or [·,·,c,d]."""
        if _n_out(p) > 1:
            return f"[·,·,{c},{d}]"
        return f"[·,·,{c}]" if _n_in(p) > 1 else ""


def _plain_matrix(m) -> list:
    """A SymPy Matrix as nested lists of int/Fraction (for worked steps)."""
    from nncheck.topics.base import _plain

    return [[_plain(m[i, j]) for j in range(m.shape[1])] for i in range(m.shape[0])]


def xi_part(d: int) -> str:
    return "xi" + _suffix(d=d)


def dh_part(c: int) -> str:
    return "dh" + _suffix(c)


def dw_part(c: int, d: int) -> str:
    return "dw" + _suffix(c, d)


class ConvForward(_ConvBase):
    """``conv.forward``: every output map ξ[·,·,d] of a small convolution or cross-correlation."""

    def exact(self, p: dict) -> dict:
        _, _, xis, values = self._symbolic(p)
        return {xi_part(d): xi.xreplace(values) for d, xi in enumerate(xis)}

    def numeric(self, p: dict) -> dict:
        return {xi_part(d): xi for d, xi in enumerate(self._np_forward(p))}

    def solution(self, p: dict, key: dict) -> dict:
        xis = [_plain_matrix(key[xi_part(d)]) for d in range(_n_out(p))]
        return {xi_part(d): steps for d, steps in enumerate(self._forward_steps(p, xis))}

    def mistakes(self, p: dict) -> dict:
        ws = [[A(w) for w in row] for row in _ws(p)]

        def each(flip) -> dict:
            return {xi_part(d): xi for d, xi in enumerate(self._np_forward(p, [[flip(w) for w in r] for r in ws]))}

        out: dict = {}
        if _is_conv(p):
            out["kernel-not-flipped"] = each(lambda w: w)
            out["flipped-left-right-only"] = each(lambda w: w[:, ::-1])
            out["flipped-top-bottom-only"] = each(lambda w: w[::-1, :])
        else:
            out["convolution-computed"] = each(lambda w: w[::-1, ::-1])
        if _n_in(p) >= 2:
            out["one-channel-only"] = {xi_part(d): xi for d, xi in enumerate(self._np_forward(p, channels=[0]))}
        return out


class ConvBackward(_ConvBase):
    """``conv.backward``: ∂L/∂h⁽ˡ⁻¹⁾ of every input channel and ∂L/∂w⁽ˡ⁾ of every kernel, from ∂L/∂ξ⁽ˡ⁾."""

    has_upstream = True

    def _parts(self, p: dict) -> list[tuple[str, str, int, int]]:
        """(part name, 'h' or 'w', channel c, map d) of every asked gradient, in the bank's order."""
        out = [(dh_part(c), "h", c, 0) for c in range(_n_in(p))]
        return out + [(dw_part(c, d), "w", c, d) for d in range(_n_out(p)) for c in range(_n_in(p))]

    def exact(self, p: dict) -> dict:
        import sympy

        hs, ws, xis, values = self._symbolic(p)
        loss = sympy.Add(*[R(G[i][j]) * xi[i, j] for G, xi in zip(_gs(p), xis)
                           for i in range(xi.shape[0]) for j in range(xi.shape[1])])
        # L is a sum of products G·w·h: differentiate it term by term, each term by the symbols it holds
        # (one sympy.diff of the whole sum per symbol takes over ten seconds for a 3-channel, 3-map
        # layer on an 8×8 input; a symbol missing from every term gets 0).
        grads: dict = {}
        for term in sympy.Add.make_args(loss):
            for sym in term.free_symbols:
                grads.setdefault(sym, []).append(sympy.diff(term, sym))
        out = {}
        for part, which, c, d in self._parts(p):
            syms = hs[c] if which == "h" else ws[d][c]
            out[part] = syms.applyfunc(lambda s: sympy.Add(*grads.get(s, [])).xreplace(values))
        return out

    def numeric(self, p: dict) -> dict:
        M, N, *_ = _geometry(p)
        S, P = _stride_pad(p)
        Gs = [self._np_dilate(A(G), S) for G in _gs(p)]
        ks = [[A(k) for k in row] for row in _effective_kernels(p)]
        out = {}
        for part, which, c, d in self._parts(p):
            if which == "h":
                # The ECE 417 rule: back-prop is convolution with the flipped filter, i.e. the correlation of
                # the zero-padded (and, for a stride, dilated) ∂L/∂ξ with rot180(k) — which is w itself when
                # the forward pass convolves — summed over the maps; the padded border of h̃ is dropped.
                full = sum(self._np_full(G, row[c][::-1, ::-1]) for G, row in zip(Gs, ks))
                out[part] = full[P:P + M, P:P + N]
            else:
                dk = self._np_corr(self._np_pad(A(_hs(p)[c]), P), Gs[d])
                out[part] = dk[::-1, ::-1] if _is_conv(p) else dk
        return out

    def solution(self, p: dict, key: dict) -> dict:
        M, N, Kr, Kc, Mo, No = _geometry(p)
        S, P = _stride_pad(p)
        D1, K = _n_in(p), _n_out(p)
        Gs, hs = _gs(p), [_pad_py(h, P) for h in _hs(p)]
        ks = _effective_kernels(p)
        conv = _is_conv(p)
        steps: dict = {}
        for part, which, c, d in self._parts(p):
            value = _plain_matrix(key[part])
            at = self._at(p, c, d)
            lines = []
            if which == "h":
                if conv:
                    lines.append("Back-prop through a convolution is a correlation, i.e. convolution with the flipped "
                                 "filter w[−m′, −n′]: ∂L/∂h[m′,n′] = Σ_m Σ_n w[m−m′, n−n′] ∂L/∂ξ[m,n].")
                    lines.append(f"So zero-pad ∂L/∂ξ with (kernel height − 1) = {Kr - 1} row(s) and (kernel width − 1)"
                                 f" = {Kc - 1} column(s) on every side and slide w{at} over it WITHOUT flipping: "
                                 f"w{at} = {_inline(_rot180(ks[0][c]))}.")
                else:
                    lines.append("Each ξ[i,j] used w[m,n]·h[i+m, j+n], so ∂L/∂h[i+m, j+n] collects "
                                 "w[m,n]·∂L/∂ξ[i,j]: a full convolution of ∂L/∂ξ with w.")
                    lines.append(f"That is the correlation of ∂L/∂ξ, zero-padded with (kernel height − 1) = {Kr - 1} "
                                 f"row(s) and (kernel width − 1) = {Kc - 1} column(s) on every side, with the FLIPPED "
                                 f"kernel rot180(w{at}) = {_inline(_rot180(ks[0][c]))}.")
                if S > 1:
                    lines.append(f"Stride S = {S}: first put S − 1 = {S - 1} zero(s) between the entries of ∂L/∂ξ, "
                                 f"where the skipped outputs would have been.")
                if P:
                    lines.append(f"Padding P = {P}: this gives ∂L/∂h̃ of the padded input; drop its {P}-wide border "
                                 f"(the padding zeros are constants) to get ∂L/∂h.")
                if K > 1:
                    lines.append(f"Channel c = {c} fed every output map: add the terms of all K = {K} maps, each "
                                 f"with its own kernel w[·,·,{c},d] and gradient ∂L/∂ξ[·,·,d].")
                if S == 1 and K == 1:
                    padded = [[0] * (No + 2 * (Kc - 1)) for _ in range(Kr - 1)] + \
                        [[0] * (Kc - 1) + list(r) + [0] * (Kc - 1) for r in Gs[0]] + \
                        [[0] * (No + 2 * (Kc - 1)) for _ in range(Kr - 1)]
                    lines.append(f"Padded ∂L/∂ξ = {_inline(padded)}")
                for a in range(M):
                    for b in range(N):
                        # Every output (i, j) whose window covered h̃[a+P, b+P], times the weight that met it.
                        pairs = [(ks[e][c][a + P - S * i][b + P - S * j], Gs[e][i][j])
                                 for e in range(K) for i in range(Mo) for j in range(No)
                                 if 0 <= a + P - S * i < Kr and 0 <= b + P - S * j < Kc]
                        lines.append(f"∂L/∂h[{a},{b}{',' + str(c) if D1 > 1 else ''}] = {_terms(pairs)} "
                                     f"= {num(value[a][b])}")
            else:
                src = "h̃" if P else "h"
                if conv:
                    lines.append("∂L/∂w[a,b] = Σ_m Σ_n ∂L/∂ξ[m,n] h[m−a, n−b]: each output's gradient times the "
                                 "input pixel that w[a,b] multiplied in it.")
                    mi, nj = _affine(Kr - 1 - P, S, "i"), _affine(Kc - 1 - P, S, "j")
                    lines.append(f"With the outputs m = {mi}, n = {nj} this is the "
                                 f"correlation of {src} with ∂L/∂ξ" + (f" (dilated by the stride {S})" if S > 1 else "")
                                 + ", rotated by 180°.")
                else:
                    si, sj = _affine(0, S, "i"), _affine(0, S, "j")
                    lines.append(f"∂L/∂w[m,n] = Σ_i Σ_j ∂L/∂ξ[i,j] {src}[{si}+m, {sj}+n]: the correlation of {src} "
                                 "with ∂L/∂ξ" + (f" (dilated by the stride {S})." if S > 1 else "."))
                if K > 1:
                    lines.append(f"The kernel w[·,·,{c},{d}] feeds output map d = {d} only: use ∂L/∂ξ[·,·,{d}].")
                h, G = hs[c], Gs[d]
                for a in range(Kr):
                    for b in range(Kc):
                        # The pixel of h̃ that w[a,b] met in output (i, j); one in the padding is 0 and left out.
                        at_ij = [((Kr - 1 + S * i - a, Kc - 1 + S * j - b) if conv else (S * i + a, S * j + b), i, j)
                                 for i in range(Mo) for j in range(No)]
                        pairs = [(G[i][j], h[r][q]) for (r, q), i, j in at_ij if _on_input(r, q, M, N, P)]
                        idx = f"{a},{b}" + (f",{c},{d}" if K > 1 else f",{c}" if D1 > 1 else "")
                        lines.append(f"∂L/∂w[{idx}] = {_terms(pairs)} = {num(value[a][b])}")
            steps[part] = lines
        return steps

    def mistakes(self, p: dict) -> dict:
        M, N, *_ = _geometry(p)
        S, P = _stride_pad(p)
        Gs = [self._np_dilate(A(G), S) for G in _gs(p)]
        hs = [self._np_pad(A(h), P) for h in _hs(p)]
        ks = [[A(k) for k in row] for row in _effective_kernels(p)]
        D1 = _n_in(p)
        conv = _is_conv(p)

        def dh(c: int, flip: bool) -> object:
            """∂L/∂h of channel c, each kernel flipped (the rule) or not (one flip short, or too many)."""
            full = sum(self._np_full(G, row[c][::-1, ::-1] if flip else row[c]) for G, row in zip(Gs, ks))
            return full[P:P + M, P:P + N]

        def dw(c: int, d: int) -> object:
            dk = self._np_corr(hs[c], Gs[d])
            return dk[::-1, ::-1] if conv else dk

        wrong_dh, wrong_dw, swapped = {}, {}, {}
        for part, which, c, d in self._parts(p):
            if which == "h":
                wrong_dh[part] = dh(c, flip=False)  # the kernel's orientation is off by one flip
                if D1 >= 2:
                    swapped[part] = dh((c + 1) % D1, flip=True)  # another channel's kernel
            else:
                dk = self._np_corr(hs[c], Gs[d])
                wrong_dw[part] = dk if conv else dk[::-1, ::-1]
                if D1 >= 2:
                    swapped[part] = dw((c + 1) % D1, d)  # another channel's input
        out: dict = {"backward-flipped-twice" if conv else "backward-not-flipped": wrong_dh,
                     "dw-not-flipped" if conv else "dw-flipped": wrong_dw}
        if D1 >= 2:
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
    """``pool.max-backward``: the pooled map h and ∂L/∂x routed to each window's argmax.

    With ``relu_inside`` (the ECE 417 exam review's h = max ReLU(ξ)) a window whose maximum is ≤ 0 gives
    h = 0 and passes no gradient: the notes route ∂L/∂h to the argmax only when h > 0.
    """

    template_vars = ("out_rows", "out_cols", "last_row", "overlap", "row_i", "col_j", "pooled")

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
        if not fixed and rng.random() < RELU_DRAWS:
            # ECE 417's pooling with the ReLU inside, and a window that it silences (all entries < 0).
            p["relu_inside"] = True
            windows = list(_pool_windows(rows, cols, p["F"], p["S"]))
            if all(max(p["x"][a][b] for a, b in cells) > 0 for _, _, cells in windows):
                _, _, cells = windows[rng.randrange(len(windows))]
                for a, b in cells:
                    p["x"][a][b] = rng.choice((-3, -2, -1))
        return p

    def derive(self, p: dict) -> dict:
        rows, cols = _shape(p["x"])
        F, S = p["F"], p["S"]
        Ho, Wo = ((rows - F) // S + 1, (cols - F) // S + 1) if S and rows else (0, 0)
        overlap = ("The windows overlap (S < F): a cell that is the maximum of several windows receives the SUM of "
                   "their gradients." if S < F else
                   "The windows do not overlap (S ≥ F)." if S == F else
                   "S > F: some cells belong to no window and get zero gradient.")
        row_i, col_j = ("i", "j") if S == 1 else (f"{S}i", f"{S}j")
        pooled = f"x[{row_i} + a, {col_j} + b]"
        if p.get("relu_inside"):
            pooled = f"ReLU({pooled})"
            overlap += ("\nReLU inside the max, as in the ECE 417 exam review (h = max ReLU(ξ)): a window whose "
                        "entries are all ≤ 0\ngives h = 0, and its ∂L/∂h reaches no cell of x (the gradient goes to "
                        "the maximum only when h > 0).")
        return {"out_rows": Ho, "out_cols": Wo, "last_row": F - 1, "overlap": overlap,
                "row_i": row_i, "col_j": col_j, "pooled": pooled}

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
        relu = bool(p.get("relu_inside"))
        rows, cols = _shape(x)
        exact = {(a, b): R(x[a][b]) for a in range(rows) for b in range(cols)}
        distinct = sorted(set(exact.values()) | ({sympy.Integer(0)} if relu else set()))
        gap = min((hi - lo for lo, hi in zip(distinct, distinct[1:])), default=sympy.Integer(1))
        eps = gap / (2 * (rows * cols + 1))
        nudged = {cell: v - eps * k for k, (cell, v) in enumerate(exact.items())}  # k: row-major index
        # ReLU(max) = max(0, max): the 0 is nudged up by ε/2, so that it beats a cell that is exactly 0
        # (h = 0 passes no gradient) and loses to every positive one.
        floor = [eps / 2] if relu else []
        windows = list(_pool_windows(rows, cols, F, S))
        Ho, Wo = windows[-1][0] + 1, windows[-1][1] + 1
        t = sympy.Symbol("t")

        def window_max(entries: list):
            # Max(numbers…, t) is Max(m, t) with m the largest number: the numbers are compared exactly
            # here, and Max(m, t) is left as it is, since nothing decides between a number and a free t.
            # SymPy's own search for which arguments bound which (factor_terms on every pair) was most
            # of a key's time.  SymPy still differentiates Max(m, t): Heaviside(t − m).
            numbers = [v for v in entries if v.is_number]
            free = [v for v in entries if not v.is_number]
            if not free:
                return max(numbers)
            if numbers and len(free) == 1:
                return sympy.Max(max(numbers), free[0], evaluate=False)
            return sympy.Max(*numbers, *free)

        def loss(values: dict, cell):
            # The terms of L whose window holds ``cell``; the others do not depend on it.
            return sympy.Add(*[R(G[i][j]) * window_max([*floor, *[values[c] for c in cells]])
                               for i, j, cells in windows if cell in cells])

        dx = sympy.zeros(rows, cols)
        for cell in exact:
            dx[cell] = sympy.diff(loss({**nudged, cell: t}, cell), t).subs(t, nudged[cell])
        h = sympy.zeros(Ho, Wo)
        for i, j, cells in windows:
            h[i, j] = window_max([*([sympy.Integer(0)] if relu else []), *[exact[c] for c in cells]])
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
                h[i, j] = max(win.max(), 0.0) if p.get("relu_inside") else win.max()
                if p.get("relu_inside") and not h[i, j] > 0:
                    continue  # ECE 417: the gradient goes to the argmax only when h > 0
                a, b = divmod(int(np.argmax(win)), F)  # argmax: the first maximum in row-major order
                dx[i * S + a, j * S + b] += G[i, j]  # overlapping windows accumulate
        return {"h": h, "dx": dx}

    def solution(self, p: dict, key: dict) -> dict:
        x, F, S, G = p["x"], p["F"], p["S"], p["upstream"]
        rows, cols = _shape(x)
        si, sj = ("i", "j") if S == 1 else (f"{S}i", f"{S}j")
        relu = bool(p.get("relu_inside"))
        h_steps, dx_steps = [f"h[i,j] = max of the {F}×{F} window starting at row {si}, column {sj} of x"
                             + (", through the ReLU: h = max(0, that maximum)." if relu else ".")], []
        dx_steps.append("Each ∂L/∂h[i,j] goes to the cell holding its window's maximum (the first one in row-major "
                        "order when several tie); every other cell gets 0 from that window."
                        + (" With the ReLU inside, a window whose h is 0 sends nothing." if relu else ""))
        routed: dict = {}
        for i, j, cells in _pool_windows(rows, cols, F, S):
            vals = [x[a][b] for a, b in cells]
            top = max(vals)
            first = cells[vals.index(top)]
            ties = [c for c, v in zip(cells, vals) if v == top]
            shown = ", ".join(num(v) for v in vals)
            if relu and not top > 0:
                h_steps.append(f"h[{i},{j}] = ReLU(max({shown})) = ReLU({num(top)}) = 0")
                dx_steps.append(f"window ({i},{j}): h = 0 (every entry ≤ 0), so its ∂L/∂h = {num(G[i][j])} reaches "
                                f"no cell of x")
                continue
            h_steps.append(f"h[{i},{j}] = {'ReLU(' if relu else ''}max({shown}){')' if relu else ''} = {num(top)}")
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
        relu = bool(p.get("relu_inside"))
        rows, cols = x.shape
        every, last, all_max, overwrite, avg = (np.zeros_like(x) for _ in range(5))
        for i, j, cells in _pool_windows(rows, cols, F, S):
            g = G[i, j]
            vals = [x[a, b] for a, b in cells]
            top = max(vals)
            if relu and not top > 0:
                continue  # a window silenced by the ReLU: these slips are about the others
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
        if relu:
            # The plain max-pool: a window of entries ≤ 0 keeps its negative maximum and its gradient.
            plain = self.numeric({**p, "relu_inside": False})
            out["relu-ignored"] = {"h": plain["h"], "dx": plain["dx"]}
        return out
