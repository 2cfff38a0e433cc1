"""The practice loops: show a problem, read an answer, hand it to the session, show what it says.

``quiz`` and ``review`` run :func:`practise`; ``exam`` runs its own loop (a clock, a second
pass over skipped parts) in :mod:`nncheck.cli.cmd_exam`, and both put the problem on screen
through :class:`Asker`.  The rules of a session live in :mod:`nncheck.practice.session`, the
views in :mod:`nncheck.render.quiz_views`.  Typer-free: ``nncheck quiz`` runs from the fast
front end.
"""

from __future__ import annotations

from nncheck.render.quiz_views import (
    Terminal,
    derivation_help,
    event_view,
    input_prompt,
    part_heading,
    problem_view,
    summary_view,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the start-up path)
if TYPE_CHECKING:
    from nncheck.practice.session import PartState, Session, SessionProblem


class Asker:
    """Puts the current question on screen, saying only what is new since the last answer.

    A new problem is shown whole (its statement, pictures and list of parts); the next part
    of the same problem gets its question again above the prompt; the first part answered over
    several lines (a derivation) gets a line on how to type it.
    """

    def __init__(self, session: Session, term: Terminal) -> None:
        self.session = session
        self.term = term
        self.shown: SessionProblem | None = None
        self.asked: PartState | None = None
        self.told_derivation = False

    def show(self, prob: SessionProblem, part: PartState, *, time_left: float | None = None,
             blank: bool = True) -> bool:
        """Show what ``part`` needs; True when its answer is typed over several lines (a derivation).

        ``blank``: a blank line before a new problem (none before the very first one).
        """
        term = self.term
        if self.shown is not prob:
            if blank:
                term.blank()
            term.show(problem_view(prob, prob.index + 1, len(self.session.problems), mode=self.session.mode,
                                   wrap=term.wrap, time_left=time_left))
            self.shown = prob
            self.session.warm()  # keys are computed while the student reads
        elif self.asked is not part:
            term.show(part_heading(prob, part))
        self.asked = part
        from nncheck import kinds  # only now: the first question is on screen before the answer kinds load

        multiline = kinds.get(part.kind).multiline
        if multiline and not self.told_derivation:
            term.show(derivation_help())
            self.told_derivation = True
        return multiline


def drive(session: Session, term: Terminal) -> None:
    """Run a practice session until every part is done or the student quits."""
    asker = Asker(session, term)
    try:
        while True:
            cur = session.current
            if cur is None:
                break
            prob, part = cur
            multiline = asker.show(prob, part, blank=asker.shown is not None)
            text = term.read(input_prompt(prob, part), multiline=multiline)
            ev = session.handle(text)
            term.show(event_view(ev, session, wrap=term.wrap))
            if ev.kind == "quit":
                break
    except KeyboardInterrupt:  # Ctrl-C while an answer is being checked: end like quit
        term.blank()
        if not session.ended:
            session.finish("quit")
    if not session.ended:
        session.finish("finished")


def practise(session: Session, term: Terminal, *, title: str) -> None:
    """Drive a practice session and show its summary.

    If the history stops accepting writes mid-session (disk full, file removed, locked for
    too long), the session stops at once: the summary of what was done is still shown, and
    the error, which names what was not saved, goes on to fail the command.
    """
    from nncheck.practice.store import StoreError

    try:
        drive(session, term)
    except StoreError:
        session.ended = session.ended or "error"
        _summary(session, term, title)
        raise
    _summary(session, term, title)


def _summary(session: Session, term: Terminal, title: str) -> None:
    term.blank()
    term.show(summary_view(session, title=title))
