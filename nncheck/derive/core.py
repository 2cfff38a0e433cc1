"""Check a derivation: :func:`check_derivation` returns a :class:`Report`.

The parent process parses and plans (cheap, bounded); the SymPy work — one task per
step, plus "does it begin at the start?", "does it reach the target?", "which
declared mistake is it?" and "which lines have a milestone's form?" — runs under
:mod:`.guard`'s time limits.

For a bank problem the report also says whether the work is *shown*: a valid step that
rests on the identity the problem asks to show is circular, and the problem's milestones
(:mod:`.milestones`) earn the score on the lines reached soundly, before any wrong,
undecided or circular step.  Only the derivation from the start is graded: a text may also
hold asides (definitions, the givens restated), extra results after the target is reached and
other attempts from the start, which are checked and reported but earn nothing (:func:`_runs`).
"""

from __future__ import annotations

import time

from nncheck.derive.plan import Plan, Step, Term, build_plan, lines_text
from nncheck.lang.syntax import AnswerSyntaxError, to_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (kept off the grading path's imports)
if TYPE_CHECKING:
    from typing import Any

    from nncheck.derive.check import Outcome
    from nncheck.derive.context import Context
    from nncheck.derive.milestones import Credit, Milestone
    from nncheck.derive.rules import Classifier
    from nncheck.records import FamilyRecord, PartSpec


class DerivationProblem:
    """A derivation problem: start, target, definitions and symbol domains (from a bank part)."""

    def __init__(self, start: str, target: str | None, *, given=(), symbols: dict | None = None,
                 id: str | None = None, title: str | None = None, prompt: str | None = None,
                 part_name: str | None = None, file: str | None = None, mistakes=(), milestones=(),
                 shapes: dict | None = None):
        from nncheck.derive.milestones import Milestone

        self.start, self.target = start, target
        self.given = list(given or [])
        self.symbols = dict(symbols or {})
        #: A vector-form derivation: name -> shape in named sizes (``W2: K×N``; a vector is a column).
        self.shapes: dict[str, tuple[str, str]] = {}
        if shapes:
            from nncheck.lang.shapes import read_shapes

            self.shapes = read_shapes(shapes)
        self.id, self.title, self.prompt, self.part_name, self.file = id, title, prompt, part_name, file
        self.mistakes = list(mistakes)  # (id, message, SymPy value of the final line)
        #: What a grader looks for, in order, with its share of the credit (the bank's ``milestones:``).
        self.milestones: list[Milestone] = [m if isinstance(m, Milestone) else Milestone.from_spec(m)
                                            for m in milestones or ()]

    @classmethod
    def from_part(cls, part: PartSpec, *, family: FamilyRecord | None = None, prompt: str | None = None,
                  mistakes=()) -> DerivationProblem:
        from nncheck.errors import BankError

        fam: FamilyRecord | dict[str, Any] = family or {}
        if not part.get("start"):
            raise BankError(f"derivation part '{part.get('name')}' has no 'start'", file=fam.get("_file", "?"),
                            line=fam.get("_line"), field=f"{fam.get('id', '?')}.{part.get('name')}")
        return cls(part["start"], part.get("target"), given=part.get("given") or [],
                   symbols=part.get("symbols") or {}, id=fam.get("id"), title=fam.get("title"),
                   prompt=prompt, part_name=part.get("name"), file=fam.get("_file"), mistakes=mistakes,
                   milestones=dict(part).get("milestones") or (), shapes=part.get("shapes"))


class Report:
    """The outcome of checking a derivation."""

    def __init__(self, plan: Plan, problem: DerivationProblem | None = None):
        self.plan = plan
        self.problem = problem
        self.steps: list[Step] = []
        self.finished: bool | None = None
        self.finish_detail = ""
        self.start_detail = ""
        self.mistake: tuple[str, str] | None = None
        #: Valid steps justified only by the identity the problem asks to show: step -> why.
        self.circular: dict[Step, str] = {}
        #: The milestones earned and skipped (None without milestones); path: the lines, in order,
        #: that the derivation reached soundly (from its start, by valid steps none of them circular).
        self.credit: Credit | None = None
        self.path: list[tuple[Term, Step]] = []
        #: forms[p][i]: line p of the path counts as having milestone i's form (line 0, the start, never does).
        self.forms: list[list[bool]] = []
        self.notes: list[str] = []

    # -- summary ---------------------------------------------------------------
    def counts(self) -> dict:
        out = {"valid": 0, "invalid": 0, "unparsable": 0, "undecided": 0}
        for s in self.steps:
            out[s.status] = out.get(s.status, 0) + 1
        return out

    @property
    def valid(self) -> bool:
        """Every step valid (nothing invalid, unreadable or undecided) and at least one step."""
        return bool(self.steps) and all(s.status == "valid" for s in self.steps)

    @property
    def shown(self) -> bool:
        """The work is shown: no step is circular and no milestone was jumped past."""
        return not self.circular and not (self.credit is not None and any(self.credit.skipped))

    @property
    def score(self) -> float:
        """The share of the credit earned, 0 to 1.

        With milestones: the sum of the shares of the milestones earned on the lines reached soundly.
        Without: 1 for a valid, finished derivation, 0.5 for a valid unfinished one, otherwise half the
        fraction of steps before the first step that is wrong, undecided or circular.
        """
        if not self.steps or any(s.status == "unparsable" for s in self.steps):
            return 0.0
        if self.credit is not None:
            return self.credit.score
        n = len(self.steps)
        bad = next((s for s in self.steps if s.status != "valid" or s in self.circular), None)
        if bad is None:
            return 1.0 if self.finished is not False else 0.5
        return 0.5 * (bad.index - 1) / n

    def milestone_rows(self) -> list[dict]:
        """Each milestone: earned (with the line), skipped (a later one was reached) or not reached."""
        if self.credit is None:
            return []
        out = []
        for m, at, skipped in zip(self.credit.milestones, self.credit.at, self.credit.skipped):
            row: dict[str, Any] = {**m.to_json(), "earned": at is not None}
            if at is not None:
                step = self.path[at][1]
                row["step"], row["line"] = step.index, step.line
            else:
                row["skipped"] = skipped
                row["missing"] = m.missing
            out.append(row)
        return out

    def work_feedback(self) -> list[str]:
        """Sentences on the work not shown: circular steps, milestones skipped, milestones still to reach."""
        out = []
        for st, why in self.circular.items():
            out.append(f"Step {st.index} (line {st.line}) rests on {why}, the identity the problem asks you to show: "
                       f"it shows no work")
        if self.credit is not None:
            skipped = self.credit.missing(skipped=True)
            if skipped:
                out.append("Work skipped: " + "; ".join(m.missing for m in skipped))
            todo = self.credit.missing(skipped=False)
            if todo:
                out.append("Still to do: " + "; ".join(m.missing for m in todo))
        return out

    def step_json(self, st: Step) -> dict:
        """A step as JSON, with whether it is circular and the milestones it earned or jumped past."""
        out = st.to_json()
        if st in self.circular:
            out["circular"] = self.circular[st]
        if self.credit is not None:
            earned = [m.id for m, at in zip(self.credit.milestones, self.credit.at)
                      if at is not None and self.path[at][1] is st]
            if earned:
                out["milestones"] = earned
            skips = self._skipped_at(st)
            if skips:
                out["skips"] = skips
        return out

    def _skipped_at(self, st: Step) -> list[str]:
        """The skipped milestones that this step jumped past: it earned the next milestone after them."""
        credit = self.credit
        if credit is None:
            return []
        out = []
        for i, (m, skipped) in enumerate(zip(credit.milestones, credit.skipped)):
            if not skipped:
                continue
            nxt = next(at for at in credit.at[i + 1:] if at is not None)
            if self.path[nxt][1] is st:
                out.append(m.id)
        return out

    @property
    def first_invalid(self) -> Step | None:
        return next((s for s in self.steps if s.status == "invalid"), None)

    @property
    def first_problem(self) -> Step | None:
        """The first step that is not valid (invalid, unreadable or undecided)."""
        return next((s for s in self.steps if s.status != "valid"), None)

    def summary(self) -> str:
        """One sentence for the end of the output."""
        c = self.counts()
        n = len(self.steps)
        if not n:
            return "Nothing to check: the derivation has no steps."
        bad = self.first_problem
        if bad is None:
            head = f"All {n} step{'s' if n != 1 else ''} valid."
        elif bad.status == "invalid":
            head = f"Step {bad.index} (line {bad.line}) is the first wrong step."
        elif bad.status == "unparsable":
            head = f"Line {bad.line} could not be read."
        else:
            head = f"Step {bad.index} (line {bad.line}) could not be decided."
        extra = []
        if c["invalid"] > 1:
            extra.append(f"{c['invalid']} steps are wrong")
        if self.finished is True:
            if bad is None:
                extra.append("the target is reached")
            elif any(s.status != "valid" for s in self.steps if s.role == "derivation"):
                extra.append("the last line is the target, but the way there is not all valid")
            else:
                # The derivation is sound; an aside, an attempt or an extra result is not.
                extra.append("the derivation reaches the target, but a step outside it is not valid")
        elif self.finished is False:
            extra.append("not finished yet: " + self.finish_detail)
        if self.circular:
            first = next(iter(self.circular))
            extra.append(f"step {first.index} rests on the identity to be shown")
        if self.credit is not None and any(self.credit.skipped):
            extra.append("work is skipped (see the milestones)")
        if not extra:
            return head
        tail = "; ".join(extra)
        return f"{head} {tail[0].upper()}{tail[1:]}."

    @property
    def exit_code(self) -> int:
        """0 all valid (and finished, when there is a target), 2 a line could not be read (or no
        steps at all), 1 otherwise."""
        if not self.steps or any(s.status == "unparsable" for s in self.steps):
            return 2
        if self.valid and self.finished is not False and self.shown:
            return 0
        return 1

    def to_json(self) -> dict:
        plan = self.plan
        first = self.first_invalid
        out: dict[str, Any] = {
            "mode": plan.mode,
            "start": plan.start.shown if plan.start is not None else None,
            "target": plan.target.shown if plan.target is not None else None,
            "domains": dict(sorted(plan.domains.items())),
            "definitions": [{"name": d.name, "value": to_text(d.node), "line": d.line} for d in plan.definitions],
            "constraints": [f"{to_text(c.left)} = {to_text(c.right)}" for c in plan.constraints],
            **({"shapes": _shapes_json(plan)} if plan.shapes else {}),
            "steps": [self.step_json(s) for s in self.steps],
            "first_invalid": {"step": first.index, "line": first.line} if first is not None else None,
            "counts": self.counts(),
            "valid": self.valid,
            "finished": self.finished,
            "finish_detail": self.finish_detail or None,
            "summary": self.summary(),
        }
        if self.problem is not None:
            out = {"id": self.problem.id, "part": self.problem.part_name, **out}
            out["score"] = round(self.score, 6)
            out["shown"] = self.shown
            if self.credit is not None:
                out["milestones"] = self.milestone_rows()
        if plan.notes or self.notes:
            out["notes"] = list(plan.notes) + self.notes
        if self.mistake is not None:
            out["mistake"] = {"id": self.mistake[0], "message": self.mistake[1]}
        return out


def _shapes_json(plan: Plan) -> dict[str, str]:
    from nncheck.lang.shapes import declared_text

    return {k: declared_text(v) for k, v in plan.shapes.items()}


# ----------------------------------------------------------------------------
# Checking.
# ----------------------------------------------------------------------------
class _State:
    """What the tasks share inside one (child) process: the SymPy context and the classifier."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._ctx: Context | None = None
        self._cls: Classifier | None = None
        self._forbidden: frozenset[str] | None = None

    @property
    def ctx(self) -> Context:
        if self._ctx is None:
            if self.plan.matrix:
                from nncheck.derive.matrixstep import MatrixContext

                self._ctx = MatrixContext(self.plan)  # type: ignore[assignment]
            else:
                from nncheck.derive.context import Context

                self._ctx = Context(self.plan)
        assert self._ctx is not None
        return self._ctx

    @property
    def classifier(self) -> Classifier:
        if self._cls is None:
            if self.plan.matrix:
                from nncheck.derive.matrixstep import MatrixClassifier

                self._cls = MatrixClassifier(self.ctx)  # type: ignore[assignment,arg-type]
            else:
                from nncheck.derive.rules import Classifier

                self._cls = Classifier(self.ctx)
        assert self._cls is not None
        return self._cls

    @property
    def forbidden(self) -> frozenset[str]:
        """The named rules that are the problem's own identity (start = target) in other words."""
        if self._forbidden is None:
            plan = self.plan
            self._forbidden = frozenset()
            if plan.mode == "problem" and plan.start is not None and plan.target is not None:
                self._forbidden = self.classifier.identity_rules(plan.start, plan.target)
        return self._forbidden


def _error_json(e: AnswerSyntaxError) -> dict:
    return {"message": e.message, "pos": e.pos, "text": e.text, "code": e.code}


def _check_step(state: _State, left: Term, right: Term, *, seed: int) -> Outcome:
    """One step, by the scalar checker or, in a vector-form derivation, entry by entry."""
    if state.plan.matrix:
        from nncheck.derive.matrixstep import check_step as check_matrix_step

        return check_matrix_step(state.ctx, left, right, seed=seed)  # type: ignore[arg-type]
    from nncheck.derive.check import check_step

    return check_step(state.ctx, left, right, seed=seed)


def _step_task(state: _State, step: Step, seed: int):
    def run() -> dict:
        # Only a line that parsed is a pending step, and it has both sides.
        assert step.left is not None and step.right is not None
        out = _check_step(state, step.left, step.right, seed=seed)
        res: dict[str, Any] = {"status": out.status, "detail": out.detail}
        if out.counterexample is not None:
            res["counterexample"] = out.counterexample
        if out.hint:
            res["hint"] = out.hint
        if out.error is not None:
            res["error"] = _error_json(out.error)
        if out.status == "valid":
            try:
                rule, detail = state.classifier.classify(step.left, step.right)
            except Exception:  # noqa: BLE001 - naming the rule is best effort; the verdict stands
                rule, detail = "algebra", "algebra"
            res["rule"], res["detail"] = rule, detail
            if rule in state.forbidden:
                from nncheck.derive.rules import RULES

                res["circular"] = RULES[rule]
        return res

    return run


def _start_task(state: _State, plan: Plan):
    def run() -> dict:
        start = plan.start
        assert start is not None  # the task is only made for a plan with a start
        cands = plan.start_candidates
        if not cands:
            return {"status": "invalid", "detail": f"the derivation must begin with the start, {start.shown}",
                    "line": None}
        last: tuple[int, Term, Outcome] | None = None
        for k, (term, hard) in enumerate(cands):
            out = _check_step(state, start, term, seed=101 + k)
            if out.status == "valid" and not state.classifier.restates(start, term):
                # Equal, but already worked on (the target written first is not a start).
                out.status = "invalid"
                out.detail = "this is not the start written out: it already evaluates or rewrites it"
            if out.status == "valid":
                if start.node == term.node:
                    rule, detail = "start", "the problem's start"
                else:
                    try:
                        rule, detail = state.classifier.classify(start, term)
                    except Exception:  # noqa: BLE001 - naming only
                        rule, detail = "algebra", "algebra"
                    detail = f"equals the start {start.shown} ({detail})"
                return {"status": "valid", "rule": rule, "detail": detail, "line": term.line, "k": k}
            last = (k, term, out)
            if hard:
                break
        assert last is not None  # cands is not empty, so the loop ran at least once
        k, term, out = last
        res: dict[str, Any] = {"status": out.status if out.status != "valid" else "invalid", "line": term.line, "k": k,
               "detail": f"the derivation must begin with the start, {start.shown}: " + (out.detail or "")}
        if out.counterexample is not None:
            res["counterexample"] = out.counterexample
        if out.error is not None:
            res["error"] = _error_json(out.error)
        return res

    return run


def _finish(state: _State, final: Term | None, target: Term) -> dict:
    """Does ``final`` reach ``target``: equal to it, and in its form?"""
    from nncheck.derive.check import equivalence
    from nncheck.derive.context import has_derivative

    if state.plan.matrix:
        from nncheck.derive.matrixstep import finish

        return finish(state.ctx, final, target)  # type: ignore[arg-type]
    eq = equivalence()
    if final is None:
        return {"finished": False, "detail": f"nothing has been derived yet; the target is {target.shown}"}
    if has_derivative(final.node) and not has_derivative(target.node):
        return {"finished": False, "detail": f"the last line still has a derivative in it; the target is "
                                             f"{target.shown}"}
    ctx = state.ctx
    a = ctx.literal(final.node, final.text)
    t = ctx.literal(target.node, target.text)
    names = {s.name for s in (a.free_symbols | t.free_symbols)}
    r = eq(a, t, {n: ctx.domain(n) for n in names}, seed=7)
    if r.equal:
        # Equal, and in the target's form: the same functions and symbols, and equal even with every
        # function arbitrary (so 1/(1 + exp(-u)) has not yet reached σ(u), nor σ(ξ)(1 − σ(ξ)) h(1 − h)).
        from nncheck.derive.milestones import same_form

        if same_form(ctx, final, target):
            return {"finished": True, "detail": f"reaches the target {target.shown}"}
        return {"finished": False, "detail": f"the last line equals the target but is not yet in its form: "
                                             f"write it as {target.shown}"}
    av = ctx.value(final.node, final.text)
    tv = ctx.value(target.node, target.text)
    names = {s.name for s in (av.free_symbols | tv.free_symbols)}
    r2 = eq(av, tv, {n: ctx.domain(n) for n in names}, seed=7)
    if r2.equal:
        return {"finished": False, "detail": f"the last line equals the target but is not yet in its form: "
                                             f"write it as {target.shown}"}
    return {"finished": False, "detail": f"the last line is not the target {target.shown}"}


def _finish_task(state: _State, plan: Plan, final: Term | None):
    def run() -> dict:
        assert plan.target is not None  # the task is only made for a plan with a target
        return _finish(state, final, plan.target)

    return run


def _restates_start(state: _State, start: Term, term: Term, seed: int) -> bool:
    """Is ``term`` the problem's start written out (equal to it, nothing evaluated), as the first line must be?"""
    if start.node == term.node:
        return True
    if not state.classifier.restates(start, term):
        return False
    return _check_step(state, start, term, seed=seed).status == "valid"


def _link_task(state: _State, step: Step, seed: int):
    """A link step, and what decides the chain it opens: whether its left side (the end of the derivation
    before it) reaches the target, and whether its right side restates the start (a new attempt)."""
    check = _step_task(state, step, seed)

    def run() -> dict:
        res = check()
        plan = state.plan
        assert step.left is not None and step.right is not None  # a link joins two terms
        restarts = plan.start is not None and _restates_start(state, plan.start, step.right, seed=301 + seed)
        res["restarts"] = restarts
        if plan.target is not None and (restarts or res.get("status") == "invalid"):
            res["reaches"] = _finish(state, step.left, plan.target)
        return res

    return run


def _mistake_task(state: _State, final: Term, mistakes):
    def run() -> dict:
        from nncheck.derive.check import equivalence

        if state.plan.matrix:
            from nncheck.derive.matrixstep import mistake

            return mistake(state.ctx, final, mistakes)  # type: ignore[arg-type]
        eq = equivalence()
        ctx = state.ctx
        a = ctx.literal(final.node, final.text)
        for mid, msg, value in mistakes:
            try:
                v = value.xreplace({s: ctx.sym(s.name) for s in value.free_symbols})
                names = {s.name for s in (a.free_symbols | v.free_symbols)}
                if eq(a, v, {n: ctx.domain(n) for n in names}, seed=11).equal:
                    return {"mistake": mid, "message": msg}
            except Exception:  # noqa: BLE001 - a mistake that cannot be compared is skipped
                continue
        return {}

    return run


def _forms_task(state: _State, terms: list[Term], forms: list[list[Term]], asked: list[list[int]]):
    """Which milestones' ``form:`` expressions each line has (``asked[p]``: the milestones to try on line p)."""
    def run() -> dict:
        from nncheck.derive.milestones import same_form

        ctx = state.ctx
        out = []
        for term, todo in zip(terms, asked):
            hits = []
            for i in todo:
                try:
                    if any(same_form(ctx, term, f) for f in forms[i]):
                        hits.append(i)
                except Exception:  # noqa: BLE001 - a line that cannot be compared lacks the form
                    continue
            out.append(hits)
        return {"forms": out}

    return run


def _milestone_forms(plan: Plan, problem: DerivationProblem) -> list[list[Term]]:
    """The ``form:`` expressions of the problem's milestones, read with its symbols."""
    from nncheck.lang.syntax import parse

    out = []
    for m in problem.milestones:
        terms = []
        for text in m.forms:
            try:
                node = parse(text, symbols=plan.symbols, derivatives=True, matrix=plan.matrix)
            except AnswerSyntaxError as e:
                from nncheck.errors import BankError

                raise BankError(f"milestone '{m.id}': form '{text}' does not parse: {e.message} at character "
                                f"{e.pos + 1}", file=problem.file or "?",
                                field=f"{problem.id or '?'}.{problem.part_name or 'part'}") from None
            terms.append(Term(node, text, None))
        out.append(terms)
    return out


def _line_terms(plan: Plan) -> list[Term]:
    """Every term that can be a line of the derivation's path: the first-line candidates, each step's end."""
    out: list[Term] = []
    seen: set[int] = set()
    for term in [t for t, _ in plan.start_candidates] + [s.right for s in plan.steps if s.right is not None]:
        if id(term) not in seen:
            seen.add(id(term))
            out.append(term)
    return out


class _Run:
    """Chains of a problem's derivation that follow one another (each links to the one before): the
    derivation from the start, another attempt from the start, or an extra result after the target."""

    __slots__ = ("role", "line", "steps", "end", "finish", "credit")

    def __init__(self, role: str, line: int):
        self.role = role  # derivation | attempt | extra
        self.line = line  # where it begins
        self.steps: list[Step] = []  # in order; a run from the start begins with its start step
        self.end: Term | None = None  # where it got to
        self.finish: dict | None = None  # does its end reach the target (the finish check's result)
        self.credit: tuple[list[tuple[Term, Step]], list[list[bool]], Credit] | None = None


def _finish_outcome(res: dict | None) -> tuple[bool, str]:
    if res is not None and "finished" in res:
        return bool(res["finished"]), res.get("detail", "")
    detail = (res or {}).get("detail", "")
    return False, "could not decide whether the target is reached (" + detail + ")"


def _runs(plan: Plan, start_step: Step | None, links: dict[int, dict], final_finish: dict | None,
          edits: dict[int, Step | None]) -> list[_Run]:
    """Group a problem's chains into runs, turning the links that open a new run into what they are:
    a link whose right side restates the start begins a new attempt (its start step replaces it); a
    link that fails once the derivation has reached the target begins an extra result (it is dropped).
    Any other link stays a step: a derivation must not jump from one line to an unrelated one.
    ``edits`` receives each link turned into a start step (or into nothing)."""
    runs: list[_Run] = []
    cur: _Run | None = None
    extra = False  # past the target: every claim that does not follow is another extra result
    for ch in plan.chains:
        if ch.kind != "claim":
            continue
        link = ch.link
        res = links.get(id(link)) if link is not None else None
        if cur is None:
            cur = _Run("derivation", start_step.line if start_step is not None and start_step.line else ch.line)
            runs.append(cur)
            if start_step is not None:
                cur.steps.append(start_step)
        elif link is not None and res is not None:
            reaches = res.get("reaches")
            if res.get("restarts"):
                assert plan.start is not None and link.right is not None  # only a problem's links restart
                cur.end, cur.finish = link.left, reaches
                again = Step(link.line, "start", plan.start, link.right)
                again.row, again.chain = link.row, ch.index
                again.status, again.rule = "valid", "start"
                again.detail = ("the problem's start" if plan.start.node == link.right.node
                                else f"equals the start {plan.start.shown}") + ", again: a new attempt"
                ch.steps[ch.steps.index(link)] = edits[id(link)] = again
                ch.link = None
                cur = _Run("attempt", ch.line)
                runs.append(cur)
                extra = False
            elif link.status == "invalid" and (extra or (reaches or {}).get("finished") is True):
                cur.end, cur.finish = link.left, reaches
                ch.steps.remove(link)
                edits[id(link)] = None
                ch.link = None
                cur = _Run("extra", ch.line)
                runs.append(cur)
                extra = True
        cur.steps.extend(ch.steps)
    if cur is None:  # no claim at all: the start check is the whole derivation
        cur = _Run("derivation", start_step.line if start_step is not None else 0)
        if start_step is not None:
            cur.steps.append(start_step)
        runs.append(cur)
    cur.end, cur.finish = plan.final, final_finish
    return runs


def _run_credit(report: Report, problem: DerivationProblem, hits: dict[int, set[int]], run: _Run,
                circular: set[int], all_valid: bool) -> None:
    """The milestones a run earned on the lines it reached soundly (see :mod:`.milestones`)."""
    from nncheck.derive.milestones import credit, has_vocabulary

    plan = report.plan
    path: list[tuple[Term, Step]] = []
    for st in run.steps:
        if st.status != "valid" or id(st) in circular or st.right is None:
            break
        path.append((st.right, st))
    defs: dict = {}
    for d in plan.definitions:
        defs.setdefault(d.name, d.node)
    # The target milestone needs the whole run sound (every step valid, none circular) and reaching the
    # target, and nothing wrong anywhere else either: an aside or an extra result that is wrong costs it.
    reached = bool(path) and len(path) == len(run.steps) and path[-1][0] is run.end \
        and _finish_outcome(run.finish)[0] and all_valid
    ok = []
    for p, (term, _) in enumerate(path):
        row = []
        for i, m in enumerate(problem.milestones):
            if p == 0:
                good = False  # the first line is the problem's start: given, not work
            elif m.target:
                good = reached and p == len(path) - 1 and has_vocabulary(m, term.node, defs)
            else:
                good = has_vocabulary(m, term.node, defs) and (not m.forms or i in hits.get(id(term), ()))
            row.append(good)
        ok.append(row)
    run.credit = (path, ok, credit(problem.milestones, ok))


def _graded(report: Report, problem: DerivationProblem | None, hits: dict[int, set[int]], runs: list[_Run],
            circular: set[int], all_valid: bool) -> _Run:
    """The run that is graded: of the runs from the start, the one with the most credit (a finished one on
    a tie, then the first).  The others from the start are attempts; nothing else is ever graded."""
    candidates = [r for r in runs if r.role != "extra"]

    def key(r: _Run) -> tuple[float, bool]:
        finished = _finish_outcome(r.finish)[0]
        if problem is not None and problem.milestones:
            _run_credit(report, problem, hits, r, circular, all_valid)
            assert r.credit is not None  # just computed
            return r.credit[2].score, finished
        sound = all(s.status == "valid" and id(s) not in circular for s in r.steps)
        return (1.0 if sound and finished else 0.5 if sound else 0.0), finished

    keys = [key(r) for r in candidates]
    best = candidates[max(range(len(candidates)), key=lambda k: (keys[k], -k))]
    for r in runs:
        r.role = "derivation" if r is best else ("extra" if r.role == "extra" else "attempt")
        for st in r.steps:
            st.role = r.role
    return best


def _run_notes(runs: list[_Run], graded: _Run) -> list[str]:
    """What the report says about the runs: extra results, and which attempt from the start is graded."""
    out = []
    extras = [r.line for r in runs if r.role == "extra"]
    if extras:
        out.append(f"{lines_text(extras)} {'begins a new result' if len(extras) == 1 else 'begin new results'} "
                   f"after the target is reached: checked on {'its' if len(extras) == 1 else 'their'} own, "
                   f"not graded")
    starts = [r.line for r in runs if r.role != "extra"]
    if len(starts) > 1:
        out.append(f"{lines_text(starts)} each begin at the start: the derivation from line {graded.line} is "
                   f"graded, the other{'s are attempts' if len(starts) > 2 else ' is an attempt'}, checked but "
                   f"not graded")
    return out


def check_derivation(text: str, *, assume: str | None = None, problem: DerivationProblem | None = None,
                     start: str | None = None, target: str | None = None, isolate: bool | None = None,
                     step_seconds: float | None = None, total_seconds: float | None = None,
                     latex: bool | None = None) -> Report:
    """Check ``text`` step by step.

    Free-form: ``assume`` gives domains ("w > 0, 0 < yhat < 1"), ``start``/``target``
    optional end points.  Problem: ``problem`` gives start, target, definitions and
    domains.  ``latex``: read ``text`` as a LaTeX document (True), as the plain format
    (False) or as it looks (None); see :func:`nncheck.derive.plan.build_plan`.  ``isolate`` runs the
    SymPy work in a child process with hard time limits (the default where ``os.fork`` exists).
    Raises :class:`~nncheck.errors.NNCheckError` only for bad options; everything wrong with the
    text is reported in the steps.

    In a problem the text may hold more than the derivation: asides (definitions, the givens restated),
    extra results after the target is reached, and more than one attempt from the start.  They are all
    checked and reported, and only the derivation from the start (:func:`_graded`) earns credit.
    """
    from nncheck.derive import guard

    t0 = time.monotonic()
    try:
        plan = build_plan(text, assume=assume, problem=problem, start=start, target=target, latex=latex)
    except AnswerSyntaxError as e:
        # The whole text is refused (too long): one unreadable "line".
        plan = Plan()
        plan.mode = "problem" if problem is not None else "free"
        st = Step(0, "line", None, None)
        st.status, st.error, st.detail, st.index = "unparsable", e, e.message, 1
        plan.steps.append(st)
        report = Report(plan, problem)
        report.steps = [st]
        return report
    report = Report(plan, problem)
    state = _State(plan)
    tasks: list = []
    kinds: list[tuple[str, Step | None]] = []
    pending = [s for s in plan.steps if s.status == "pending"]
    for s in pending:
        tasks.append(_link_task(state, s, seed=s.index) if s.kind == "link" else _step_task(state, s, seed=s.index))
        kinds.append(("step", s))
    if plan.start is not None and plan.start_candidates:
        tasks.append(_start_task(state, plan))
        kinds.append(("start", None))
    if plan.target is not None:
        tasks.append(_finish_task(state, plan, plan.final))
        kinds.append(("finish", None))
    if problem is not None and problem.mistakes and plan.final is not None:
        tasks.append(_mistake_task(state, plan.final, problem.mistakes))
        kinds.append(("mistake", None))
    form_terms: list[Term] = []
    if problem is not None and any(m.forms for m in problem.milestones):
        from nncheck.derive.milestones import has_vocabulary

        forms = _milestone_forms(plan, problem)
        defs: dict = {}
        for d in plan.definitions:
            defs.setdefault(d.name, d.node)
        # Only lines with a milestone's names are compared with its forms (the cheap test first).
        asked = [[i for i, m in enumerate(problem.milestones) if m.forms and has_vocabulary(m, t.node, defs)]
                 for t in _line_terms(plan)]
        form_terms = [t for t, a in zip(_line_terms(plan), asked) if a]
        if form_terms:
            tasks.append(_forms_task(state, form_terms, forms, [a for a in asked if a]))
            kinds.append(("forms", None))
    hits: dict[int, set[int]] = {}
    circular: dict[int, str] = {}
    links: dict[int, dict] = {}
    final_finish: dict | None = None
    mistake: dict = {}
    kw: dict[str, float] = {}
    if step_seconds is not None:
        kw["step_seconds"] = step_seconds
    if tasks:
        _warm()  # import SymPy & co. here, once, so that every child process starts warm
    total = guard.TOTAL_SECONDS if total_seconds is None else total_seconds
    results = guard.run_tasks(tasks, isolate=isolate, total_seconds=total, **kw)
    start_step = None
    for (kind, step), res in zip(kinds, results):
        if kind == "step":
            assert step is not None  # "step" entries carry their step
            _apply(step, res)
            if res.get("circular") and step.status == "valid":
                circular[id(step)] = res["circular"]
            if step.kind == "link":
                links[id(step)] = res
        elif kind == "start":
            start_step = _start_step(plan, res)
        elif kind == "finish":
            final_finish = res
        elif kind == "mistake":
            mistake = res
        elif kind == "forms":
            if "forms" in res:
                hits = {id(t): set(h) for t, h in zip(form_terms, res["forms"])}
            else:
                report.notes.append("could not compare the lines with the milestones' forms ("
                                    + res.get("detail", "") + ")")
    graded: _Run | None = None
    if plan.mode == "problem":
        edits: dict[int, Step | None] = {}
        runs = _runs(plan, start_step, links, final_finish, edits)
        # A new attempt's start step stands where its link stood; an extra result's link is gone.
        plan.steps = [st for st in (edits.get(id(s), s) for s in plan.steps) if st is not None]
        every = plan.steps + ([start_step] if start_step is not None else [])
        graded = _graded(report, problem, hits, runs, set(circular), all(st.status == "valid" for st in every))
        plan.final = graded.end
        final_finish = graded.finish
        report.notes.extend(_run_notes(runs, graded))
        if graded is not runs[-1]:
            mistake = {}  # the mistake check was of the text's last line, which the graded run does not reach
        if problem is not None and problem.mistakes and graded.end is not None \
                and graded is not runs[-1] and not _finish_outcome(graded.finish)[0]:
            # The graded derivation stops before the text does: is where it got to a known mistake?
            left = max(0.5, total - (time.monotonic() - t0))
            mistake = guard.run_tasks([_mistake_task(state, graded.end, problem.mistakes)], isolate=isolate,
                                      total_seconds=left, **kw)[0]
    if plan.target is not None:
        report.finished, report.finish_detail = _finish_outcome(final_finish)
    if mistake.get("mistake"):
        report.mistake = (mistake["mistake"], mistake.get("message", ""))
    steps = list(plan.steps)
    if start_step is not None:
        # In the text's order: after the asides above the line that begins the derivation.
        at = next((k for k, st in enumerate(steps) if st.row >= start_step.row), len(steps))
        steps.insert(at, start_step)
    for i, s in enumerate(steps, 1):
        s.index = i
    report.steps = steps
    in_graded = {id(st) for st in graded.steps} if graded is not None else {id(st) for st in steps}
    # A circular step counts where it is graded: an attempt or an extra result justifies nothing graded.
    report.circular = {st: circular[id(st)] for st in steps if id(st) in circular and id(st) in in_graded}
    if graded is not None and graded.credit is not None:
        report.path, report.forms, report.credit = graded.credit
    return report


_WARMED = False
#: One small derivation that walks every code path once (lazy imports inside SymPy included).
_WARM_TEXT = "assume: x > 0\nd/dx(sigma(2x) + ln(x) + abs(x))\n= 2 sigma(2x)(1 - sigma(2x)) + 1/x + 1\n= 0\n"


def _warm() -> None:
    """Import and exercise SymPy & co. once, here, so that every forked child starts warm.

    SymPy imports parts of itself lazily on first use (``Add`` pulls in the tensor module,
    about 0.2 s): done in each child, that cost would be paid again for every derivation.
    """
    global _WARMED
    if _WARMED:
        return
    _WARMED = True
    import sympy  # noqa: F401

    from nncheck.answer import equiv  # noqa: F401
    from nncheck.derive import check, context, numeval, realeval, rules  # noqa: F401
    from nncheck.lang import sympy_backend  # noqa: F401

    try:
        from nncheck.lang import mpeval  # noqa: F401
    except ImportError:  # an older answer package
        pass
    check_derivation(_WARM_TEXT, isolate=False)


def _apply(step: Step, res: dict) -> None:
    step.status = res.get("status", "undecided")
    step.detail = res.get("detail", "")
    step.rule = res.get("rule")
    step.counterexample = res.get("counterexample")
    step.hint = res.get("hint")
    step.elapsed = float(res.get("elapsed", 0.0))
    step.cpu = float(res.get("cpu", 0.0))
    err = res.get("error")
    if err:
        step.error = AnswerSyntaxError(err["message"], err["pos"], err["text"], code=err.get("code", "math"))


def _start_step(plan: Plan, res: dict) -> Step:
    cands = plan.start_candidates
    k = res.get("k")
    term: Term | None = cands[k][0] if k is not None and k < len(cands) else None
    line = res.get("line") or (term.line if term is not None else 0) or 0
    st = Step(line, "start", plan.start, term)
    _apply(st, res)
    return st
