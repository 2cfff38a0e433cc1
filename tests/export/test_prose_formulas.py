"""Answer-language formulas in bank prose, on paper and in Markdown.

A derivation's prompt states its identity in the answer language ("Derive d/dxi(sigma(xi)) = h(1 - h)").
The exports parse it with the answer language's parser and print it from the tree in the notes'
notation, never as half math, half words; on paper the instructions on typing are left out, in
Markdown (which goes with answers.yaml) the typed names are shown as typed.
"""

from __future__ import annotations

import re

import pytest

from nncheck.export import render_set
from nncheck.export.mathtext import Notation, formula_latex, notation_of, paper_wording
from nncheck.export.problemset import build_set

#: Answer-language spellings that must not reach the paper as words.
TYPED_WORDS = re.compile(r"\b(?:sigma|xi\d?|yhat\w*|d/d\w+|exp\(|delta\d|dLd\w+)")


def _outside_math(tex: str) -> str:
    """LaTeX without its math: displays, ``$…$`` spans and verbatim ``\\texttt``."""
    tex = re.sub(r"\\adjustbox\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\{\$.*?\$\}", "", tex)
    tex = re.sub(r"(?<!\\)\$.+?(?<!\\)\$", "", tex)
    return re.sub(r"\\texttt\{[^{}]*\}", "", tex)


@pytest.fixture(scope="module")
def derive_sets(catalog):
    ids = [fid for fid in catalog.ids() if fid.startswith("derive.")]
    assert "derive.backprop-vector" in ids
    return {seed: build_set(catalog, families=ids, count=len(ids), seed=seed) for seed in (5, 11)}


def test_formulas_print_from_the_tree_in_the_notes_notation():
    assert formula_latex("d/dxi(sigma(xi)) = h(1 - h)") == r"\frac{d\sigma(\xi)}{d\xi} = h\, (1 - h)"
    assert formula_latex("exp(w1 h)/(exp(w1 h) + exp(w2 h))") == r"\frac{e^{w_{1}\, h}}{e^{w_{1}\, h} + e^{w_{2}\, h}}"
    assert formula_latex("1 - tanh(xi)^2") == r"1 - \tanh^{2}(\xi)"
    # Partial when the expression has other variables; a gradient in a vector-form derivation.
    assert (formula_latex("d/dxi(-(1/n) ln(yhat))") or "").startswith(r"\frac{\partial }{\partial \xi}")
    layers = Notation(layer_index=True)
    assert formula_latex("d/dW1(L) = (sigma'(xi1) ⊙ W2' delta2) x'", layers, matrix=True) == (
        r"\nabla_{W^{(1)}}L = (\dot{\sigma}(\xi^{(1)}) \odot W^{(2)\top}\, \delta^{(2)})\, x^{\top}")
    # Precedence: a sum under a product keeps its brackets, a product under a sum needs none.
    assert formula_latex("(a + b) c") == r"(a + b)\, c" and formula_latex("a + b c") == r"a + b\, c"


def test_text_that_is_not_a_formula_is_never_evaluated():
    for text in ("__import__('os').system('true')", "x = = 1", "h(1 - h", "lambda: 1"):
        assert formula_latex(text) is None, text


def test_the_glossary_of_a_prompt_names_the_symbols():
    n = notation_of("Type ŷ_k as yhatk (yhat1, yhat2), ξ⁽¹⁾ as xi1, W⁽²⁾ᵀ as W2' and e^u as exp(u).")
    assert n.names["yhatk"] == r"\hat{y}_{k}" and n.layer_index and "W2" in n.names and "exp" not in n.names
    lstm = notation_of("Names to type: dLdh_t = dL/dh[t], c_t = c[t]; ∂f/∂c[t] is d/dc_t(f).")
    assert lstm.names["dLdh_t"] == r"\frac{dL}{dh[t]}" and lstm.names["c_t"] == "c[t]"


def test_paper_wording_drops_typing_instructions():
    assert paper_wording("Output width W₂ (type none if W₂ is not a whole number)") == (
        "Output width W₂ (write none if W₂ is not a whole number)")
    text = "Show it. Type σ as sigma; write f′ as d/dxi(f).\nGiven: h = sigma(xi)."
    assert paper_wording(text) == "Show it. \nGiven: h = sigma(xi)."
    assert paper_wording("scalar (1-D): type w1 h as w1*h.") == "scalar (1-D)."
    assert paper_wording("start from ∇L itself, typed d/dW1(L).") == "start from ∇L itself."


@pytest.mark.parametrize("seed", [5, 11])
def test_every_derivation_states_its_identity_as_math_on_paper(derive_sets, seed):
    pset = derive_sets[seed]
    tex = render_set(pset, "tex", "separate")["problems.tex"].decode()
    parts = re.findall(r"\\part\[\d+\] (.*?)\\makeemptybox", tex, flags=re.S)
    assert len(parts) == len(pset.problems)
    for part in parts:
        assert part.startswith("Derive the identity below, one step per line"), part[:80]
        assert "$\\displaystyle" in part, part[:200]
        assert not TYPED_WORDS.search(_outside_math(part)), (part, TYPED_WORDS.search(_outside_math(part)))
    statements = _outside_math(tex)
    for given in re.findall(r"^Given: .*$", tex, flags=re.M):
        assert not TYPED_WORDS.search(_outside_math(given)), given
    assert not re.search(r"\btype\b|\btyped\b|Names to type|checker", statements, flags=re.I)


@pytest.mark.parametrize("seed", [5, 11])
def test_markdown_shows_the_identity_as_math_and_typed_names_as_code(derive_sets, seed):
    md = render_set(derive_sets[seed], "md", "separate")["problems.md"].decode()
    assert md.count("Derive the identity below") == len(derive_sets[seed].problems)
    assert "as `sigma`" in md and "`dLdh_t`" in md and "(`yhat1`, `yhat2`, `yhat3`)" in md
    for line in md.splitlines():
        if line.startswith(("Type ", "type ", "Given: ")):
            plain = re.sub(r"`[^`]*`|\$[^$]*\$", "", line)
            assert not TYPED_WORDS.search(plain), line


def test_box_figures_are_labelled_as_the_notes_write_them(catalog):
    from nncheck.export.diagrams import diagram_of, svg_diagram, tikz_diagram

    ids = [fid for fid in catalog.ids() if fid.startswith("detection.")]
    pset = build_set(catalog, families=ids, count=len(ids), seed=11)
    labelled = 0
    for p in pset.problems:
        diagram = diagram_of(p.variant)
        if diagram is None:
            continue
        tikz, svg = tikz_diagram(diagram) or "", svg_diagram(diagram) or ""
        assert "box_" not in svg and "box\\_" not in tikz and "\\_" not in tikz, p.variant.id
        labelled += "REF" in tikz and "REF" in svg
    assert labelled, "the IoU figure names its boxes REF and ROI"
