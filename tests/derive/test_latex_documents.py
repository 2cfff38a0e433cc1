"""LaTeX documents as derivations: the course notes' derivations, typed as the notes print them.

``nncheck.lang.latex.document`` turns a whole ``.tex`` document into plain derivation lines;
the derivation checker then reads them as it reads a plain file.  The fixtures in
``files/latex/`` are the ECE 417 exam review's derivations (sigmoid derivative, tanh as a
scaled sigmoid and its derivative, the BCE gradient with the notes' own typo, the two-class
softmax as a sigmoid), with prose, comments and labels around them as in homework.
Expected lines and verdicts are written from the mathematics.
"""

from __future__ import annotations

import os
import time

import pytest

from nncheck.derive.core import check_derivation
from nncheck.derive.lines import read_text
from nncheck.lang.latex import derivation_lines, read_document
from nncheck.lang.latex.document import MAX_DOCUMENT_CHARS, MAX_STEPS
from nncheck.lang.syntax import AnswerSyntaxError, parse

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files", "latex")
CODES = {"valid": "v", "invalid": "x", "unparsable": "!", "undecided": "?"}
TYPO = r"\frac{1 - \dot{\sigma}(\xi_i)}{1 - \sigma(\xi_i)}"
FIXED = r"\frac{\dot{\sigma}(\xi_i)}{1 - \sigma(\xi_i)}"


def _tex(name: str) -> str:
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        return fh.read()


def _same(a: str, b: str) -> bool:
    """Two plain lines say the same thing (the reader's options; '= x' continuations too)."""
    def read(s):
        s = s.strip()
        cont = s.startswith("=")
        return cont, parse(s[1:] if cont else s, None, derivatives=True, equations=True)

    return read(a) == read(b)


# (fixture, [(.tex line, plain line as the mathematics says)])
EXPECTED_LINES = {
    "sigmoid.tex": [
        (11, "h = sigma(xi) = 1/(1 + exp(-xi))"),
        (11, "d/dxi(h) = sigma'(xi) = exp(-xi)/(1 + exp(-xi))^2"),
        (16, "d/dxi(sigma(xi)) = exp(-xi)/(1 + exp(-xi))^2"),
        (16, "= (1/(1 + exp(-xi))) * (exp(-xi)/(1 + exp(-xi)))"),
        (16, "= (1/(1 + exp(-xi))) * (1 - 1/(1 + exp(-xi)))"),
        (16, "= sigma(xi)(1 - sigma(xi))"),
        (16, "= h(1 - h)"),
    ],
    "sigmoid_homework.tex": [
        (8, "d/dxi(sigma(xi))"),
        (9, "= d/dxi(1/(1 + exp(-xi)))"),
        (10, "= exp(-xi)/(1 + exp(-xi))^2"),
        (11, "= (1/(1 + exp(-xi))) * (exp(-xi)/(1 + exp(-xi)))"),
        (12, "= (1/(1 + exp(-xi))) * (1 - 1/(1 + exp(-xi)))"),
        (14, "= sigma(xi)(1 - sigma(xi))"),
        (15, "= h(1 - h)"),
    ],
    "tanh.tex": [
        (8, "h = tanh(xi) = (exp(xi) - exp(-xi))/(exp(xi) + exp(-xi)) = (1 - exp(-2xi))/(1 + exp(-2xi))"
            " = 2 sigma(2xi) - 1"),
        (12, "d/dxi(tanh(xi)) = 1 - tanh(xi)^2"),
    ],
    "bce.tex": [
        (10, "yhat_i = sigma(xi_i)"),
        (11, "L = -(1/n)(y_i ln(yhat_i) + (1 - y_i) ln(1 - yhat_i))"),
        (15, "d/dxi_i(L) = -(1/n)(y_i d/dxi_i(ln(sigma(xi_i))) + (1 - y_i) d/dxi_i(ln(1 - sigma(xi_i))))"),
        (15, "= -(1/n)(y_i (sigma'(xi_i)/sigma(xi_i)) - (1 - y_i) ((1 - sigma'(xi_i))/(1 - sigma(xi_i))))"),
        (15, "= -(1/n)(y_i (yhat_i (1 - yhat_i)/yhat_i) - (1 - y_i) (yhat_i (1 - yhat_i)/(1 - yhat_i)))"),
        (15, "= -(1/n)(y_i - yhat_i)"),
    ],
    "bce_lines.tex": [
        (5, "yhat_i = sigma(xi_i)"),
        (6, "L = -(1/n)(y_i ln(yhat_i) + (1 - y_i) ln(1 - yhat_i))"),
        (8, "d/dxi_i(L) = -(1/n)(y_i d/dxi_i(ln(sigma(xi_i))) + (1 - y_i) d/dxi_i(ln(1 - sigma(xi_i))))"),
        (9, "= -(1/n)(y_i (sigma'(xi_i)/sigma(xi_i)) - (1 - y_i) ((1 - sigma'(xi_i))/(1 - sigma(xi_i))))"),
        (10, "= -(1/n)(y_i (yhat_i (1 - yhat_i)/yhat_i) - (1 - y_i) (yhat_i (1 - yhat_i)/(1 - yhat_i)))"),
        (11, "= -(1/n)(y_i - yhat_i)"),
    ],
    "softmax.tex": [
        (8, "exp(wbar1 h)/(exp(wbar1 h) + exp(wbar2 h))"),
        (9, "= 1/(1 + exp(-(wbar1 - wbar2) h))"),
        (10, "= sigma((wbar1 - wbar2) h)"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_LINES))
def test_each_document_becomes_the_plain_lines_of_its_derivation(name):
    lines = derivation_lines(_tex(name))
    assert [ml.error for ml in lines] == [None] * len(lines), [ml.error.caret() for ml in lines if ml.error]
    got = [(ml.number, ml.text) for ml in lines]
    want = EXPECTED_LINES[name]
    assert [n for n, _ in got] == [n for n, _ in want]
    for (_, g), (_, w) in zip(got, want):
        assert _same(g, w), f"{g!r} is not {w!r}"


# (fixture, the status of every step in order, the .tex line of the first wrong step or None)
VERDICTS = [
    ("sigmoid.tex", "vvvvvvvv", None),
    ("tanh.tex", "vvvv", None),
    ("softmax.tex", "vv", None),
    ("bce.tex", "vxxv", 15),
    ("bce_lines.tex", "vxxv", 9),
]


@pytest.mark.parametrize("name,statuses,first_wrong", VERDICTS, ids=[v[0] for v in VERDICTS])
def test_the_notes_derivations_check_with_the_right_verdicts(name, statuses, first_wrong):
    doc = read_document(_tex(name))
    report = check_derivation(doc.text, isolate=False)
    assert "".join(CODES[s.status] for s in report.steps) == statuses, report.summary()
    bad = report.first_invalid
    if first_wrong is None:
        assert bad is None and report.valid
    else:
        # The notes' typo (1 - σ̇ where σ̇ belongs) is the first wrong step, on its .tex line.
        assert bad is not None and doc.line_of(bad.line) == first_wrong
        assert bad.index == 2


@pytest.mark.parametrize("name", ["bce.tex", "bce_lines.tex"])
def test_the_bce_gradient_with_the_typo_fixed_is_valid(name):
    tex = _tex(name).replace(TYPO.replace("_i", "_{i}"), FIXED.replace("_i", "_{i}")).replace(TYPO, FIXED)
    assert tex != _tex(name)
    report = check_derivation(read_document(tex).text, isolate=False)
    assert report.valid, report.summary()


def test_steps_are_numbered_with_the_lines_of_the_tex():
    doc = read_document(_tex("sigmoid_homework.tex"))
    report = check_derivation(doc.text, isolate=False)
    # Rows 9-12, 14 and 15 (row 12 is wrapped over lines 12-13); the plain text keeps the numbers.
    assert [s.line for s in report.steps] == [9, 10, 11, 12, 14, 15]
    assert [doc.line_of(s.line) for s in report.steps] == [9, 10, 11, 12, 14, 15]


def test_two_equations_on_one_tex_line_keep_their_line_number():
    doc = read_document(_tex("sigmoid.tex"))
    report = check_derivation(doc.text, isolate=False)
    assert {doc.line_of(s.line) for s in report.steps} == {11, 16}
    assert report.valid


# ----------------------------------------------------------------------------
# Bank problems: the same LaTeX, with the names fitted to the problem's symbols.
# ----------------------------------------------------------------------------
def _problem(catalog, family_id: str):
    from nncheck.generate.variant import make_variant
    from nncheck.key.compute import answer_key
    from nncheck.kinds.derivation import problem_for

    key = answer_key(make_variant(catalog.get(family_id), 1, {}))
    return problem_for(key.parts["derivation"].spec)


@pytest.mark.parametrize("family,name", [("derive.sigmoid-derivative", "sigmoid_homework.tex"),
                                         ("derive.softmax-two-class", "softmax.tex")])
def test_latex_homework_checks_against_its_bank_problem(catalog, family, name):
    problem = _problem(catalog, family)
    doc = read_document(_tex(name), symbols=set(problem.symbols))
    report = check_derivation(doc.text, problem=problem, isolate=False)
    assert report.valid and report.finished is True, report.summary()


# ----------------------------------------------------------------------------
# How a document is read.
# ----------------------------------------------------------------------------
def _texts(tex: str, **kw) -> list[str]:
    return [ml.text if ml.error is None else "!" + ml.error.message for ml in derivation_lines(tex, **kw)]


def test_prose_inline_math_comments_and_the_preamble_are_not_steps():
    tex = (r"\documentclass{article}" "\n"
           r"\newcommand{\R}{x+1}  % never expanded" "\n"
           r"\begin{document} Let $a = b$ and \(c = d\); 50\% of $\$$ 5." "\n"
           r"% \[ commented = out \]" "\n"
           r"\[ x = y \]  \end{document}")
    assert _texts(tex) == ["x = y"]


def test_a_preamble_macro_used_in_math_is_an_unknown_command_with_a_caret():
    tex = "\\newcommand{\\R}{x}\n\\[\n  y = \\R + 1\n\\]\n"
    (ml,) = derivation_lines(tex)
    assert ml.error is not None and "unknown LaTeX command" in ml.error.message
    assert ml.number == 3 and ml.error.text == "  y = \\R + 1"
    assert ml.error.caret().splitlines()[1].index("^") == ml.error.text.index("\\R")


def test_labels_tags_nonumber_and_text_remarks_are_dropped():
    tex = (r"\begin{align*} a &= b + c \label{e1} \nonumber \\"
           "\n"
           r"  &= c + b \quad \text{(commutative)} \tag{2} \\"
           "\n"
           r"  &= \text{lr} \cdot b \notag"
           "\n"
           r"\end{align*}")
    assert _texts(tex) == ["a = b + c", "= c + b", "= lr*b"]


def test_columns_of_align_are_separate_equations():
    tex = r"\begin{align} a &= b & c &= d \\ e &= f \end{align}"
    assert _texts(tex) == ["a = b", "c = d", "e = f"]


def test_eqnarray_aligns_on_both_ampersands():
    assert _texts(r"\begin{eqnarray} a &=& b \\ &=& c \end{eqnarray}") == ["a = b", "= c"]


def test_wrapped_rows_and_trailing_relations_join_their_statement():
    tex = (r"\begin{align} L &= \\ &\quad a + b \\ &\quad + c \\ &\quad - d \\ &= e"
           "\n"
           r"\end{align}")
    assert _texts(tex) == ["L = a + b + c - d", "= e"]


def test_gather_multline_split_and_display_math():
    tex = (r"\begin{gather} a = b \\ c = d \end{gather}"
           r"\begin{multline} e = f \\ + g \end{multline}"
           r"\begin{equation} \begin{split} h &= i \\ &= j \end{split} \end{equation}"
           r"$$ k = l $$ \[ m = n, \quad o = p. \]"
           r"\begin{alignat}{2} q &= r \end{alignat}")
    assert _texts(tex) == ["a = b", "c = d", "e = f + g", "h = i", "= j", "k = l", "m = n", "o = p", "q = r"]


def test_a_line_break_with_spacing_is_still_a_line_break():
    assert _texts(r"\begin{align} a &= b \\[4pt] &= c \\* &= d \end{align}") == ["a = b", "= c", "= d"]


def test_a_bare_chain_is_read_as_one_align_block():
    # What `check --answer` gets: a derivation typed straight in LaTeX, no document around it.
    assert _texts(r"\frac{d\sigma}{d\xi} &= \frac{e^{-\xi}}{(1+e^{-\xi})^2} \\ &= \sigma(\xi)(1-\sigma(\xi))") \
        == ["d/dxi(sigma(xi)) = exp(-xi)/(1 + exp(-xi))^2", "= sigma(xi)*(1 - sigma(xi))"]
    assert _texts("$a = b$") == ["a = b"]


def test_in_bare_math_a_new_line_is_a_new_row_as_in_the_plain_format():
    tex = "\\frac{d\\sigma}{d\\xi} = \\frac{e^{-\\xi}}{(1+e^{-\\xi})^2}\n\\sigma(\\xi)(1-\\sigma(\\xi))\n  + 0\n= h"
    assert _texts(tex) == ["d/dxi(sigma(xi)) = exp(-xi)/(1 + exp(-xi))^2", "sigma(xi)*(1 - sigma(xi)) + 0", "= h"]


def test_two_equations_on_two_lines_of_one_block_are_two_statements():
    # TeX would typeset "a = b c = d"; nobody means that product.
    tex = "\\[\n a = b\n c = d \\\\ e = \\frac{f}\n {g}\n\\]"
    assert _texts(tex) == ["a = b", "c = d", "e = f/g"]


def test_a_block_never_closed_is_an_error_line():
    lines = derivation_lines("text\n\\begin{align}\n a &= b\n")
    assert len(lines) == 1 and lines[0].number == 2 and "never closed" in lines[0].error.message


def test_errors_found_on_the_plain_text_are_shown_under_the_latex():
    tex = "Some prose.\n\\begin{align}\n  a &= \\sigma + 2 \\\\\n  &= 1 + \\tanh\n\\end{align}\n"
    doc = read_document(tex)
    parsed = read_text(doc.text)
    errors = [(doc.line_of(ln.number), doc.map_error(ln.number, ln.error)) for ln in parsed.lines if ln.error]
    assert [n for n, _ in errors] == [3, 4]
    (_, first), (_, second) = errors
    # The plain reader puts its caret on the token after a bare function name: so does the map.
    assert first.text == "  a &= \\sigma + 2 \\\\" and first.pos == first.text.index("+ 2")
    assert "sigma" in first.message
    assert second.text == "  &= 1 + \\tanh"


def test_latex_errors_are_kept_for_the_line_that_shows_them():
    tex = "\\begin{align}\n a &= b \\\\\n &= \\foo + 1 \\\\\n &= c\n\\end{align}\n"
    doc = read_document(tex)
    assert list(doc.errors) == [3]
    err = doc.errors[3]
    assert err.text == " &= \\foo + 1 \\\\" and err.pos == err.text.index("\\foo")
    # The plain reader refuses the line (it is LaTeX); the document's error is the one to show.
    (bad,) = [ln for ln in read_text(doc.text).lines if ln.error]
    assert bad.number == 3 and doc.map_error(3, bad.error) is err


def test_a_step_the_latex_reader_refuses_is_never_read_by_the_plain_reader():
    # TeX reads x^23 as x²·3 (refused: a number right after a value); plain x^23 is x to the 23.
    doc = read_document("\\begin{align} a &= x^23 \\end{align}")
    assert list(doc.errors) == [1]
    (line,) = read_text(doc.text).lines
    assert line.error is not None


def test_source_position_of_a_plain_character():
    (ml,) = derivation_lines("x\n\\[\n   \\frac{1}{z} + \\hat{y}\n\\]\n")
    assert ml.text == "1/z + yhat"
    assert ml.source_position(ml.text.index("yhat")) == (3, 18)
    assert ml.source_position(ml.text.index("z")) == (3, 13)


def test_names_are_fitted_to_a_problems_symbols():
    tex = r"\[ \sigma\left((\bar{w}_1 - \bar{w}_2)\vec{h}\right) + \hat{y}_i \]"
    assert _texts(tex) == ["sigma((wbar1 - wbar2)*h) + yhat_i"]
    # \bar{w}_1 takes the problem's spelling w1; a letter index stays for the plain reader to
    # read against the problem's symbols (where yhat_i is yhat).
    assert _texts(tex, symbols={"w1", "w2", "h", "yhat"}) == ["sigma((w1 - w2)*h) + yhat_i"]


# ----------------------------------------------------------------------------
# Hostile documents: bounded, quick, no traceback.
# ----------------------------------------------------------------------------
HOSTILE = [
    "\\[" + "{" * 100_000 + "\\]",
    "\\begin{align}" + "a &= b \\\\" * 20_000 + "\\end{align}",
    "\\begin{align}" + "a = \\\\" * 10_000 + "\\end{align}",
    "$$ a\n" + "= b\n" * 30_000 + "$$",
    "\\[" + "a\\quad " * 20_000 + "\\]",
    "x" * (MAX_DOCUMENT_CHARS + 1),
    "$x$ " * 45_000,
    "\\begin{align}" * 15_000,
    "$$" * 50_000,
    "\\begin{align}" + ("x+" * 990 + "x \\\\") * 40 + "\\end{align}",
    "\\[" + "\\frac{1}{" * 1000 + "x" + "}" * 1000 + "\\]",
    "\\[ \\def\\a{\\a\\a}\\a \\]",
    "\\begin{verbatim}" + "\\[" * 10_000,
]


@pytest.mark.parametrize("tex", HOSTILE, ids=[h[:20] + f"…({len(h)})" for h in HOSTILE])
def test_hostile_documents_are_bounded(tex):
    t0 = time.monotonic()
    try:
        lines = derivation_lines(tex)
    except AnswerSyntaxError as e:
        assert e.code == "too-long", e
    else:
        assert len(lines) <= MAX_STEPS
        for ml in lines:
            assert bool(ml.text) != (ml.error is not None)
    assert time.monotonic() - t0 < 3.0
