"""The answer language: a tokenizer and parser that build nncheck's own syntax tree.

Nothing here evaluates user text with Python.  The text is scanned character by
character against a whitelist, parsed by a small precedence-climbing parser, and
turned into plain node objects (``Num``, ``Name``, ``Call``, ...).  Backends walk
those nodes: ``nncheck.lang.numeric`` (exact rationals / floats, no SymPy) and
``nncheck.lang.sympy_backend`` (SymPy objects).

Every bound (length, digits, exponent, nesting, node count) is checked while
scanning or parsing, before any arithmetic happens, and the printer is iterative,
so no input can exhaust the Python stack here.

This module is on the start-up path of ``nncheck show``: it imports only
``fractions``, the tiny ``nncheck.errors`` and ``nncheck.lang.walk`` so that parsing an override such as
``W1=[[1,2],[3,4]]`` costs microseconds, not the tens of milliseconds that
``typing`` or SymPy would.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.errors import NNCheckError
from nncheck.lang.walk import fold

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see above: start-up cost)
if TYPE_CHECKING:
    from typing import NoReturn

# ----------------------------------------------------------------------------
# Bounds.  Every one of them is checked before any arithmetic happens.
# ----------------------------------------------------------------------------
MAX_LENGTH = 4000  # characters in one answer (a 10x10 matrix fits easily)
MAX_DEPTH = 60  # nesting of parentheses/brackets/calls/signs/powers
MAX_NODES = 2000  # syntax-tree nodes
MAX_INT_DIGITS = 60  # significant digits in one numeric literal
MAX_DEC_EXPONENT = 400  # |e| in a literal such as 1e-5


class AnswerSyntaxError(NNCheckError, ValueError):
    """A malformed answer: carries the offending position for a caret message.

    ``code`` says what kind of problem it is: syntax | unknown-name |
    unknown-function | too-long | too-deep | too-complex | forbidden | math.
    It is a ``ValueError`` too, for callers that predate :class:`NNCheckError`.
    """

    def __init__(self, message: str, pos: int, text: str, *, code: str = "syntax"):
        NNCheckError.__init__(self, message)
        self.message = message
        self.pos = max(0, min(pos, len(text)))
        self.text = text
        self.code = code

    def __reduce__(self):
        # Verdicts cross the sandbox's process boundary by pickle; the default
        # exception pickling would call __init__ with the message only.
        return (_rebuild_error, (type(self), self.message, self.pos, self.text, self.code))

    def caret(self) -> str:
        """The answer's line with a caret under the offending character."""
        text = self.text
        # Show only the line holding the error, and at most ~72 characters around it.
        start = text.rfind("\n", 0, self.pos) + 1
        end = text.find("\n", self.pos)
        if end < 0:
            end = len(text)
        line = text[start:end]
        col = self.pos - start
        if len(line) > 72:
            lo = max(0, col - 36)
            hi = min(len(line), lo + 72)
            prefix = "…" if lo > 0 else ""
            line = prefix + line[lo:hi] + ("…" if hi < len(line) else "")
            col = col - lo + len(prefix)
        # Control and invisible characters would shift the caret or garble the terminal.
        line = "".join(c if c >= " " and c not in _INVISIBLE else "\N{REPLACEMENT CHARACTER}" for c in line)
        return f"{line}\n{' ' * col}^ {self.message}"

    def line(self) -> str:  # NNCheckError's one-line form
        return str(self)

    def __str__(self) -> str:  # one line, for logs and JSON
        return f"{self.message} (at character {self.pos + 1})"


def _rebuild_error(cls, message, pos, text, code):
    return cls(message, pos, text, code=code)


# ----------------------------------------------------------------------------
# Nodes.  Plain classes with __slots__ (dataclasses would cost ~13 ms to import).
# ----------------------------------------------------------------------------
class Node:
    __slots__ = ("pos", "end")
    pos: int  # where the node's text starts in the answer, and ends (for carets and spans)
    end: int

    def children(self) -> tuple:
        return ()

    def __eq__(self, other):
        """Structural equality, positions and literal spellings ignored (iterative: no recursion limit)."""
        if not isinstance(other, Node):
            return False
        stack = [(self, other)]
        while stack:
            a, b = stack.pop()
            if a is b:
                continue
            if type(a) is not type(b) or a._key() != b._key():
                return False
            ca, cb = a.children(), b.children()
            if len(ca) != len(cb):
                return False
            stack.extend(zip(ca, cb))
        return True

    def __hash__(self):
        return hash(tuple((type(n).__name__, n._key()) for n in walk(self)))

    def _key(self):
        """This node's own data, children excluded."""
        return ()

    def __repr__(self) -> str:
        return to_text(self)


class Num(Node):
    """A numeric literal, kept exact: ``0.1`` is Fraction(1, 10)."""

    __slots__ = ("value", "text")

    def __init__(self, value, text: str = "", pos: int = 0, end: int = 0):
        self.value = value
        self.text = text or _num_text(value)
        self.pos, self.end = pos, end

    def _key(self):
        return (self.value,)


class Name(Node):
    """A declared symbol or a constant (``e``, ``pi``)."""

    __slots__ = ("name",)

    def __init__(self, name: str, pos: int = 0, end: int = 0):
        self.name = name
        self.pos, self.end = pos, end

    def _key(self):
        return (self.name,)


class Word(Node):
    """A bare word answer such as ``none``, ``true`` or a choice label."""

    __slots__ = ("word",)

    def __init__(self, word: str, pos: int = 0, end: int = 0):
        self.word = word
        self.pos, self.end = pos, end

    def _key(self):
        return (self.word,)


class Unary(Node):
    __slots__ = ("op", "arg")

    def __init__(self, op: str, arg: Node, pos: int = 0, end: int = 0):
        self.op, self.arg = op, arg
        self.pos, self.end = pos, end

    def children(self):
        return (self.arg,)

    def _key(self):
        return (self.op,)


class BinOp(Node):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node, pos: int = 0, end: int = 0):
        self.op, self.left, self.right = op, left, right
        self.pos, self.end = pos, end

    def children(self):
        return (self.left, self.right)

    def _key(self):
        return (self.op,)


class Call(Node):
    __slots__ = ("func", "args")

    def __init__(self, func: str, args: list, pos: int = 0, end: int = 0):
        self.func, self.args = func, list(args)
        self.pos, self.end = pos, end

    def children(self):
        return tuple(self.args)

    def _key(self):
        return (self.func, len(self.args))


class Vector(Node):
    __slots__ = ("items",)

    def __init__(self, items: list, pos: int = 0, end: int = 0):
        self.items = list(items)
        self.pos, self.end = pos, end

    def children(self):
        return tuple(self.items)

    def _key(self):
        return (len(self.items),)


class Matrix(Node):
    __slots__ = ("rows",)

    def __init__(self, rows: list, pos: int = 0, end: int = 0):
        self.rows = [list(r) for r in rows]
        self.pos, self.end = pos, end

    def children(self):
        return tuple(x for r in self.rows for x in r)

    def _key(self):
        return tuple(len(r) for r in self.rows)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.rows[0]) if self.rows else 0)


class Transpose(Node):
    __slots__ = ("arg",)

    def __init__(self, arg: Node, pos: int = 0, end: int = 0):
        self.arg = arg
        self.pos, self.end = pos, end

    def children(self):
        return (self.arg,)


class Derivative(Node):
    """``d/dx(expr)`` or ``diff(expr, x)``: the derivative of ``expr`` in ``var``."""

    __slots__ = ("expr", "var")

    def __init__(self, expr: Node, var: str, pos: int = 0, end: int = 0):
        self.expr, self.var = expr, var
        self.pos, self.end = pos, end

    def children(self):
        return (self.expr,)

    def _key(self):
        return (self.var,)


class Relation(Node):
    """A chain ``a = b = c`` or ``0 < x < 1``: ``ops[i]`` joins ``terms[i]`` and ``terms[i+1]``."""

    __slots__ = ("terms", "ops")

    def __init__(self, terms: list, ops: list, pos: int = 0, end: int = 0):
        self.terms, self.ops = list(terms), list(ops)
        self.pos, self.end = pos, end

    def children(self):
        return tuple(self.terms)

    def _key(self):
        return tuple(self.ops)


# ----------------------------------------------------------------------------
# Vocabulary.
# ----------------------------------------------------------------------------
#: Functions of the answer language, with their arity (min, max).
FUNCTIONS = {
    "exp": (1, 1),
    "ln": (1, 1),
    "log": (1, 1),  # natural log, as in the seeds (ECE 417 writes ln, 16-785 log)
    "sqrt": (1, 1),
    "abs": (1, 1),
    "max": (2, 8),
    "min": (2, 8),
    "sigma": (1, 1),
    "tanh": (1, 1),
    "relu": (1, 1),
    "sech": (1, 1),  # 1/cosh: the notes write tanh′ = sech²
}
#: Spellings that mean the same function.
FUNCTION_ALIASES = {"sigmoid": "sigma", "σ": "sigma", "ReLU": "relu", "Relu": "relu", "RELU": "relu",
                    "√": "sqrt", "sigmoid'": "sigma'", "ReLU'": "relu'", "Relu'": "relu'", "RELU'": "relu'"}
#: Derivative shorthands σ′(u), tanh′(u), relu′(u): only where ``derivatives=True`` (derivations),
#: since in an ordinary answer they would hand the student the very thing being asked.
DERIVATIVE_FUNCTIONS = {"sigma'": (1, 1), "tanh'": (1, 1), "relu'": (1, 1)}
_DERIVABLE = frozenset({"sigma", "sigmoid", "tanh", "relu", "ReLU", "Relu", "RELU"})
#: Matrix answers (``parse(..., matrix=True)``) read the derivative shorthands, since there the
#: question is the vector form of back-propagation and σ̇ is part of the notation it is asked in:
#: ``dsigma(xi1)`` is σ̇(ξ1), as are ``sigma'(xi1)`` and ``σ̇(ξ1)``.
MATRIX_ALIASES = {"dsigma": "sigma'", "dsigmoid": "sigma'", "dtanh": "tanh'", "drelu": "relu'"}
#: The elementwise product's spellings in matrix answers: ``⊙``, ``∘``, MATLAB's ``.*`` and the word ``odot``.
HADAMARD_CHARS = {"⊙", "∘"}
#: Extra functions allowed in bank formulas (constraints, derived values), never in answers.
FORMULA_FUNCTIONS = {
    "len": (1, 1),
    "rows": (1, 1),
    "cols": (1, 1),
    "floor": (1, 1),
    "ceil": (1, 1),
    "round": (1, 2),
    "sum": (1, 1),
    "isint": (1, 1),
    "onehot": (1, 1),
}
CONSTANTS = {"e", "pi"}
#: Well-known functions deliberately left out (named in the message, so nobody thinks it is a typo).
_NOT_IN_LANGUAGE = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan", "sinh", "cosh",
                              "factorial", "gamma", "erf", "sign", "floor", "ceil", "round", "sum", "mod",
                              "log10", "log2", "softmax", "argmax", "mean"})

#: Greek letters typed as Unicode become their ASCII names.
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda",
    "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau",
    "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi",
    "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}
#: Precomposed letters with a hat or bar.
ACCENTED = {"ŷ": "yhat", "ŝ": "shat", "ĉ": "chat", "ĥ": "hhat", "ẑ": "zhat", "ȳ": "ybar", "ā": "abar",
            "ē": "ebar", "ū": "ubar", "ō": "obar", "ĝ": "ghat", "ŵ": "what"}
#: Combining marks typed after a letter: ŷ as y + U+0302, x̄ as x + U+0304.
COMBINING = {"\u0302": "hat", "\u0304": "bar", "\u0303": "tilde", "\u0305": "bar"}
_DOT_ABOVE = "\u0307"  # σ̇, the seeds' notation for σ′
SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7",
                "⁸": "8", "⁹": "9", "⁺": "+", "⁻": "-"}
SUBSCRIPT_DIGITS = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6",
                    "₇": "7", "₈": "8", "₉": "9"}
#: Subscript letters typed after a name: ŷₖ is ŷ_k (superscript letters stay refused: eˣ is no power).
SUBSCRIPT_LETTERS = {"ₐ": "a", "ₑ": "e", "ₒ": "o", "ₓ": "x", "ₕ": "h", "ₖ": "k", "ₗ": "l", "ₘ": "m", "ₙ": "n",
                     "ₚ": "p", "ₛ": "s", "ₜ": "t", "ᵢ": "i", "ⱼ": "j", "ᵣ": "r", "ᵤ": "u", "ᵥ": "v"}
#: Vulgar fraction characters: exact rationals (½ is 1/2).
VULGAR_FRACTIONS = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5),
                    "⅖": (2, 5), "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅐": (1, 7),
                    "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8), "⅑": (1, 9), "⅒": (1, 10)}
MUL_CHARS = {"*", "·", "×", "⋅", "∗", "•"}
MINUS_CHARS = {"-", "−", "–", "‐", "‑", "﹣", "－"}
SPACE_CHARS = {" ", "\t", "\u00a0", "\u2009", "\u202f", "\u2002", "\u2003"}
RELATION_CHARS = {"≤": "<=", "≥": ">=", "≠": "!="}
PRIMES = {"'", "′"}
#: Characters that render as nothing (or reorder text): never accepted, never echoed.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e"
                       "\u2066\u2067\u2068\u2069\u200e\u200f\u180e")
#: Superscript and subscript letters that look like exponents or indices but are not.
_MODIFIER_LETTERS = frozenset("ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ")
#: Functions that are left out of the language but are unmistakably functions: typed bare in a
#: derivation (where any other name is a symbol) they are refused rather than read as a variable.
_BARE_FUNCTION_NAMES = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan", "sinh",
                                  "cosh", "coth", "csch", "arctan", "arcsin", "arccos", "artanh", "arctanh",
                                  "atanh", "log10", "log2", "softmax", "argmax", "erf", "factorial"})

_DECORATED = frozenset(GREEK.values()) | frozenset(ACCENTED.values())
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_DIGITS = frozenset("0123456789")


def _num_text(value) -> str:
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return str(value)


# ----------------------------------------------------------------------------
# Tokens.
# ----------------------------------------------------------------------------
class Tok:
    __slots__ = ("kind", "value", "pos", "end", "space_before", "sub")

    def __init__(self, kind: str, value, pos: int, end: int, space_before: bool, sub: tuple | None = None):
        self.kind, self.value, self.pos, self.end, self.space_before = kind, value, pos, end, space_before
        self.sub = sub  # a name typed with a letter subscript, ŷ_k or y_k: (its base name, the index)

    def __repr__(self):
        return f"Tok({self.kind},{self.value!r},{self.pos})"


def _explain_char(ch: str) -> str:
    """The one-line reason a character is refused."""
    if ch in "\"`":
        return "strings are not allowed in an answer"
    if ch == "{" or ch == "}":
        return "braces are not allowed; use ( ) for grouping or [ ] for vectors"
    if ch == "@" or ch == "$" or ch == "\\":
        return f"'{ch}' is not part of the answer language"
    if ch == "!":
        return "factorial and '!' are not part of the answer language"
    if ch == ".":
        return "'.' here is not a number; attribute access is not allowed"
    if ch == ":":
        return "':' is not allowed (no slices or lambdas)"
    if ch == "&" or ch == "|":
        return f"'{ch}' is not an operator here"
    if ch == "‖":
        return "norm bars ‖ ‖ are not part of the answer language (|x| is abs(x))"
    if ch == "%":
        return "'%' is not accepted: write 0.25 rather than 25%"
    if ch == "#":
        return "comments ('#') are not allowed in an answer"
    if ch in _INVISIBLE:
        return f"invisible character U+{ord(ch):04X} is not allowed; retype the answer"
    if ch in _MODIFIER_LETTERS:
        return f"superscript or subscript letter '{ch}' is not accepted: write e^(-x) or x_i instead"
    if ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0:
        return f"control character U+{ord(ch):04X} is not allowed"
    if ord(ch) > 127 and ch.isalpha():
        import unicodedata  # only on this error path: it is not free to import

        name = unicodedata.name(ch, "").lower()
        what = f" ({name})" if name else ""
        return f"the letter '{ch}'{what} is not accepted; type ASCII letters or a Greek letter"
    if ord(ch) > 127 and ch.isdigit():
        return f"the digit '{ch}' (U+{ord(ch):04X}) is not accepted; type ASCII digits 0-9"
    return f"unexpected character '{ch}'"


def tokenize(text: str, *, formula: bool = False, relations: bool = False, matrix: bool = False) -> list[Tok]:
    """Scan ``text`` into tokens; every character is either understood or rejected.

    ``matrix``: also read the elementwise product (``⊙``, ``∘``, ``.*``) and ``⊤`` as a transpose mark.
    """
    if len(text) > MAX_LENGTH:
        raise AnswerSyntaxError(
            f"answer too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})",
            MAX_LENGTH, text[: MAX_LENGTH + 1], code="too-long")
    toks: list[Tok] = []
    i, n = 0, len(text)
    space = False
    while i < n:
        ch = text[i]
        if ch in SPACE_CHARS or ch == "\n" or ch == "\r":
            space = True
            i += 1
            continue
        start = i
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            i, value, lit = _scan_number(text, i)
            toks.append(Tok("num", value, start, i, space))
        elif ch in _ASCII_LETTERS or ch in GREEK or ch in ACCENTED:
            i, name, sub = _scan_name(text, i)
            toks.append(Tok("name", name, start, i, space, sub))
        elif ch == "∂":
            # ∂ reads like d in derivative notation (∂L/∂z, ∂/∂ξ( … )); the parser refuses it elsewhere.
            toks.append(Tok("name", "∂", start, i + 1, space))
            i += 1
        elif ch in VULGAR_FRACTIONS:
            if toks and toks[-1].kind == "num" and toks[-1].end == i:
                raise AnswerSyntaxError(f"a mixed number: write {text[toks[-1].pos:i]} + {_vulgar_text(ch)} "
                                        "(or one fraction)", i, text)
            num, den = VULGAR_FRACTIONS[ch]
            toks.append(Tok("num", Fraction(num, den), start, i + 1, space))
            i += 1
        elif ch in SUPERSCRIPTS:
            j = i
            s = ""
            while j < n and text[j] in SUPERSCRIPTS:
                s += SUPERSCRIPTS[text[j]]
                j += 1
            digits = s.lstrip("+-")
            if not digits or not digits.isdigit() or len(s) - len(digits) > 1:
                raise AnswerSyntaxError("malformed superscript exponent", i, text)
            if len(digits) > 4:
                raise AnswerSyntaxError("superscript exponent too large", i, text, code="too-complex")
            toks.append(Tok("sup", int(s), start, j, space))
            i = j
        elif ch in MUL_CHARS:
            if ch == "*" and i + 1 < n and text[i + 1] == "*":
                toks.append(Tok("op", "^", start, i + 2, space))
                i += 2
            else:
                toks.append(Tok("op", "*", start, i + 1, space))
                i += 1
        elif ch in MINUS_CHARS:
            toks.append(Tok("op", "-", start, i + 1, space))
            i += 1
        elif ch in "+/^()[],;" or (ch == "|" and not formula):
            toks.append(Tok("op", ch, start, i + 1, space))
            i += 1
        elif ch == "÷" or ch == "∕" or ch == "⁄":
            toks.append(Tok("op", "/", start, i + 1, space))
            i += 1
        elif ch in PRIMES or ch == "ᵀ" or (matrix and ch == "⊤"):
            toks.append(Tok("op", "T", start, i + 1, space))
            i += 1
        elif matrix and (ch in HADAMARD_CHARS or (ch == "." and text[i + 1:i + 2] == "*")):
            width = 2 if ch == "." else 1
            toks.append(Tok("op", "⊙", start, i + width, space))
            i += width
        elif ch == "√":
            toks.append(Tok("name", "sqrt", start, i + 1, space))
            i += 1
        elif ch == "%" and formula:
            toks.append(Tok("op", "%", start, i + 1, space))
            i += 1
        elif ch in "<>=!≤≥≠" and (formula or relations or ch == "="):
            two = text[i : i + 2]
            if two in ("<=", ">=", "==", "!="):
                op = two
                i += 2
            elif ch in RELATION_CHARS:
                op = RELATION_CHARS[ch]
                i += 1
            elif ch == "!":
                raise AnswerSyntaxError(_explain_char(ch), i, text, code="forbidden")
            else:
                op = ch
                i += 1
            if op == "==":
                op = "="
            toks.append(Tok("rel", op, start, i, space))
        elif ch == "=":
            toks.append(Tok("rel", "=", start, i + 1, space))
            i += 1
        else:
            code = "forbidden" if ch in "\"`.{}:@$\\!&|#" else "syntax"
            raise AnswerSyntaxError(_explain_char(ch), i, text, code=code)
        space = False
    toks.append(Tok("end", None, n, n, space))
    return toks


def _vulgar_text(ch: str) -> str:
    num, den = VULGAR_FRACTIONS[ch]
    return f"{num}/{den}"


def _scan_number(text: str, i: int) -> tuple[int, Fraction | int, str]:
    n = len(text)
    start = i
    while i < n and text[i] in _DIGITS:
        i += 1
    int_part = text[start:i]
    frac_part = ""
    if i < n and text[i] == "." and i + 1 <= n:
        # "1." is a number; "1.x" is 1 times x?  Refuse: attribute access look-alike.
        if i + 1 < n and (text[i + 1] in _ASCII_LETTERS or text[i + 1] == "_"):
            if not (text[i + 1] in "eE" and i + 2 < n and (text[i + 2] in _DIGITS or text[i + 2] in "+-")):
                raise AnswerSyntaxError("attribute access is not allowed", i, text, code="forbidden")
        j = i + 1
        while j < n and text[j] in _DIGITS:
            j += 1
        frac_part = text[i + 1 : j]
        if j < n and text[j] == ".":
            raise AnswerSyntaxError("a number has at most one decimal point", j, text)
        i = j
    exp = 0
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-−":
            j += 1
        if j < n and text[j] in _DIGITS:
            k = j
            while k < n and text[k] in _DIGITS:
                k += 1
            digits = text[j:k]
            if len(digits) > 6 or int(digits) > MAX_DEC_EXPONENT:
                raise AnswerSyntaxError(
                    f"exponent too large (the limit is e±{MAX_DEC_EXPONENT})", i, text, code="too-complex")
            exp = int(digits)
            if text[i + 1] in "-−":
                exp = -exp
            i = k
    digits = (int_part + frac_part).lstrip("0")
    if len(digits) > MAX_INT_DIGITS:
        raise AnswerSyntaxError(
            f"number has too many digits (the limit is {MAX_INT_DIGITS})", start, text, code="too-complex")
    mantissa = int(int_part + frac_part) if (int_part + frac_part) else 0
    scale = len(frac_part) - exp
    if scale > 0:
        value: Fraction | int = Fraction(mantissa, 10**scale)
        if value.denominator == 1:
            value = int(value)
    else:
        value = mantissa * 10 ** (-scale)
    if isinstance(value, int) and (frac_part or exp):
        value = Fraction(value)  # remember it was written as a decimal: keep Fraction type
    return i, value, text[start:i]


def _scan_name(text: str, i: int) -> tuple[int, str, tuple[str, str] | None]:
    """(end, name, subscript): the subscript is (base name, index) for ``y_k``, ``ŷ_k``, ``ŷₖ``, ``x_1``."""
    n = len(text)
    ch = text[i]
    sub = None
    ascii_base = False
    if ch in GREEK:
        name = GREEK[ch]
        i += 1
    elif ch in ACCENTED:
        name = ACCENTED[ch]
        i += 1
    else:
        ascii_base = True
        j = i
        while j < n and (text[j] in _ASCII_LETTERS or text[j] in _DIGITS):
            j += 1
        name = text[i:j]
        i = j
        base, _, index = name.rpartition("_")
        if base and index and not base.endswith("_"):
            sub = (base, index)
    # Decorations that stay part of the name: combining hat/bar, digits, _sub, subscript digits,
    # and the superscript layer index of the seeds, as in W⁽¹⁾ or ξ⁽²⁾.
    while i < n:
        c = text[i]
        if c in COMBINING:
            name += COMBINING[c]
            i += 1
        elif c in _DIGITS and (name in _DECORATED or name[-1] in _DIGITS):
            # ξ1 -> xi1 ; (ASCII names already swallowed their digits)
            name += c
            i += 1
        elif c in SUBSCRIPT_DIGITS:
            name += SUBSCRIPT_DIGITS[c]
            i += 1
        elif c in SUBSCRIPT_LETTERS:
            # ŷₖ as ŷ_k, yₖ as y_k: spelled as the same name the underscore gives.
            j = i
            index = ""
            while j < n and text[j] in SUBSCRIPT_LETTERS:
                index += SUBSCRIPT_LETTERS[text[j]]
                j += 1
            sub = (name, index)
            name += ("_" if ascii_base else "") + index
            i = j
        elif name.endswith("_") and c in GREEK:
            # x_ξ: the ASCII scan stopped at the Greek letter.
            sub = (name[:-1], GREEK[c])
            name += GREEK[c]
            i += 1
        elif c == "_" and i + 1 < n and (text[i + 1] in _ASCII_LETTERS or text[i + 1] in _DIGITS
                                         or text[i + 1] in GREEK):
            base = name
            j = i + 1
            if text[j] in GREEK:
                name += "_" + GREEK[text[j]]
                j += 1
            while j < n and (text[j] in _ASCII_LETTERS or text[j] in _DIGITS):
                name += text[j]
                j += 1
            sub = (base, name[len(base):].lstrip("_"))
            i = j
        elif c == "⁽":
            j = i + 1
            digits = ""
            while j < n and text[j] in SUPERSCRIPTS and SUPERSCRIPTS[text[j]].isdigit():
                digits += SUPERSCRIPTS[text[j]]
                j += 1
            if digits and j < n and text[j] == "⁾":
                name += digits
                i = j + 1
            else:
                raise AnswerSyntaxError("malformed layer index: write it as ⁽1⁾ or just W1", i, text)
        else:
            break
    # σ′(u), σ̇(u), tanh'(u): a derivative shorthand, only right before "(" so that a
    # matrix transpose A'(…) can never be mistaken for it.
    if name in _DERIVABLE and i + 1 < n and (text[i] in PRIMES or text[i] == _DOT_ABOVE) and text[i + 1] == "(":
        name += "'"
        i += 1
    return i, name, sub


# ----------------------------------------------------------------------------
# Parser.
# ----------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str, toks: list[Tok], symbols, functions: dict, *, formula: bool,
                 relations: bool, words, derivatives: bool, equations: bool, transpose: bool = True,
                 matrix: bool = False):
        self.text = text
        self.matrix = matrix  # products of matrices, ⊙, ^T: see _matrix_product
        self.transpose = transpose
        self.toks = toks
        self.i = 0
        self.symbols = symbols  # set of declared names, or None for "any name is a symbol"
        self.functions = functions
        self.formula = formula
        self.relations = relations
        self.words = words or ()
        self.derivatives = derivatives
        self.equations = equations
        self.depth = 0
        self.nodes = 0
        self.in_matrix = 0  # >0 inside [...] where spaces may separate entries
        self.abs_open = 0  # |…| groups open in the current bracket level: a '|' after a value closes one
        self.alias: tuple[str, str] | None = None  # (index, as typed) of the first ŷ_k read as a declared yhat

    # -- helpers -------------------------------------------------------------
    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def advance(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def error(self, msg: str, pos: int | None = None, code: str = "syntax") -> NoReturn:
        raise AnswerSyntaxError(msg, self.tok.pos if pos is None else pos, self.text, code=code)

    def expect(self, value: str, what: str, opener: Tok | None = None):
        t = self.tok
        if t.kind == "op" and t.value == value:
            return self.advance()
        if opener is not None and t.kind == "end":
            self.error(f"missing '{value}' to close the '{opener.value}' at character {opener.pos + 1}")
        self.error(f"expected {what}" + (f", found {self._describe(t)}" if t.kind != "end" else ""))

    def _describe(self, t: Tok) -> str:
        if t.kind == "end":
            return "the end of the answer"
        if t.kind == "num":
            return f"the number {self.text[t.pos:t.end]}"
        if t.kind == "name":
            return f"'{self.text[t.pos:t.end]}'"
        return f"'{self.text[t.pos:t.end]}'"

    def node(self, n: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.error(f"answer too complex (more than {MAX_NODES} terms)", code="too-complex")
        return n

    def enter(self, pos: int):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise AnswerSyntaxError(f"nested too deeply (the limit is {MAX_DEPTH} levels)", pos, self.text,
                                    code="too-deep")

    def leave(self):
        self.depth -= 1

    # -- grammar -------------------------------------------------------------
    def parse(self) -> Node:
        if self.tok.kind == "end":
            self.error("the answer is empty")
        node = self.relation()
        t = self.tok
        if t.kind != "end":
            if t.kind == "op" and t.value == ")":
                self.error("unmatched ')'")
            if t.kind == "op" and t.value == "]":
                self.error("unmatched ']'")
            if t.kind == "op" and t.value in ",;":
                self.error(f"unexpected '{t.value}': a list of values goes inside [ ]")
            if t.kind == "rel":
                self.error(f"'{t.value}' is not allowed in this answer")
            self.error(f"unexpected {self._describe(t)}")
        return node

    def relation(self) -> Node:
        start = self.tok.pos
        first = self.logic_or() if self.formula else self.additive()  # and/or/not: formulas only
        if self.tok.kind != "rel":
            return first
        terms, ops = [first], []
        while self.tok.kind == "rel":
            op = self.tok.value
            if op == "=" and not (self.equations or self.formula):
                self.error("'=' is not allowed here: type only the value (e.g. 0.25, not x = 0.25)")
            if op != "=" and not (self.relations or self.formula):
                self.error(f"'{op}' is not allowed in this answer")
            self.advance()
            ops.append(op)
            terms.append(self.logic_or() if self.formula else self.additive())
        return self.node(Relation(terms, ops, start, self.toks[self.i - 1].end))

    def logic_or(self) -> Node:
        left = self.logic_and()
        while self.formula and self.tok.kind == "name" and self.tok.value == "or":
            t = self.advance()
            right = self.logic_and()
            left = self.node(BinOp("or", left, right, t.pos, right.end))
        return left

    def logic_and(self) -> Node:
        left = self.logic_not()
        while self.formula and self.tok.kind == "name" and self.tok.value == "and":
            t = self.advance()
            right = self.logic_not()
            left = self.node(BinOp("and", left, right, t.pos, right.end))
        return left

    def logic_not(self) -> Node:
        if self.formula and self.tok.kind == "name" and self.tok.value == "not":
            t = self.advance()
            self.enter(t.pos)
            arg = self.logic_not()
            self.leave()
            return self.node(Unary("not", arg, t.pos, arg.end))
        return self.comparison()

    def comparison(self) -> Node:
        if not self.formula:
            return self.additive()
        left = self.additive()
        if self.tok.kind == "rel" and (self.tok.value != "=" or not self.equations):
            # Formula comparisons, `=` included, bind tighter than and/or: `a = 1 or b = 1`
            # is (a = 1) or (b = 1).  Only equation mode keeps `=` for Relation chains.
            t = self.advance()
            right = self.additive()
            return self.node(BinOp(t.value, left, right, left.pos, right.end))
        return left

    def additive(self) -> Node:
        left = self.multiplicative()
        while self.tok.kind == "op" and self.tok.value in "+-":
            t = self.tok
            # In a MATLAB-style row "[1 -2]" a sign after a space and before a non-space starts
            # a new entry, exactly as MATLAB reads it.
            if self.in_matrix and t.space_before and not self.peek().space_before:
                break
            self.advance()
            right = self.multiplicative()
            left = self.node(BinOp(t.value, left, right, left.pos, right.end))
        return left

    def multiplicative(self) -> Node:
        if self.matrix:
            return self._matrix_product()
        start = self.tok.pos
        left = self.unary()
        last = None  # the previous operator of this product: "/", "*" or None
        slash = None  # the last explicit "/" token and where its divisor ends
        while True:
            t = self.tok
            if t.kind == "op" and (t.value in "*/" or (t.value == "%" and self.formula)):
                self.advance()
                if self.tok.kind == "op" and self.tok.value in "*/":
                    self.error(f"'{t.value}' followed by '{self.tok.value}'")
                right = self.unary()
                left = self.node(BinOp(t.value, left, right, left.pos, right.end))
                last = t.value
                slash = (t, self.toks[self.i - 1].end)
            elif self._starts_implicit_factor(t):
                if t.kind == "num":
                    # "3 4", "x 2", "2 3/4": a typo, a list or a mixed number, never clearly a product.
                    prev = self.text[start:t.pos].strip()
                    self.error(f"a number right after '{_clip(prev)}': add an operator such as '*' or '+', "
                               f"or use [ ] for a list")
                if last == "/" and slash is not None:
                    self._ambiguous_division(start, slash, t)
                right = self.power()
                left = self.node(BinOp("*", left, right, left.pos, right.end))
                last = "*"
            else:
                return left

    # -- matrix answers: three levels of product -----------------------------
    # The notes write σ̇(ξ) ⊙ Wᵀ δ and (Wᵀ δ ⊙ σ̇(ξ)) xᵀ: a product written by juxtaposition binds
    # tightest, then ⊙, then an explicit '*' or '/'.  So ``dsigma(xi1) odot W2' delta2 * x'`` is
    # (σ̇(ξ1) ⊙ (W2ᵀ δ2)) xᵀ.  (Between scalars, where the order cannot matter, this is the same
    # product as ever.)  The printer parenthesizes to match (``_PREC``: ⊙ above '*').
    def _matrix_product(self) -> Node:
        start = self.tok.pos
        left = self._hadamard()
        while True:
            t = self.tok
            if not (t.kind == "op" and t.value in "*/"):
                return left
            self.advance()
            if (self.tok.kind == "op" and self.tok.value in "*/") or self._is_hadamard(self.tok):
                self.error(f"'{t.value}' followed by '{self.text[self.tok.pos:self.tok.end]}'")
            if t.value == "/":
                right = self.unary()
                nxt = self.tok
                if self._starts_implicit_factor(nxt) or self._is_hadamard(nxt):
                    # 1/2 h: (1/2)·h or 1/(2h)?  Ask, as the scalar language does.
                    if self._is_hadamard(nxt):
                        self.error("ambiguous after '/': add parentheses around the divisor or the quotient",
                                   nxt.pos)
                    self._ambiguous_division(start, (t, self.toks[self.i - 1].end), nxt)
            else:
                right = self._hadamard()
            left = self.node(BinOp(t.value, left, right, left.pos, right.end))

    def _is_hadamard(self, t: Tok) -> bool:
        if t.kind == "op" and t.value == "⊙":
            return True
        return t.kind == "name" and t.value == "odot" and not (self.symbols is not None and "odot" in self.symbols)

    def _hadamard(self) -> Node:
        left = self._juxtaposed()
        while self._is_hadamard(self.tok):
            t = self.advance()
            if (self.tok.kind == "op" and self.tok.value in "*/") or self._is_hadamard(self.tok):
                self.error(f"'{self.text[t.pos:t.end]}' followed by '{self.text[self.tok.pos:self.tok.end]}'")
            if self.tok.kind == "end":
                self.error("the answer ends too early")
            right = self._juxtaposed()
            left = self.node(BinOp("⊙", left, right, left.pos, right.end))
        return left

    def _juxtaposed(self) -> Node:
        start = self.tok.pos
        left = self.unary()
        while self._starts_implicit_factor(self.tok) and not self._is_hadamard(self.tok):
            t = self.tok
            if t.kind == "num":
                prev = self.text[start:t.pos].strip()
                self.error(f"a number right after '{_clip(prev)}': add an operator such as '*' or '+'")
            right = self.power()
            left = self.node(BinOp("*", left, right, left.pos, right.end))
        return left

    def _ambiguous_division(self, start: int, slash: tuple[Tok, int], t: Tok) -> NoReturn:
        """``1/2n`` or ``x/2(y+1)``: people read these both ways, so ask instead of guessing."""
        op, den_end = slash
        num = self.text[start:op.pos].strip()
        den = self.text[op.end:den_end].strip()
        save, depth, nodes = self.i, self.depth, self.nodes
        try:
            self.power()
            rest = self.text[t.pos:self.toks[self.i - 1].end].strip()
        except AnswerSyntaxError:
            rest = self.text[t.pos:t.end].strip()
        self.i, self.depth, self.nodes = save, depth, nodes
        num, den, rest = _clip(num), _clip(den), _clip(rest)

        def wrap(s: str) -> str:
            return s if _is_simple(s) else f"({s})"

        self.error(f"ambiguous: write ({num}/{den})*{wrap(rest)} or {wrap(num)}/({den}*{rest})", t.pos)

    def _starts_implicit_factor(self, t: Tok) -> bool:
        """Juxtaposition means multiplication: 2x, 2(x+1), (a+b)(a-b), h(1-h)."""
        if self.in_matrix and t.space_before:
            return False  # "[a b]" is two entries
        if t.kind == "num" or (t.kind == "op" and t.value == "("):
            return True
        if t.kind == "op" and t.value == "|":
            return self.abs_open == 0  # 2|x| is a product; inside |…| a '|' after a value closes
        if t.kind == "name":
            return t.value not in ("and", "or", "not") or not self.formula
        return False

    def unary(self) -> Node:
        t = self.tok
        if t.kind == "op" and t.value in "+-":
            self.advance()
            self.enter(t.pos)
            arg = self.unary()
            self.leave()
            if t.value == "+":
                return arg
            if isinstance(arg, Num):  # -3 is a literal, not an operation
                return self.node(Num(-arg.value, _negated(arg.text), t.pos, arg.end))
            return self.node(Unary("-", arg, t.pos, arg.end))
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        t = self.tok
        if t.kind == "op" and t.value == "^":
            self.advance()
            self.enter(t.pos)
            # The exponent may carry its own sign (2^-1, e^-x) and is right-associative.
            if self.tok.kind == "op" and self.tok.value in "+-":
                exp = self.unary_power()
            else:
                exp = self.power()
            self.leave()
            return self.node(BinOp("^", base, exp, base.pos, exp.end))
        return base

    def unary_power(self) -> Node:
        t = self.advance()
        self.enter(t.pos)
        arg = self.power() if not (self.tok.kind == "op" and self.tok.value in "+-") else self.unary_power()
        self.leave()
        if t.value == "+":
            return arg
        if isinstance(arg, Num):
            return self.node(Num(-arg.value, _negated(arg.text), t.pos, arg.end))
        return self.node(Unary("-", arg, t.pos, arg.end))

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            t = self.tok
            if t.kind == "sup":
                self.advance()
                node = self.node(BinOp("^", node, Num(t.value, str(t.value), t.pos, t.end), node.pos, t.end))
            elif t.kind == "op" and t.value == "T" and not (self.in_matrix and t.space_before):
                if not self.transpose:
                    what = "'" if self.text[t.pos] in PRIMES else "ᵀ"
                    self.error(f"a transpose mark ({what}) is only accepted in vector and matrix answers",
                               code="syntax")
                self.advance()
                node = self.node(Transpose(node, node.pos, t.end))
            elif t.kind == "op" and t.value == "[" and not t.space_before:
                self.error("subscripts/indexing are not allowed", code="forbidden")
            elif self.matrix and t.kind == "op" and t.value == "^" and self._transpose_exponent(self.peek()):
                # W2^T (and W2^⊤): the transpose, not a power (unless T is a symbol of the answer).
                self.advance()
                mark = self.advance()
                node = self.node(Transpose(node, node.pos, mark.end))
            else:
                return node

    def _transpose_exponent(self, t: Tok) -> bool:
        if t.kind == "op" and t.value == "T":
            return True
        return t.kind == "name" and t.value == "T" and not (self.symbols is not None and "T" in self.symbols)

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.advance()
            text = self.text[t.pos:t.end]
            if text in VULGAR_FRACTIONS:
                # ½ is read exactly as the quotient 1/2 would be, so that it echoes as 1/2 and the
                # echo parses back to the same tree.
                num, den = VULGAR_FRACTIONS[text]
                return self.node(BinOp("/", self.node(Num(num, str(num), t.pos, t.end)),
                                       self.node(Num(den, str(den), t.pos, t.end)), t.pos, t.end))
            return self.node(Num(t.value, text, t.pos, t.end))
        if t.kind == "name":
            return self.name_or_call()
        if t.kind == "op" and t.value == "(":
            self.advance()
            self.enter(t.pos)
            saved = self.in_matrix, self.abs_open
            self.in_matrix = self.abs_open = 0
            if self.tok.kind == "op" and self.tok.value == ")":
                self.error("empty parentheses")
            inner = self.relation() if self.formula else self.additive()
            if self.tok.kind == "op" and self.tok.value == ",":
                self.error("a tuple is not allowed; use [a, b] for a vector")
            self.expect(")", "')'", opener=t)
            self.in_matrix, self.abs_open = saved
            self.leave()
            return inner
        if t.kind == "op" and t.value == "[":
            return self.bracket()
        if t.kind == "op" and t.value == "|":
            return self.abs_bars()
        if t.kind == "end":
            self.error("the answer ends too early" if self.i > 0 else "the answer is empty")
        if t.kind == "op" and t.value == ")":
            self.error("unmatched ')'" if self.depth == 0 else "expected a value before ')'")
        if t.kind == "sup":
            self.error("a superscript needs something before it")
        if t.kind == "op" and t.value == "T":
            if self.text[t.pos] == "'" and self.peek().kind in ("name", "num"):
                self.error("strings are not allowed in an answer", code="forbidden")
            self.error("a transpose mark needs a matrix before it")
        if t.kind == "rel":
            self.error(f"expected a value before '{t.value}'")
        self.error(f"expected a value, found {self._describe(t)}")

    def name_or_call(self) -> Node:
        t = self.advance()
        name = t.value
        nxt = self.tok
        call_follows = nxt.kind == "op" and nxt.value == "(" and not (self.in_matrix and nxt.space_before)
        canonical = (self.matrix and MATRIX_ALIASES.get(name)) or FUNCTION_ALIASES.get(name, name)
        if canonical.endswith("'") and canonical not in self.functions:
            base = canonical[:-1]
            spelled = {"sigma": "sigma(x)*(1 - sigma(x))", "tanh": "1 - tanh(x)^2", "relu": "a 0/1 value"}[base]
            self.error(f"the derivative {base}′( ) is not accepted here: write it out, e.g. {spelled}",
                       t.pos, code="unknown-function")
        # Derivative notation: d/dξ( … ), ∂/∂z( … ), dσ/dξ, dh/dxi.  A declared symbol named like
        # the head (d, dh) keeps its meaning: declared symbols win.
        if name == "∂" or (name[0] == "d" and not (self.symbols is not None and name in self.symbols)):
            d = self._derivative_notation(t)
            if d is not None:
                return d
        if name == "∂":
            self.error("'∂' is only read in derivative notation: ∂/∂x( … ) or ∂f/∂x", t.pos)
        if self.derivatives and name == "diff" and call_follows:
            self.advance()
            self.enter(nxt.pos)
            inner = self.additive()
            self.expect(",", "',' and the variable: diff(expr, x)")
            vt = self.tok
            if vt.kind != "name" or (self.symbols is not None and vt.value not in self.symbols):
                self.error("diff needs a declared variable as its second argument", code="unknown-name")
            self.advance()
            self.expect(")", "')'", opener=nxt)
            self.leave()
            return self.node(Derivative(inner, vt.value, t.pos, self.toks[self.i - 1].end))
        if self.symbols is not None and name in self.symbols:
            return self.node(Name(name, t.pos, t.end))  # declared symbols win: h(1-h) is h*(1-h)
        alias = self._subscript_alias(t)
        if alias is not None:
            return self.node(Name(alias, t.pos, t.end))  # ...and so do their subscripted spellings
        if canonical in self.functions:
            if self.text[t.pos:t.end] == "√" and not call_follows:
                self.enter(t.pos)
                arg = self.power()
                self.leave()
                return self.node(Call("sqrt", [arg], t.pos, arg.end))
            if call_follows:
                return self.call(canonical, t)
            if self.formula and not canonical.endswith("'"):
                # Where any name is a value (bank formulas: "g = relu" compares a choice), a bare
                # function name is just a name; the evaluator decides what it means.
                return self.node(Name(name, t.pos, t.end))
            if nxt.kind == "sup" or (nxt.kind == "op" and nxt.value == "^"):
                return self._function_power(canonical, t)
            if canonical in ("ln", "log"):
                bare = self._bare_log(canonical, t)
                if bare is not None:
                    return bare
            self.error(f"the function '{name}' needs parentheses: {name}( … )")
        if name in CONSTANTS:
            return self.node(Name(name, t.pos, t.end))
        if self.symbols is None:
            if call_follows and name in _NOT_IN_LANGUAGE:
                # "cos(x)" is never the symbol cos times x, even where any name is a symbol.
                self.error(f"the function '{name}' is not allowed here", t.pos, code="unknown-function")
            if name in _BARE_FUNCTION_NAMES and not self.formula:
                # In a derivation any other name is a symbol; "cosh" as a variable only misleads.
                self.error(f"the function '{name}' is not part of the answer language", t.pos,
                           code="unknown-function")
            return self.node(Name(name, t.pos, t.end))
        if name in self.words or name.lower() in self.words:
            return self.node(Word(name.lower(), t.pos, t.end))
        if call_follows:
            if name in FORMULA_FUNCTIONS or name in _NOT_IN_LANGUAGE:
                self.error(f"the function '{name}' is not allowed here", t.pos, code="unknown-function")
            self.error(f"unknown function '{name}'", t.pos, code="unknown-function")
        self.error(self._unknown_name_message(name, t.sub), t.pos, code="unknown-name")

    # -- notation ------------------------------------------------------------
    def _d_variable(self, k: int) -> tuple[str, int] | None:
        """The variable of ``dξ``, ``dxi`` or ``∂z`` at token ``k``, and the index of its last token."""
        a = self.toks[k]
        if a.kind != "name":
            return None
        if a.value in ("d", "∂"):
            b = self.toks[k + 1]  # there is always an "end" token after a name
            if b.kind == "name" and b.pos == a.end and b.value not in ("d", "∂"):
                return b.value, k + 1
            return None
        if self.text[a.pos] == "d" and len(a.value) > 1 and a.value[1] != "_":  # δ is "delta", not d + elta
            return a.value[1:], k
        return None

    def _derivative_notation(self, t: Tok) -> Node | None:
        """``d/dξ( … )`` or ``dσ/dξ`` starting at ``t`` (already read), or None when it is not one.

        Derivations read both; other answers refuse them with a reason, since the derivative
        is what they ask for (and "unknown name 'd'" would send the student looking for a typo).
        """
        if self.symbols is None and not self.derivatives:
            return None  # bank formulas and assumptions: a quotient of two names stays one
        if not self.derivatives and self.symbols is not None and "d" in self.symbols:
            return None  # d is a symbol here: dx/dy is most likely d*x/(d*y), and the hint says so
        i = self.i  # the token after t
        head: str | None = None  # dσ/dξ: "sigma"; None for the operator form d/dξ
        head_tok = t
        if t.value in ("d", "∂"):
            nxt = self.toks[i]
            if nxt.kind == "sup" and nxt.pos == t.end:
                j = i + 1
                if self.toks[j].kind == "name" and self.toks[j].pos == self.toks[i].end:
                    j += 1
                if self.toks[j].kind == "op" and self.toks[j].value == "/" and self._d_variable(j + 1):
                    self.error("second derivatives (d²/dx²) are not accepted: write d/dx(d/dx( … ))", t.pos)
                return None
            if nxt.kind == "name" and nxt.pos == t.end:  # dσ/dξ, ∂L/∂z
                head, head_tok = nxt.value, nxt
                i += 1
        elif len(t.value) > 1 and self.text[t.pos] == "d":
            head = t.value[1:]  # dh/dxi
        else:
            return None
        if not (self.toks[i].kind == "op" and self.toks[i].value == "/"):
            return None
        dv = self._d_variable(i + 1)
        if dv is None:
            return None
        var, var_at = dv
        var_tok = self.toks[var_at]
        shown = self.text[t.pos:var_tok.end]
        if self.symbols is not None and head is not None and t.value in self.symbols and var_tok.value in self.symbols:
            return None  # dh/dx with both dh and dx declared: a quotient
        if not self.derivatives:
            self.error(f"derivative notation ({_clip(shown)}) is only read in derivations: "
                       "type the derivative itself", t.pos)
        if self.symbols is not None and var not in self.symbols:
            at = var_tok.pos if var_tok.value == var else var_tok.pos + 1  # dw: the w
            self.error(f"unknown variable '{var}' in {_clip(shown)}", at, code="unknown-name")
        self.i = var_at + 1
        if head is None:  # the operator form: d/dξ( … )
            op = self.tok
            if not (op.kind == "op" and op.value == "("):
                self.error(f"write {shown}( … ) with parentheses")
            self.advance()
            self.enter(op.pos)
            saved = self.in_matrix, self.abs_open
            self.in_matrix = self.abs_open = 0
            inner = self.additive()
            self.expect(")", "')'", opener=op)
            self.in_matrix, self.abs_open = saved
            self.leave()
            return self.node(Derivative(inner, var, t.pos, self.toks[self.i - 1].end))
        # Leibniz: dσ/dξ is the derivative of σ(ξ); dh/dξ that of h (a symbol or a definition).
        fn = FUNCTION_ALIASES.get(head, head)
        if fn in self.functions and self.functions[fn][0] == 1 and not fn.endswith("'") \
                and not (self.symbols is not None and head in self.symbols):
            expr: Node = self.node(Call(fn, [self.node(Name(var, var_tok.pos, var_tok.end))],
                                        head_tok.pos, head_tok.end))
        elif self.symbols is None or head in self.symbols or head in CONSTANTS:
            expr = self.node(Name(head, head_tok.pos, head_tok.end))
        else:
            at = head_tok.pos + (1 if head_tok is t else 0)  # dq/dx: the q
            self.error(self._unknown_name_message(head), at, code="unknown-name")
        after = self.tok
        if after.kind == "sup" or (after.kind == "op" and after.value == "^"):
            self.error(f"write ({shown})^… with parentheses: a power right after {shown} is ambiguous")
        if after.kind == "op" and after.value == "(":
            typed_var = self.text[self.toks[i + 1].pos:var_tok.end]
            self.error(f"ambiguous: write {self.text[t.pos]}/{typed_var}( … ) for the derivative of an expression, "
                       f"or ({shown})*( … ) for a product")
        return self.node(Derivative(expr, var, t.pos, var_tok.end))

    def _function_power(self, func: str, t: Tok) -> Node:
        """``tanh²(ξ)``, ``tanh^2(ξ)``, ``σ²(ξ)``: the notes' power of the function's value."""
        e = self.tok
        name = self.text[t.pos:t.end]
        n: int | None = None
        skip = 1
        if e.kind == "sup":
            n = e.value
        else:
            nt = self.peek()
            if nt.kind == "op" and nt.value == "-":
                n = -1  # tanh^-1(x): which -1 it is does not matter, it is refused
            elif nt.kind == "num" and isinstance(nt.value, int) and self.text[nt.pos:nt.end].isdigit():
                n, skip = nt.value, 2
        if n is not None and n < 0:
            self.error(f"ambiguous: {name}⁻¹ may mean the inverse function or 1/{name}( … ); "
                       f"write 1/{name}( … ) (inverse functions are not in the answer language)", e.pos)
        after = self.peek(skip)
        if n is None or not (after.kind == "op" and after.value == "(") or (self.in_matrix and after.space_before):
            shown = f"{name}( … )^{n}" if n is not None else f"{name}( … )^…"
            self.error(f"the function '{name}' needs parentheses: write {shown}", e.pos)
        exp_end = self.toks[self.i + skip - 1].end
        for _ in range(skip):
            self.advance()
        call = self.call(func, t)
        exponent = self.node(Num(n, str(n), e.pos, exp_end))
        return self.node(BinOp("^", call, exponent, t.pos, call.end))

    def _bare_log(self, func: str, t: Tok) -> Node | None:
        """``ln 2``, ``ln x``: one number or one name, as in standard maths; None when it is not that."""
        a = self.tok
        if a.kind == "name":
            if FUNCTION_ALIASES.get(a.value, a.value) in self.functions or a.value in ("d", "∂"):
                return None
            nt = self.peek()
            if nt.kind == "op" and nt.value == "(" and not (self.in_matrix and nt.space_before):
                # ln h(1-h): the log of a product, or a product?  Ask.
                self.error(f"ambiguous: write {self.text[t.pos:t.end]}( … ) around everything the log applies to",
                           a.pos)
        elif a.kind != "num":
            return None
        self.enter(t.pos)
        arg = self.atom()
        self.leave()
        if not isinstance(arg, (Num, Name)):
            self.error(f"the function '{self.text[t.pos:t.end]}' needs parentheses here", a.pos)
        name = self.text[t.pos:t.end]
        arg_text = self.text[a.pos:arg.end].strip()
        f = self.tok
        nxt_text = _clip(self.text[self.peek().pos:self.peek().end]) if self.peek().kind != "end" else "…"
        if f.kind == "sup" or (f.kind == "op" and f.value == "^"):
            power = self.text[f.pos:f.end] if f.kind == "sup" else "^" + nxt_text
            self.error(f"ambiguous: write {name}({arg_text}{power}) or {name}({arg_text}){power}", f.pos)
        if f.kind == "op" and f.value == "/":
            self.error(f"ambiguous: write {name}({arg_text}/{nxt_text}) or {name}({arg_text})/{nxt_text}", f.pos)
        if self._starts_implicit_factor(f):
            factor = _clip(self.text[f.pos:f.end])
            self.error(f"ambiguous: write {name}({arg_text}*{factor}) or {name}({arg_text})*{factor}", f.pos)
        return self.node(Call(func, [arg], t.pos, arg.end))

    def _subscript_alias(self, t: Tok) -> str | None:
        """The declared symbol a subscripted name stands for: ŷ_k − y_k where yhat and y are declared.

        Prompts say "in terms of yhat (ŷ_k) and y (y_k)": the part's symbols are the entries at
        one index, so a letter subscript on a declared name is that name.  Not when the index is
        itself a symbol, nor when the part declares subscripted relatives (x and x1, W1 and W2),
        where a subscript tells symbols apart; and one answer uses one index throughout.
        """
        if self.symbols is None or t.sub is None:
            return None
        base, index = t.sub
        if base not in self.symbols or len(index) != 1 or not index.isalpha():
            return None
        raw = self.text[t.pos:t.end]
        if index in self.symbols:
            self.error(f"'{raw}': {index} is a symbol of this answer, not an index; write {base} "
                       f"for the entry itself", t.pos, code="unknown-name")
        if any(s != base and s.startswith(base) and _is_index(s[len(base):]) for s in self.symbols):
            return None
        if self.alias is not None and self.alias[0] != index:
            self.error(f"'{raw}' has the index {index} but '{self.alias[1]}' has {self.alias[0]}: "
                       "use one index throughout, or none", t.pos, code="unknown-name")
        if self.alias is None:
            self.alias = (index, raw)
        return base

    def abs_bars(self) -> Node:
        """``|x|``, ``|a - |b||``, ``2|x|``: abs( ).  ``|a|b|c|`` pairs two ways and is refused."""
        opener = self.advance()
        self.enter(opener.pos)
        saved = self.in_matrix, self.abs_open
        self.in_matrix, self.abs_open = 0, self.abs_open + 1
        inner = self.additive()
        close = self.tok
        if not (close.kind == "op" and close.value == "|"):
            if close.kind == "end":
                self.error(f"missing '|' to close the '|' at character {opener.pos + 1}")
            self.error(f"expected '|' to close the '|' at character {opener.pos + 1}, found {self._describe(close)}")
        self.advance()
        self.in_matrix, self.abs_open = saved
        self.leave()
        if any(isinstance(n, (Vector, Matrix)) for n in walk(inner)):
            self.error("|…| of a vector or matrix: norms and determinants are not in the answer language "
                       "(abs( ) applies entry by entry)", opener.pos)
        nxt = self.tok
        if self._starts_implicit_factor(nxt) and not (nxt.kind == "op" and nxt.value == "|") \
                and self._bar_after_factors():  # |x||y| is |x|*|y|; |a|b|c| is not clear
            self.error("ambiguous: these '|' pair up in two ways; write abs( … ) to show which", close.pos)
        return self.node(Call("abs", [inner], opener.pos, close.end))

    def _bar_after_factors(self) -> bool:
        """Does a '|' follow the factors juxtaposed here?  (``|a|b|c|``: |a|·b·|c| or |a·|b|·c|.)

        A scan of the tokens, not a trial parse: a trial parse at every closing bar would parse
        nested groups again and again (2^depth).  Bracketed groups are skipped whole.
        """
        depth = 0
        for k in range(self.i, len(self.toks)):
            t = self.toks[k]
            if t.kind == "end":
                return False
            if t.kind == "op" and t.value in "([":
                depth += 1
            elif t.kind == "op" and t.value in ")]":
                if depth == 0:
                    return False
                depth -= 1
            elif depth:
                continue
            elif self.in_matrix and t.space_before and k > self.i:
                return False  # "[|a| b |c|]": a new entry, not a product
            elif t.kind == "op" and t.value == "|":
                return True
            elif t.kind in ("num", "name", "sup") or (t.kind == "op" and t.value in ("^", "T")):
                continue
            elif t.kind == "op" and t.value in "+-" and self.toks[k - 1].kind == "op" and self.toks[k - 1].value == "^":
                continue  # x^-1: the sign belongs to the exponent
            else:
                return False
        return False

    def _unknown_name_message(self, name: str, sub: tuple[str, str] | None = None) -> str:
        syms = sorted(self.symbols or ())
        if sub is not None and sub[0] in syms and sub[1].isdigit():
            return f"unknown name '{name}' ({sub[0]} here already stands for one entry: write {sub[0]})"
        # A run of declared one-letter symbols, e.g. "xy": suggest the product.
        if len(name) > 1 and all(c in syms for c in name):
            return f"unknown name '{name}' (did you mean {'*'.join(name)}?)"
        if name in FORMULA_FUNCTIONS or name in _NOT_IN_LANGUAGE:
            return f"the function '{name}' is not allowed here"
        if name.startswith("__") or name in ("import", "lambda", "open", "eval", "exec", "os", "sys"):
            return f"'{name}' is not allowed"
        for f in self.functions:
            if len(name) > len(f) and name.startswith(f) and name[len(f):].isdigit():
                return f"unknown name '{name}' (did you mean {f}({name[len(f):]})?)"
        if syms:
            shown = ", ".join(syms[:8]) + (", …" if len(syms) > 8 else "")
            return f"unknown name '{name}' (this answer may use: {shown})"
        return f"unknown name '{name}' (this answer takes numbers only)"

    def call(self, func: str, t: Tok) -> Node:
        opener = self.advance()  # "("
        self.enter(opener.pos)
        saved = self.in_matrix, self.abs_open
        self.in_matrix = self.abs_open = 0
        args = []
        if self.tok.kind == "op" and self.tok.value == ")":
            self.error(f"{func}( ) needs an argument")
        while True:
            args.append(self.relation() if self.formula else self.additive())
            if self.tok.kind == "op" and self.tok.value == ",":
                self.advance()
                continue
            break
        self.expect(")", "')' or ','", opener=opener)
        self.in_matrix, self.abs_open = saved
        self.leave()
        lo, hi = self.functions[func]
        if not lo <= len(args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            self.error(f"{func} takes {want} argument{'s' if hi != 1 else ''}, got {len(args)}", t.pos)
        return self.node(Call(func, args, t.pos, self.toks[self.i - 1].end))

    def bracket(self) -> Node:
        """``[1, 2]``, ``[[1,2],[3,4]]`` and MATLAB-style ``[1 2; 3 4]``."""
        opener = self.advance()
        self.enter(opener.pos)
        if self.tok.kind == "op" and self.tok.value == "]":
            self.error("empty brackets")
        saved = self.in_matrix, self.abs_open
        self.in_matrix, self.abs_open = 1, 0
        rows: list[list[Node]] = [[]]
        separators = set()
        while True:
            item = self.additive()
            rows[-1].append(item)
            t = self.tok
            if t.kind == "op" and t.value == ",":
                separators.add(",")
                self.advance()
            elif t.kind == "op" and t.value == ";":
                separators.add(";")
                self.advance()
                rows.append([])
            elif t.kind == "op" and t.value == "]":
                break
            elif t.kind == "end":
                self.error(f"missing ']' to close the '[' at character {opener.pos + 1}")
            elif t.space_before:
                separators.add(" ")
                continue  # whitespace-separated entry
            else:
                self.error(f"expected ',' or ']' , found {self._describe(t)}")
            if self.tok.kind == "op" and self.tok.value == "]" and rows[-1] == [] and len(rows) > 1:
                rows.pop()  # a trailing ';' is harmless
                break
        close = self.advance()
        self.in_matrix, self.abs_open = saved
        self.leave()
        if len(rows) > 1:
            widths = {len(r) for r in rows}
            if len(widths) != 1:
                self.error("the rows of this matrix have different lengths", opener.pos)
            if any(isinstance(x, (Vector, Matrix)) for r in rows for x in r):
                self.error("a matrix entry cannot itself be a vector", opener.pos)
            return self.node(Matrix(rows, opener.pos, close.end))
        items = rows[0]
        if any(isinstance(x, Matrix) for x in items):
            self.error("arrays of more than two dimensions are not supported", opener.pos)
        vectors = [x for x in items if isinstance(x, Vector)]
        if len(vectors) == len(items):  # every item is a row: a matrix
            widths = {len(x.items) for x in vectors}
            if len(widths) != 1:
                self.error("the rows of this matrix have different lengths", opener.pos)
            if any(isinstance(y, (Vector, Matrix)) for x in vectors for y in x.items):
                self.error("arrays of more than two dimensions are not supported", opener.pos)
            return self.node(Matrix([x.items for x in vectors], opener.pos, close.end))
        if any(isinstance(x, (Vector, Matrix)) for x in items):
            self.error("mixing numbers and rows in one bracket", opener.pos)
        return self.node(Vector(items, opener.pos, close.end))


def parse(text: str, symbols=(), *, formula: bool = False, relations: bool = False,
          words=(), derivatives: bool = False, equations: bool = False,
          extra_functions: dict | None = None, transpose: bool = True, matrix: bool = False) -> Node:
    """Parse ``text`` into a syntax tree, or raise :class:`AnswerSyntaxError`.

    ``symbols``: the names this answer may use (``None`` accepts any name as a symbol,
    which is how free-form derivations declare their variables).  ``formula`` enables
    the bank-formula extras (comparisons, ``%``, ``and/or/not``, ``len``...), which users'
    answers never get.  ``words``: bare words accepted as answers (``none``, ``true``).
    ``derivatives``: accept ``d/dx( … )``, ``diff(…, x)`` and ``σ′(u)``, ``tanh′(u)``,
    ``relu′(u)`` (derivations).  ``transpose``: accept ``Aᵀ`` / ``A'`` (matrix answers).
    ``matrix``: an expression over vectors and matrices (``nncheck.lang.shapes``): transposes
    (``A'``, ``Aᵀ``, ``A^T``), the elementwise product ``⊙`` (``.*``, ``odot``), products by
    juxtaposition binding tighter than ``⊙`` and ``⊙`` tighter than ``*``, and the derivative
    shorthands ``σ̇(u)``, ``sigma'(u)``, ``dsigma(u)``.
    """
    if not isinstance(text, str):
        raise AnswerSyntaxError("the answer must be text", 0, "")
    functions = dict(FUNCTIONS)
    if formula:
        functions.update(FORMULA_FUNCTIONS)
    if derivatives or matrix:
        functions.update(DERIVATIVE_FUNCTIONS)
    if extra_functions:
        functions.update(extra_functions)
    toks = tokenize(text, formula=formula, relations=relations, matrix=matrix)
    syms = None if symbols is None else set(symbols)
    p = _Parser(text, toks, syms, functions, formula=formula, relations=relations,
                words=set(words), derivatives=derivatives, equations=equations, transpose=transpose or matrix,
                matrix=matrix)
    return p.parse()


def _negated(text: str) -> str:
    """The literal text of a negated number: "3" -> "-3", "-3" -> "3"."""
    return text[1:] if text.startswith("-") else "-" + text


def _clip(s: str, width: int = 24) -> str:
    """Shorten a piece of the answer quoted inside a one-line message."""
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"


def _is_index(suffix: str) -> bool:
    """Is ``suffix`` (after a base name) a subscript such as 1, _1, _k or k?"""
    suffix = suffix[1:] if suffix.startswith("_") else suffix
    return suffix.isdigit() or (len(suffix) == 1 and suffix.isalpha())


def _is_simple(s: str) -> bool:
    """A number, a name, a call f(…) or a parenthesized group: safe to quote as a factor."""
    head = 0
    while head < len(s) and (s[head].isalnum() or s[head] in "._"):
        head += 1
    if head == len(s):
        return True
    if s[head] != "(" or s[-1] != ")":
        return False
    depth = 0
    for i in range(head, len(s)):
        depth += {"(": 1, ")": -1}.get(s[i], 0)
        if depth == 0 and i != len(s) - 1:
            return False  # "(a)+(b)": the first group closes early
    return True


def walk(node: Node):
    """Every node of the tree, parents before children (iterative: no recursion limit)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))


def names_in(node: Node) -> set[str]:
    return {n.name for n in walk(node) if isinstance(n, Name)}


# ----------------------------------------------------------------------------
# Printing back in the answer language ("parsed as: ...").
# ----------------------------------------------------------------------------
#: ⊙ (matrix answers only) sits above '*': a product under a ⊙ is printed in parentheses, as the
#: matrix parser reads juxtaposition tighter than ⊙ but an explicit '*' looser.
_PREC = {"or": 1, "and": 2, "<": 4, "<=": 4, ">": 4, ">=": 4, "=": 4, "!=": 4,
         "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, "⊙": 7, "^": 8}


def to_text(node: Node) -> str:
    """Print a tree back in the answer language, fully explicit: ``2x`` prints as ``2*x``.

    Post-order through :func:`nncheck.lang.walk.fold`, so a 2,000-node chain such as
    ``x+x+…+x`` cannot hit Python's recursion limit.
    """
    return fold(node, _print_one)[0]


def _wrap(info: tuple[str, str, int], parent_prec: int, right: bool = False) -> str:
    """A child's text, parenthesized when its parent binds tighter."""
    s, cat, p = info
    if cat == "num" or cat == "atom":
        return s
    if cat == "num-frac":  # a literal 2/3 would re-read as a division
        return f"({s})" if parent_prec >= 6 else s
    if cat == "num-neg" or cat == "neg":
        # A leading minus binds tighter than * and / but not ^: -a*b is (-a)*b, -a^2 is -(a^2).
        # It is also parenthesized on the right of an operator, where "x - -y" would be hard to read.
        return f"({s})" if parent_prec >= 7 or (right and parent_prec >= 5) else s
    if cat == "rel":
        return f"({s})" if parent_prec > 0 else s
    if cat == "hadamard" and parent_prec >= _PREC["*"]:
        return f"({s})"  # (a ⊙ b)*c, -(a ⊙ b): the parentheses a reader needs, though the parser may not
    return f"({s})" if p < parent_prec or (p == parent_prec and right) else s


def _print_one(node: Node, kids: list[tuple[str, str, int]]) -> tuple[str, str, int]:
    """(text, category, precedence) of ``node``, from its children's in ``kids``."""
    if isinstance(node, Num):
        s = node.text or _num_text(node.value)
        cat = "num-neg" if s.startswith("-") else "num-frac" if "/" in s else "num"
        return s, cat, 10
    if isinstance(node, Name):
        return node.name, "atom", 10
    if isinstance(node, Word):
        return node.word, "atom", 10
    if isinstance(node, Unary):
        if node.op == "not":
            return "not " + _wrap(kids[0], 3), "not", 3
        return "-" + _wrap(kids[0], 7), "neg", 7
    if isinstance(node, BinOp):
        p = _PREC[node.op]
        left, right = kids
        if node.op == "^":
            return f"{_wrap(left, p + 1)}^{_wrap(right, p)}", "bin", p
        sep = f" {node.op} " if node.op in ("+", "-", "and", "or", "<", "<=", ">", ">=", "=", "!=", "%", "⊙") \
            else node.op
        return f"{_wrap(left, p)}{sep}{_wrap(right, p, True)}", "hadamard" if node.op == "⊙" else "bin", p
    if isinstance(node, (Call, Vector)):
        inner = ", ".join(_wrap(k, 0) for k in kids)
        return (f"{node.func}({inner})" if isinstance(node, Call) else f"[{inner}]"), "atom", 10
    if isinstance(node, Matrix):
        cols = node.shape[1]
        rows = ("[" + ", ".join(_wrap(k, 0) for k in kids[r * cols:(r + 1) * cols]) + "]"
                for r in range(len(node.rows)))
        return "[" + ", ".join(rows) + "]", "atom", 10
    if isinstance(node, Transpose):
        return _wrap(kids[0], 9) + "ᵀ", "atom", 10
    if isinstance(node, Derivative):
        return f"d/d{node.var}({_wrap(kids[0], 0)})", "atom", 10
    if isinstance(node, Relation):
        out = _wrap(kids[0], 4)
        for op, term in zip(node.ops, kids[1:]):
            out += f" {op} {_wrap(term, 4)}"
        return out, "rel", 4
    raise TypeError(f"not a syntax node: {node!r}")
