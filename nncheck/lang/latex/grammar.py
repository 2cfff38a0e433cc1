"""The LaTeX dialect nncheck reads: every command it knows, and what each one means.

This table *is* the whitelist.  A command that is not named here is refused with a
caret under it; nothing is ever expanded, defined or executed (there is no LaTeX engine:
``\\def``, ``\\newcommand``, ``\\input`` … are refused like any unknown command, with a
message that says why).  The parser (:mod:`.parser`) uses the arities here to group a
command with its arguments; the transformer (:mod:`.transformer`) uses the meanings.

Names follow the plain answer language: ``\\xi`` is ``xi`` as ``ξ`` is, ``\\hat{y}`` is
``yhat`` as ``ŷ`` is, ``y_1`` is ``y1`` as ``y₁`` is, ``W^{(1)}`` is ``W1`` as ``W⁽¹⁾`` is.
"""

from __future__ import annotations

#: Greek letters (and ``\ell``) as the names the plain language gives ``ξ``, ``σ``, … .
GREEK = {
    "alpha": "alpha", "beta": "beta", "gamma": "gamma", "delta": "delta", "epsilon": "epsilon",
    "varepsilon": "epsilon", "zeta": "zeta", "eta": "eta", "theta": "theta", "vartheta": "theta",
    "iota": "iota", "kappa": "kappa", "lambda": "lambda", "mu": "mu", "nu": "nu", "xi": "xi",
    "pi": "pi", "rho": "rho", "varrho": "rho", "sigma": "sigma", "tau": "tau", "upsilon": "upsilon",
    "phi": "phi", "varphi": "phi", "chi": "chi", "psi": "psi", "omega": "omega",
    "Gamma": "Gamma", "Delta": "Delta", "Theta": "Theta", "Lambda": "Lambda", "Xi": "Xi", "Pi": "Pi",
    "Sigma": "Sigma", "Phi": "Phi", "Psi": "Psi", "Omega": "Omega", "Upsilon": "Upsilon",
    "ell": "l",
}

#: Function commands: the answer language's function each one is.
FUNCTIONS = {"exp": "exp", "ln": "ln", "log": "log", "tanh": "tanh", "max": "max", "min": "min"}

#: Functions of the language that may carry a prime or a dot (σ′, σ̇, tanh′, ReLU′).
DERIVABLE = frozenset({"sigma", "tanh", "relu"})

#: Well-known function commands the answer language leaves out: refused by name.
REFUSED_FUNCTIONS = frozenset({
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "coth",
    "det", "dim", "gcd", "lim", "liminf", "limsup", "sup", "inf", "arg", "argmax", "argmin", "deg",
    "hom", "ker", "Pr", "lg", "softmax", "sign", "sgn", "erf", "mean", "floor", "ceil", "round",
})

#: ``\frac`` and its display/text variants: two arguments.
FRACTIONS = frozenset({"frac", "dfrac", "tfrac", "cfrac"})

#: Accents that stay part of a name, as the plain language's combining marks do (ŷ → yhat).
ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
           "widetilde": "tilde"}

#: Font and vector commands: typography only, the name is the letter inside (``\vec{h}`` → h,
#: ``\mathcal{L}`` → L).
FONTS = frozenset({"vec", "mathbf", "boldsymbol", "bm", "mathcal", "mathbb", "mathit", "mathscr"})

#: Commands whose argument is a word, not math: ``\mathrm{ReLU}``, ``\operatorname{relu}``,
#: ``\text{lr}``.  The word is a function of the language or a multi-letter name.
WORDS = frozenset({"mathrm", "operatorname", "mathsf", "mathtt", "text", "textrm", "textnormal",
                   "textsf", "textit", "textup", "mbox"})

#: Words that ``\text{…}`` holds as a remark between two pieces of math, never as a name.
CONNECTIVES = frozenset({"and", "or", "where", "since", "for", "with", "if", "then", "so", "thus", "hence",
                         "because", "by", "when", "as", "using", "given", "let", "which", "is", "are",
                         "otherwise", "therefore", "ie", "eg", "note", "from", "at", "in", "on", "the", "we",
                         "get", "gives", "yields"})

#: Of those, the ones that make a word a *remark* in a document when it is not a name.
TEXT_WORDS = frozenset({"text", "textrm", "textnormal", "textsf", "textit", "textup", "mbox", "intertext"})

#: Binary operators.  ``\odot`` (elementwise) is a product of scalars in a derivation.
OPERATORS = {"cdot": "*", "times": "*", "ast": "*", "odot": "*", "div": "/"}

#: Relations, as the plain language writes them.
RELATIONS = {"le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=", "geqslant": ">=",
             "ne": "!=", "neq": "!=", "lt": "<", "gt": ">", "coloneqq": "="}

#: Spacing and style commands: no meaning, skipped.
IGNORED = frozenset({",", ";", ":", "!", " ", "quad", "qquad", "enspace", "thinspace", "medspace",
                     "thickspace", "negthinspace", "negmedspace", "negthickspace", "displaystyle",
                     "textstyle", "scriptstyle", "limits", "nolimits", "nonumber", "notag"})

#: Commands with one braced argument that is skipped: labels and tags, explicit space.
IGNORED_WITH_ARGUMENT = frozenset({"label", "tag", "hspace", "hspace*", "tag*"})

#: ``\left``/``\right`` and the sized delimiters ``\big(`` … : they take one delimiter.
SIZES = frozenset({"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
                   "Biggl", "Biggr", "bigm", "Bigm"})

#: Delimiters after ``\left``, ``\right`` or a size, as the character they stand for;
#: ``|`` with a side for ``\lvert``/``\rvert``.
DELIMITER_CHARS = frozenset("()[]|")
DELIMITER_COMMANDS = {"lvert": "|", "rvert": "|", "vert": "|", "lbrack": "[", "rbrack": "]",
                      "lparen": "(", "rparen": ")"}
#: Delimiters that typeset fine but mean something the language has no notation for.
REFUSED_DELIMITERS = {".": "an invisible delimiter (\\left. or \\right.) is not read: use ( ) or | |",
                      "{": "braces \\{ \\} are not read as brackets: use ( )",
                      "}": "braces \\{ \\} are not read as brackets: use ( )",
                      "|": "norms \\| \\| are not part of the answer language",
                      "Vert": "norms \\| \\| are not part of the answer language",
                      "langle": "angle brackets are not part of the answer language",
                      "rangle": "angle brackets are not part of the answer language"}

#: Transpose marks, as the only content of a superscript: ``h^\top``, ``W^{\intercal}``.
TRANSPOSE = frozenset({"top", "intercal"})

#: Other commands the reader knows: the sum, the root, the partial sign, dots and primes.
SPECIAL = frozenset({"sum", "sqrt", "partial", "dot", "prime", "left", "right", "begin", "end"})

#: Commands of TeX's macro and file machinery.  nncheck runs no TeX, so these could only
#: ever be an attempt to change what the rest of the text means: refused, with the reason.
FORBIDDEN = frozenset({"def", "edef", "gdef", "xdef", "let", "futurelet", "newcommand", "renewcommand",
                       "providecommand", "DeclareMathOperator", "newenvironment", "renewenvironment",
                       "input", "include", "includeonly", "InputIfFileExists", "catcode", "write",
                       "immediate", "openin", "openout", "read", "readline", "csname", "endcsname",
                       "expandafter", "noexpand", "usepackage", "RequirePackage", "documentclass",
                       "makeatletter", "makeatother", "special", "directlua", "luaexec", "jobname",
                       "loop", "repeat", "uppercase", "lowercase", "scantokens", "everymath",
                       "everydisplay", "shipout", "afterassignment", "aftergroup"})

#: Known commands that are refused with a hint on what to write instead.
HINTS = {
    "cdots": "'…' cannot be checked: write the terms out (or a \\sum over numbers)",
    "ldots": "'…' cannot be checked: write the terms out (or a \\sum over numbers)",
    "dots": "'…' cannot be checked: write the terms out (or a \\sum over numbers)",
    "vdots": "'…' cannot be checked: write the terms out",
    "infty": "infinity is not a value the answer language has",
    "prod": "\\prod is not read: write the product out",
    "int": "integrals are not part of the answer language",
    "nabla": "\\nabla (a gradient vector) is not read: write one partial derivative \\frac{\\partial L}{\\partial x}",
    "pm": "'±' is two answers: write one",
    "mp": "'∓' is two answers: write one",
    "approx": "'≈' cannot be checked: a step must be an equality",
    "equiv": "'≡' is not read: write '=' for a step",
    "to": "'→' is not a relation nncheck can check",
    "rightarrow": "'→' is not a relation nncheck can check",
    "leftarrow": "'←' (an update) is not a relation nncheck can check: write '='",
    "Rightarrow": "'⇒' is not read: put each equation on its own line",
    "implies": "'⇒' is not read: put each equation on its own line",
    "iff": "'⇔' is not read: put each equation on its own line",
    "in": "'∈' is not read: give domains with --assume (e.g. \"0 < yhat < 1\")",
}

#: Environments a *document* reads (each row a step); in one answer they are refused.
DISPLAY_ENVIRONMENTS = frozenset({"equation", "equation*", "align", "align*", "gather", "gather*",
                                  "multline", "multline*", "flalign", "flalign*", "alignat", "alignat*",
                                  "eqnarray", "eqnarray*", "displaymath", "split"})
#: Environments inside a display block whose rows are steps too (their markers are dropped).
INNER_ENVIRONMENTS = frozenset({"split", "aligned", "gathered", "alignedat"})
#: Environments whose content is never math (skipped whole by the document reader).
VERBATIM_ENVIRONMENTS = frozenset({"verbatim", "verbatim*", "lstlisting", "minted", "comment"})


def kind_of(name: str) -> str | None:
    """What the command ``\\name`` is, or None when it is not in the whitelist."""
    if name in GREEK:
        return "greek"
    if name in FUNCTIONS:
        return "function"
    if name in FRACTIONS:
        return "frac"
    if name in ACCENTS:
        return "accent"
    if name in FONTS:
        return "font"
    if name in WORDS:
        return "word"
    if name in OPERATORS:
        return "operator"
    if name in RELATIONS:
        return "relation"
    if name in IGNORED:
        return "ignored"
    if name in IGNORED_WITH_ARGUMENT:
        return "ignored-argument"
    if name in SIZES:
        return "size"
    if name in DELIMITER_COMMANDS:
        return "bar" if DELIMITER_COMMANDS[name] == "|" else "delimiter"
    if name in SPECIAL:
        return name
    if name in TRANSPOSE:
        return "transpose"
    if name in REFUSED_FUNCTIONS:
        return "refused-function"
    if name in FORBIDDEN:
        return "forbidden"
    if name in HINTS:
        return "hint"
    return None
