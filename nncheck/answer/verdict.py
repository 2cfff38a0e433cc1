"""The outcome of grading one answer: a :class:`Verdict`.

Three verdicts, as in PrairieLearn: *correct*, *incorrect* and *invalid*.  Invalid
means the text could not be read (or was too complex to check); it comes with a
caret and a one-line reason and never costs an attempt.  Every other verdict says
how the answer was read ("parsed as: …").

Verdicts are made in this process by the answer kinds (:mod:`nncheck.kinds`) and in
the sandbox worker by :mod:`nncheck.answer.symbolic`, so they live here, below both.
"""

from __future__ import annotations

from typing import Any

from nncheck.lang.syntax import AnswerSyntaxError


class Verdict:
    """The outcome of grading one answer."""

    __slots__ = ("status", "score", "feedback", "parsed_as", "mistake", "error", "details", "tolerance",
                 "carried_forward", "shown")

    def __init__(self, status: str, score: float = 0.0, feedback: str = "", *, parsed_as: str | None = None,
                 mistake: str | None = None, error: AnswerSyntaxError | None = None,
                 details: list[dict[str, Any]] | None = None, tolerance: str | None = None,
                 carried_forward: list[str] | None = None, shown: bool | None = None) -> None:
        self.status = status  # correct | incorrect | invalid
        self.score = score
        self.feedback = feedback
        self.parsed_as = parsed_as
        self.mistake = mistake  # the declared (or generic) mistake id this answer matches
        self.error = error
        self.details: list[dict[str, Any]] = details or []
        self.tolerance = tolerance
        #: The earlier parts whose (wrong) answers this verdict was graded from: error carried
        #: forward (``nncheck.key.grade``); empty when it was graded against the key.
        self.carried_forward: list[str] = carried_forward or []
        #: Derivations only: False where work is skipped or a step is circular (None: not a derivation).
        self.shown = shown

    @property
    def costs_attempt(self) -> bool:
        return self.status != "invalid"

    @property
    def too_complex(self) -> bool:
        return self.error is not None and self.error.code == "too-complex"

    def caret(self) -> str | None:
        return self.error.caret() if self.error else None

    def __repr__(self) -> str:
        return (f"Verdict({self.status!r}, score={self.score:g}, feedback={self.feedback!r}, "
                f"parsed_as={self.parsed_as!r})")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "score": round(self.score, 6), "feedback": self.feedback,
                               "parsed_as": self.parsed_as, "mistake": self.mistake}
        if self.error is not None:
            out["error"] = {"message": self.error.message, "position": self.error.pos, "caret": self.error.caret(),
                            "code": self.error.code}
        if self.details and all("entry" in d for d in self.details):
            out["entries"] = [{**d, "entry": list(d["entry"]) if isinstance(d["entry"], tuple) else d["entry"]}
                              for d in self.details]
        elif self.details:
            # A derivation's details are its steps (each already JSON), not array entries.
            out["steps"] = list(self.details)
        if self.shown is not None:
            out["shown"] = self.shown
        if self.tolerance:
            out["tolerance"] = self.tolerance
        if self.carried_forward:
            out["carried_forward"] = list(self.carried_forward)
        return out


def invalid(err: AnswerSyntaxError) -> Verdict:
    """The verdict for an answer that could not be read: it costs no attempt."""
    return Verdict("invalid", 0.0, err.message, error=err)


def too_complex(text: str, e: Exception) -> Verdict:
    """The verdict for an answer the sandbox gave up on (past its deadline or memory)."""
    err = AnswerSyntaxError(f"{e}; simplify the answer and try again", 0, text, code="too-complex")
    return Verdict("invalid", 0.0, err.message, error=err)


def comparison_verdict(res: Any, text: str, parsed: str | None, *, correct: str,
                       differ: str) -> tuple[Verdict, str | None]:
    """The verdict of a finished equivalence check (scalar or matrix; ``res`` has ``equal``,
    ``too_complex``, ``undecided``, ``note`` and ``counterexample()``) and its counterexample: correct;
    too complex to confirm (invalid, no attempt spent); undecided (never "equal"); or incorrect with
    the point where the two differ, which a named mistake's feedback repeats."""
    if res.equal:
        return Verdict("correct", 1.0, correct, parsed_as=parsed), None
    if res.too_complex:
        # Past the precision the checker allows, "equal" cannot be confirmed: the answer is not
        # graded (it costs no attempt), as when the sandbox's deadline runs out.
        return too_complex(text, ValueError(res.note)), None
    if res.undecided:
        return Verdict("incorrect", 0.0, "Cannot confirm this answer: " + (res.note or "it could not be evaluated")
                       + ".", parsed_as=parsed), None
    why = res.counterexample()
    return Verdict("incorrect", 0.0, f"{differ}: {why}.", parsed_as=parsed), why


def shape_text(shape: tuple[int, ...]) -> str:
    """``a vector of 3`` or ``2×3``: a shape as the feedback names it."""
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"{shape[0]}×{shape[1]}"
