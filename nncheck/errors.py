"""Domain errors.  The core raises these; the CLI turns each into one line and exit code 2."""

from __future__ import annotations


class NNCheckError(Exception):
    """An error the user can fix: bad input, bad file, unknown id.  Never a bug."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where  # "file:line: field" when the error points into a file
        self.hint = hint

    def line(self) -> str:
        """The one-line form shown to users."""
        out = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            out += f" ({self.hint})"
        return out

    def __str__(self) -> str:
        return self.line()


class BankError(NNCheckError):
    """A bank file that cannot be used: YAML, schema or formula problems."""

    def __init__(self, message: str, *, file: str, line: int | None = None, field: str | None = None,
                 hint: str | None = None):
        where = file if line is None else f"{file}:{line}"
        if field:
            where += f": {field}"
        super().__init__(message, where=where, hint=hint)
        self.file, self.lineno, self.field = file, line, field


class BankErrors(NNCheckError):
    """Several bank errors at once (validation reports them all)."""

    def __init__(self, errors: list[BankError]):
        self.errors = list(errors)
        super().__init__(self.errors[0].message, where=self.errors[0].where)

    def line(self) -> str:
        first = self.errors[0].line()
        more = len(self.errors) - 1
        if not more:
            return first
        return first + f" (and {more} more error{'s' if more > 1 else ''}; run 'nncheck bank validate')"


class UnknownFamily(NNCheckError):
    pass


class ParamError(NNCheckError):
    """A parameter value (an override or a drawn value) that the family cannot use."""


class AnswerKeyError(NNCheckError):
    """The two computations of an answer key disagree: the variant is refused."""

    exit_code = 1


class UsageError(NNCheckError):
    """A bad command-line argument."""
