"""LaTeX answers: read into the same tree as the plain answer, refused with a caret, bounded.

Every accepted row says, in the plain language, what the LaTeX means; the test asserts
that ``parse_latex`` gives the tree the plain parser gives for that plain text (so the
"parsed as" echo is plain), and that positions point into the LaTeX.  Every refused row
says where the caret goes.  Hostile rows must be refused quickly, without a traceback.
"""

from __future__ import annotations

import builtins
import os
import subprocess
import time

import pytest

from nncheck.lang.latex import latex_to_plain, looks_like_latex, parse_latex
from nncheck.lang.latex.transformer import MAX_SUM_TERMS, _math_span, to_node
from nncheck.lang.syntax import MAX_DEPTH, AnswerSyntaxError, Name, parse, to_text, walk

FREE = None  # any name is a symbol (derivations)
DERIV = {"derivatives": True, "equations": True}

# (LaTeX, the same answer typed plain, symbols, options)
ACCEPTED = [
    # -- fractions, roots, powers ----------------------------------------------------
    (r"\frac{1}{2}", "1/2", (), {}),
    (r"\dfrac{a+b}{c}", "(a+b)/c", FREE, {}),
    (r"\tfrac12", "1/2", (), {}),
    (r"\frac1n x", "(1/n)*x", FREE, {}),
    (r"\sqrt{x}", "sqrt(x)", {"x"}, {}),
    (r"\sqrt[3]{x + 1}", "(x+1)^(1/3)", {"x"}, {}),
    (r"\sqrt[2]{x}", "sqrt(x)", {"x"}, {}),
    (r"x^{2}", "x^2", {"x"}, {}),
    (r"x^2", "x^2", {"x"}, {}),
    (r"x^{-1}", "x^-1", {"x"}, {}),
    (r"2^{x^{2}}", "2^(x^2)", {"x"}, {}),
    (r"x^{\frac{1}{2}}", "x^(1/2)", {"x"}, {}),
    (r"\frac{e^{-\xi}}{(1+e^{-\xi})^2}", "exp(-xi)/(1+exp(-xi))^2", {"xi"}, {}),
    (r"0.5x", "0.5*x", {"x"}, {}),
    (r"-3", "-3", (), {}),
    (r"-x^2", "-(x^2)", {"x"}, {}),
    # -- grouping and delimiters -------------------------------------------------------
    (r"\left(x+1\right)\left(x-1\right)", "(x+1)*(x-1)", {"x"}, {}),
    (r"\big(x+1\big)^2", "(x+1)^2", {"x"}, {}),
    (r"\Bigl(x\Bigr) + \bigg[y\bigg]", "x + y", {"x", "y"}, {}),
    (r"\left[ x + 1 \right]^2", "(x+1)^2", {"x"}, {}),
    (r"{x+1}^2", "(x+1)^2", {"x"}, {}),
    (r"|x|", "abs(x)", {"x"}, {}),
    (r"|x| |y|", "abs(x)*abs(y)", {"x", "y"}, {}),
    (r"\lvert x - y \rvert", "abs(x - y)", {"x", "y"}, {}),
    (r"\left| x \right|^2", "abs(x)^2", {"x"}, {}),
    (r"\lvert \lvert x \rvert - 1 \rvert", "abs(abs(x) - 1)", {"x"}, {}),
    # -- products ----------------------------------------------------------------------
    (r"2x", "2*x", {"x"}, {}),
    (r"a \cdot b \times c \odot d", "a*b*c*d", FREE, {}),
    (r"a \div b", "a/b", FREE, {}),
    (r"y\ln\hat{y}", "y*ln(yhat)", {"y", "yhat"}, {}),
    (r"h(1-h)", "h*(1-h)", {"h"}, {}),
    (r"\frac{1}{n}(y - \hat{y})", "(1/n)*(y - yhat)", {"n", "y", "yhat"}, {}),
    (r"xy", "x*y", {"x", "y"}, {}),
    # -- functions -----------------------------------------------------------------------
    (r"\exp(x)", "exp(x)", {"x"}, {}),
    (r"\exp x", "exp(x)", {"x"}, {}),
    (r"e^{x}", "exp(x)", {"x"}, {}),
    (r"e^{-(w_1 - w_2) h}", "exp(-(w1 - w2)*h)", {"w1", "w2", "h"}, {}),
    (r"\mathrm{e}^{x}", "exp(x)", {"x"}, {}),
    (r"e", "e", (), {}),
    (r"\ln x + 1", "ln(x) + 1", {"x"}, {}),
    (r"\ln(x)^2", "ln(x)^2", {"x"}, {}),
    (r"\ln x^2", "ln(x^2)", {"x"}, {}),
    (r"\log\left(1 - \hat{y}\right)", "log(1 - yhat)", {"yhat"}, {}),
    (r"\ln \sigma(\xi)", "ln(sigma(xi))", {"xi"}, {}),
    (r"\tanh(\xi)", "tanh(xi)", {"xi"}, {}),
    (r"\tanh^2 x", "tanh(x)^2", {"x"}, {}),
    (r"\tanh^2(\xi)", "tanh(xi)^2", {"xi"}, {}),
    (r"1 - \tanh^{2}\xi", "1 - tanh(xi)^2", {"xi"}, {}),
    (r"\sigma(\xi)(1-\sigma(\xi))", "sigma(xi)*(1 - sigma(xi))", {"xi"}, {}),
    (r"\sigma\left((\bar{w}_1 - \bar{w}_2)\vec{h}\right)", "sigma((wbar1 - wbar2)*h)", FREE, {}),
    (r"\mathrm{ReLU}(x)", "relu(x)", {"x"}, {}),
    (r"\operatorname{relu}(x)", "relu(x)", {"x"}, {}),
    (r"\operatorname{sigmoid}(x)", "sigma(x)", {"x"}, {}),
    (r"\text{ReLU}(x)", "relu(x)", {"x"}, {}),
    (r"\max(0, x)", "max(0, x)", {"x"}, {}),
    (r"\min\left(a, b, 1\right)", "min(a, b, 1)", {"a", "b"}, {}),
    (r"\dot{\sigma}(\xi)", "sigma'(xi)", {"xi"}, {"derivatives": True}),
    (r"\dot\sigma(\xi)", "sigma'(xi)", {"xi"}, {"derivatives": True}),
    (r"\sigma'(\xi)", "sigma'(xi)", {"xi"}, {"derivatives": True}),
    (r"\tanh'(\xi)", "tanh'(xi)", {"xi"}, {"derivatives": True}),
    (r"\mathrm{ReLU}'(x)", "relu'(x)", {"x"}, {"derivatives": True}),
    # -- names -------------------------------------------------------------------------
    (r"\xi + \alpha", "xi + alpha", {"xi", "alpha"}, {}),
    (r"\hat{y}", "yhat", {"yhat"}, {}),
    (r"\hat y_1", "yhat1", {"yhat1"}, {}),
    (r"\bar{w}", "wbar", {"wbar"}, {}),
    (r"\vec{h}", "h", {"h"}, {}),
    (r"\mathbf{x} + \boldsymbol{z}", "x + z", {"x", "z"}, {}),
    (r"\mathcal{L}", "L", {"L"}, {}),
    (r"\tilde{C}", "Ctilde", {"Ctilde"}, {}),
    (r"W^{(1)}", "W1", {"W1"}, {}),
    (r"\xi^{(2)}_i", "xi_i2", FREE, {}),
    (r"y_k", "y_k", {"y_k"}, {}),
    (r"y_{ki}", "y_ki", {"y_ki"}, {}),
    (r"y_{c,i}", "y_c_i", {"y_c_i"}, {}),
    (r"x_1 + x_{12}", "x1 + x12", {"x1", "x12"}, {}),
    (r"\xi_i", "xi_i", {"xi_i"}, {}),
    (r"\mathrm{lr} \cdot g", "lr*g", {"lr", "g"}, {}),
    (r"\pi r^2", "pi*r^2", {"r"}, {}),
    (r"\ell", "l", {"l"}, {}),
    (r"ξ + σ(ξ)", "xi + sigma(xi)", {"xi"}, {}),
    (r"W^\top", "Wᵀ", {"W"}, {}),
    # -- derivatives -------------------------------------------------------------------
    (r"\frac{d\sigma}{d\xi}", "d/dxi(sigma(xi))", {"xi"}, DERIV),
    (r"\frac{d}{d\xi}\left(\frac{1}{1+e^{-\xi}}\right)", "d/dxi(1/(1+exp(-xi)))", {"xi"}, DERIV),
    (r"\frac{d}{dx} x^2 + 1", "d/dx(x^2) + 1", {"x"}, DERIV),
    (r"\frac{dh}{d\xi}", "d/dxi(h)", FREE, DERIV),
    (r"\frac{d\tanh(\xi)}{d\xi}", "d/dxi(tanh(xi))", {"xi"}, DERIV),
    (r"\frac{d\tanh}{d\xi}", "d/dxi(tanh(xi))", {"xi"}, DERIV),
    (r"\frac{d\mathsf{ReLU}(\xi)}{d(\xi)}", "d/dxi(relu(xi))", {"xi"}, DERIV),
    (r"\frac{\partial L}{\partial \xi}", "d/dxi(L)", FREE, DERIV),
    (r"\frac{\partial \mathcal{L}}{\partial \xi_{i}}", "d/dxi_i(L)", FREE, DERIV),
    (r"\frac{\partial \ln \sigma(\xi_i)}{\partial \xi_i}", "d/dxi_i(ln(sigma(xi_i)))", FREE, DERIV),
    (r"\frac{\mathrm{d}y}{\mathrm{d}x}", "d/dx(y)", FREE, DERIV),
    (r"\frac{d^2 y}{dx^2}", "d/dx(d/dx(y))", FREE, DERIV),
    (r"\frac{\partial}{\partial w} \frac{(wx - y)^2}{2}", "d/dw((w*x - y)^2/2)", FREE, DERIV),
    (r"\frac{dW^{(1)}}{dx}", "d/dx(W1)", FREE, DERIV),
    # -- sums over numbers ---------------------------------------------------------------
    (r"\sum_{i=1}^{3} y_i \ln \hat{y}_i", "y1*ln(yhat1) + y2*ln(yhat2) + y3*ln(yhat3)", FREE, {}),
    (r"-\sum_{k=1}^{2} y_k", "-(y1 + y2)", FREE, {}),
    (r"\sum_{i=0}^{2} i x_i + 1", "(0*x0 + 1*x1 + 2*x2) + 1", FREE, {}),
    (r"\sum_{\ell=1}^{2} e^{z_\ell}", "exp(z1) + exp(z2)", FREE, {}),
    (r"\sum_{i=1}^{2}\sum_{j=1}^{i} a_{ij}", "(a11) + (a21 + a22)", FREE, {}),
    (r"\sum\limits_{i=1}^2 x_i", "x1 + x2", FREE, {}),
    # -- relations, spacing, delimiters around the answer --------------------------------
    (r"h = \sigma(\xi) = \frac{1}{1 + e^{-\xi}}", "h = sigma(xi) = 1/(1 + exp(-xi))", FREE, DERIV),
    (r"a \le b", "a <= b", FREE, {"relations": True}),
    (r"0 < \hat{y} < 1", "0 < yhat < 1", FREE, {"relations": True}),
    (r"a \neq b", "a != b", FREE, {"relations": True}),
    (r"x \coloneqq 2", "x = 2", FREE, {"equations": True}),
    (r"$x^2$", "x^2", {"x"}, {}),
    (r"$$ x^2 $$", "x^2", {"x"}, {}),
    (r"\( x \)", "x", {"x"}, {}),
    (r"\[ x \]", "x", {"x"}, {}),
    (r"\displaystyle \, x \; + \! \quad 1 ~", "x + 1", {"x"}, {}),
    (r"x % a comment" + "\n+ 1", "x + 1", {"x"}, {}),
    (r"\text{none}", "none", (), {"words": {"none"}}),
]


@pytest.mark.parametrize("latex,plain,symbols,options", ACCEPTED, ids=[r[0] for r in ACCEPTED])
def test_latex_reads_as_the_plain_answer(latex, plain, symbols, options):
    got = parse_latex(latex, symbols, **options)
    want = parse(plain, symbols, **options)
    assert got == want, f"{latex!r} read as {to_text(got)!r}, expected {to_text(want)!r}"
    echo = to_text(got)
    assert "\\" not in echo and "{" not in echo  # the echo is plain
    assert parse(echo, symbols, **options) == got
    # Positions point into the LaTeX, inside the answer.
    for n in walk(got):
        assert 0 <= n.pos <= n.end <= len(latex), (n, n.pos, n.end)


def test_positions_point_at_the_latex_that_made_each_node():
    text = r"\frac{1}{1+e^{-\xi}} + \hat{y}_i"
    node = parse_latex(text, None)
    names = {n.name: n for n in walk(node) if isinstance(n, Name)}
    assert text[names["xi"].pos:].startswith("\\xi")
    assert text[names["yhat_i"].pos:names["yhat_i"].end] == "\\hat{y}_i"
    assert node.pos == 0 and node.end == len(text)


def test_latex_to_plain_is_the_echo():
    assert latex_to_plain(r"\frac{d\sigma}{d\xi} = \frac{e^{-\xi}}{(1+e^{-\xi})^2}") == \
        "d/dxi(sigma(xi)) = exp(-xi)/(1 + exp(-xi))^2"
    assert latex_to_plain(r"\tanh^2 x") == "tanh(x)^2"


def test_the_latex_tree_survives_the_plain_printer_unchanged():
    """The seam the position map relies on: the printed tree reads back as the same tree."""
    for latex, _plain, _symbols, _options in ACCEPTED:
        lo, hi = _math_span(latex)
        node = to_node(latex, symbols=None, lo=lo, hi=hi)
        again = parse(to_text(node), None, relations=True, derivatives=True, equations=True)
        assert again == node, latex


# ----------------------------------------------------------------------------
# Fitting a LaTeX name to the problem's symbols.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("latex,symbols,name", [
    (r"\bar{w}_1", {"w1"}, "w1"),
    (r"\bar{w}_1", {"wbar1"}, "wbar1"),
    (r"\bar{w}_1", {"w_1"}, "w_1"),
    (r"x_1", {"x_1"}, "x_1"),
    (r"x_1", {"x1"}, "x1"),
    (r"\xi_i", {"xi"}, "xi"),
    (r"\hat{y}_i", {"yhat"}, "yhat"),
    (r"\hat{y}_i", {"yhat_i", "yhat"}, "yhat_i"),
])
def test_a_latex_name_takes_the_form_the_problem_declares(latex, symbols, name):
    node = parse_latex(latex, symbols)
    assert isinstance(node, Name) and node.name == name


def test_without_declared_symbols_names_stay_as_spelled():
    assert latex_to_plain(r"\bar{w}_1 + \xi_i") == "wbar1 + xi_i"


# ----------------------------------------------------------------------------
# Refused, with the caret under the cause.
# ----------------------------------------------------------------------------
# (LaTeX, symbols, options, code, where the caret goes (a substring of the LaTeX), words of the message)
REFUSED = [
    (r"x + \foo{y}", {"x", "y"}, {}, "syntax", r"\foo", "unknown LaTeX command"),
    (r"\def\x{1} \x", (), {}, "forbidden", r"\def", "expands no macros"),
    (r"\newcommand{\R}{x} \R", (), {}, "forbidden", r"\newcommand", "expands no macros"),
    (r"\input{/etc/passwd}", (), {}, "forbidden", r"\input", "runs no TeX"),
    (r"\include{x}", (), {}, "forbidden", r"\include", "runs no TeX"),
    (r"\catcode`\^=11", (), {}, "forbidden", r"\catcode", "runs no TeX"),
    (r"\immediate\write18{rm -rf /}", (), {}, "forbidden", r"\immediate", "runs no TeX"),
    (r"\csname x\endcsname", (), {}, "forbidden", r"\csname", "runs no TeX"),
    (r"\directlua{os.execute('x')}", (), {}, "forbidden", r"\directlua", "runs no TeX"),
    (r"x + \sin x", {"x"}, {}, "unknown-function", r"\sin", "not part of the answer language"),
    (r"\mathsf{softmax}(x)", {"x"}, {}, "unknown-function", r"\mathsf", "softmax"),
    (r"\operatorname{foo}(x)", {"x"}, {}, "unknown-function", r"\operatorname", "unknown function"),
    (r"\text{input gate}", FREE, {}, "syntax", r"\text", "not read as math"),
    (r"\mathrm{__import__}", FREE, {}, "syntax", r"\mathrm", "not read as math"),
    (r"\left. x \right|", {"x"}, {}, "syntax", ".", "invisible delimiter"),
    (r"\left( x \right]", {"x"}, {}, "syntax", r"\right", "closed by"),
    (r"\left( x", {"x"}, {}, "syntax", r"\left", "missing \\right"),
    (r"x^2}", {"x"}, {}, "syntax", "}", "unmatched '}'"),
    (r"\frac{1}{x", {"x"}, {}, "syntax", "{x", "missing '}'"),
    (r"(x + 1", {"x"}, {}, "syntax", "(", "missing ')'"),
    (r"x + 1)", {"x"}, {}, "syntax", ")", "unmatched ')'"),
    (r"x^", {"x"}, {}, "syntax", "^", "needs an argument"),
    (r"^2", {"x"}, {}, "syntax", "^", "needs something before it"),
    (r"x^2^3", {"x"}, {}, "syntax", "^3", "double superscript"),
    (r"x^23", {"x"}, {}, "syntax", "3", "a number right after"),
    (r"x 2", {"x"}, {}, "syntax", "2", "a number right after"),
    (r"1/2x", {"x"}, {}, "syntax", "x", "ambiguous"),
    (r"e^-x", {"x"}, {}, "syntax", "-", "in braces"),
    (r"\tanh^{-1} x", {"x"}, {}, "syntax", "{-1}", "inverse"),
    (r"\log_2 x", {"x"}, {}, "syntax", "2", "subscript"),
    (r"\max x", {"x"}, {}, "syntax", r"\max", "parentheses"),
    (r"\ln", (), {}, "syntax", "", "needs an argument"),
    (r"f'(x)", FREE, {}, "syntax", "'", "prime"),
    (r"\dot{x}", FREE, {}, "syntax", r"\dot", "over \\sigma"),
    (r"\partial x", FREE, {}, "syntax", r"\partial", "derivative"),
    (r"W^{(t)}", FREE, {}, "syntax", "{(t)}", "layer number"),
    (r"x_{i+1}", FREE, {}, "syntax", "+", "subscript"),
    (r"\sum_{i=1}^{n} x_i", FREE, {}, "syntax", "n", "whole numbers (here n)"),
    (r"\sum_{i} x_i", FREE, {}, "syntax", r"\sum", "range"),
    (r"\sum_{i=1}^{1000} x_i", FREE, {}, "too-complex", r"\sum", "too long to write out"),
    (r"\cdots", FREE, {}, "syntax", r"\cdots", "write the terms out"),
    (r"x \approx y", FREE, {}, "syntax", r"\approx", "equality"),
    (r"\|x\|", FREE, {}, "syntax", r"\|", "norms"),
    (r"\begin{bmatrix} 1 \end{bmatrix}", FREE, {}, "syntax", r"\begin", "environment"),
    (r"a \\ b", FREE, {}, "syntax", "\\\\", "line break"),
    (r"a &= b", FREE, {"equations": True}, "syntax", "&", "align"),
    ('x"', FREE, {}, "forbidden", '"', "strings"),
    ("x\u200b + 1", FREE, {}, "syntax", "\u200b", "invisible"),
    (r"$x", FREE, {}, "syntax", "$", "never closed"),
    (r"(a, b)", FREE, {}, "syntax", ",", "tuple"),
    (r"x^{\prime}", FREE, {}, "syntax", r"{\prime}", "prime"),
    # Found by the plain parser on the printed text, shown under the LaTeX that made it.
    (r"\frac{1}{z}", {"x"}, {}, "unknown-name", "z", "unknown name 'z'"),
    (r"x + \hat{y}_i", {"x"}, {}, "unknown-name", r"\hat", "yhat_i"),
    (r"x = 2", {"x"}, {}, "syntax", "=", "'=' is not allowed"),
    (r"x \le 2", {"x"}, {}, "syntax", r"\le", "'<'"),
    (r"\dot{\sigma}(x)", {"x"}, {}, "unknown-function", r"\dot", "derivative"),
    (r"\frac{d}{dz} x", {"x"}, {"derivatives": True}, "unknown-name", r"\frac", "unknown variable 'z'"),
    (r"\sum_{i=1}^{40} \sum_{j=1}^{40} x_{ij}", FREE, {}, "too-complex", r"\sum_{j", "too complex"),
]


@pytest.mark.parametrize("latex,symbols,options,code,at,words", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_latex_has_a_caret_under_its_cause(latex, symbols, options, code, at, words):
    with pytest.raises(AnswerSyntaxError) as info:
        parse_latex(latex, symbols, **options)
    e = info.value
    assert e.code == code, (e.code, e.message)
    assert words in e.message, e.message
    assert e.text == latex
    want = latex.index(at) if at else len(latex)
    assert e.pos == want, f"caret at {e.pos} ({latex[e.pos:e.pos + 8]!r}), expected {want}: {e.message}"
    assert "^" in e.caret()


def test_looks_like_latex():
    for latex, plain, _s, _o in ACCEPTED:
        assert not looks_like_latex(plain), plain  # the plain language never has \, {, } or $
        if any(m in latex for m in "\\{}$"):
            assert looks_like_latex(latex)
    assert not looks_like_latex("sigma(xi)*(1 - sigma(xi))")
    assert not looks_like_latex("x_1^2 + ŷ")
    assert looks_like_latex(r"\frac12") and looks_like_latex("x_{1}") and looks_like_latex("$x$")


# ----------------------------------------------------------------------------
# Bounds and hostile input: refused quickly, no traceback, nothing run.
# ----------------------------------------------------------------------------
HOSTILE = [
    "{" * 100_000,
    "{" * (MAX_DEPTH + 1) + "x" + "}" * (MAX_DEPTH + 1),
    r"\frac" * 100_000,
    r"\frac" * 700 + "1" * 1400,
    r"\frac{1}{" * 700 + "x" + "}" * 700,
    r"\frac{1}{" * 61 + "x" + "}" * 61,
    r"\sqrt" * 1000 + "x",
    r"\left(" * 600 + "x" + r"\right)" * 600,
    "(" * 3000 + "x" + ")" * 3000,
    "-" * 3000 + "x",
    "x+" * 1999 + "x",
    "x" * 100_000,
    "|" * 3000,
    "x^{" * 1000 + "x" + "}" * 1000,
    r"x^{99999999999999999999999999999999999999999999999999999999999999999999}",
    r"10^{10^{10^{10^{10}}}}",
    r"\sum_{i=1}^{99999999999} x_i",
    r"\sum_{i=1}^{50}\sum_{j=1}^{50}\sum_{k=1}^{50} x",
    r"\frac\," * 2000 + "12",
    r"\text{" + "{" * 3000 + "}" * 3000 + "}",
    r"\mathrm{" * 2000,
    r"\left" * 3000,
    "\\" * 3000,
    r"\hat{" * 1000 + "y" + "}" * 1000,
]


@pytest.mark.parametrize("latex", HOSTILE, ids=[h[:24] + f"…({len(h)})" for h in HOSTILE])
def test_hostile_latex_is_answered_quickly_without_a_traceback(latex):
    t0 = time.monotonic()
    try:
        node = parse_latex(latex, None)
    except AnswerSyntaxError as e:
        assert e.code in ("syntax", "too-long", "too-deep", "too-complex", "forbidden"), e.code
        assert e.caret()
    else:
        to_text(node)  # accepted ones (a tower of powers) are still bounded trees
    assert time.monotonic() - t0 < 1.0


def test_nesting_up_to_the_limit_is_read():
    depth = MAX_DEPTH // 2
    text = r"\frac{1}{1+" * depth + "x" + "}" * depth
    assert to_text(parse_latex(text, {"x"})).count("(") >= depth - 1


def test_sum_bound_is_the_documented_one():
    assert parse_latex(rf"\sum_{{i=1}}^{{{MAX_SUM_TERMS}}} x_i", None)
    with pytest.raises(AnswerSyntaxError):
        parse_latex(rf"\sum_{{i=1}}^{{{MAX_SUM_TERMS + 1}}} x_i", None)


INJECTIONS = [
    r"\input{/etc/passwd}",
    r"\immediate\write18{touch /tmp/nncheck-latex-pwned}",
    r"\directlua{os.execute('touch /tmp/nncheck-latex-pwned')}",
    r"\def\a{\a}\a",
    r"\newcommand{\x}{\input{/etc/passwd}}\x",
    r"\openin1=/etc/passwd",
    r"\usepackage{shellesc}",
    r"\text{__import__('os').system('id')}",
    r"\mathrm{eval}(x)",
    r"\operatorname{exec}(x)",
    r"\text{$\input{x}$}",
    r"\expandafter\csname input\endcsname{x}",
    r"\lowercase{\INPUT{x}}",
    r"\scantokens{\input{x}}",
]


@pytest.mark.parametrize("latex", INJECTIONS)
def test_no_latex_payload_reaches_a_file_a_shell_or_eval(latex, monkeypatch):
    hits = []

    def canary(*a, **k):
        hits.append(a)
        raise AssertionError("canary reached")

    for mod, attr in ((builtins, "open"), (builtins, "eval"), (builtins, "exec"), (os, "system"),
                      (os, "popen"), (subprocess, "Popen")):
        monkeypatch.setattr(mod, attr, canary)
    with pytest.raises(AnswerSyntaxError):
        parse_latex(latex, {"x"})
    assert not hits
