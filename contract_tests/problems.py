"""One problem ``stagemock check`` reports: the check's name, the operation, a message in
plain words and a curl command that reproduces it (schemathesis findings and property tests
alike)."""

from __future__ import annotations

from dataclasses import dataclass

from mock_server.jsontypes import JsonObject

from . import checks


@dataclass(frozen=True)
class Problem:
    check: str  # a name of ``checks.CHECKS`` (or ``schemathesis_error``: the run itself)
    operation: str  # "getJob (GET /jobs/{id})", "-" when none
    message: str
    curl: str = ""
    #: False when the check's meaning would mislead: a success answered with an error body
    #: is a wrong status ("expected 404, got 200"), not what the check usually catches.
    say_means: bool = True
    #: what it rests on (``mock_server.spec.rules``): documented (``source`` says where a
    #: reference states it), guess (``guess`` says why this mock chose it) or unspecified
    rule: str = "documented"
    source: str | None = None
    guess: str | None = None

    def as_json(self) -> JsonObject:
        out: JsonObject = {"check": self.check, "operation": self.operation,
                           "message": self.message, "curl": self.curl, "rule": self.rule}
        if self.source:
            out["source"] = self.source
        if self.guess:
            out["guess"] = self.guess
        return out

    @property
    def means(self) -> str:
        c = checks.CHECKS.get(self.check)
        return c.means if c is not None else ""

    def lines(self) -> list[str]:
        head = f"[{self.check}] {self.operation}: "
        means = self.means if self.say_means else ""
        head += f"{means} — {self.message}" if means and means not in self.message else self.message
        out = [head]
        if self.curl:
            out.append(f"    {self.curl}")
        return out
