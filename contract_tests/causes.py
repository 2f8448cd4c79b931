"""One cause is one problem: failures of many checks and operations that come from the same
answer (a 501 to every POST, a 401 to every operation) are folded into one ``Problem``
listing where it was seen, instead of a line per check and operation (``runner``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mock_server.spec.rules import DOCUMENTED

from .problems import Problem

if TYPE_CHECKING:
    from .findings import Finding

#: How many requests or operations a folded problem names before "… N more".
SHOWN = 12


def one_cause(found: list[Finding], counts: Callable[[Finding], bool]
              ) -> tuple[list[Problem], list[Finding]]:
    """The folded problems of the findings that ``counts`` (the ones that fail the run), and
    the findings left: a server error to one method on several paths (``server_errors``),
    then a 401 on several operations (``refused_everywhere``)."""
    problems, rest = server_errors(found, counts)
    refused, rest = refused_everywhere(rest, counts)
    return problems + refused, rest


def _shown(names: list[str]) -> str:
    more = f", … {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def server_errors(found: list[Finding], counts: Callable[[Finding], bool]
                  ) -> tuple[list[Problem], list[Finding]]:
    """A server error answered to one method on several operations (501 to every POST) is
    one cause, whichever checks saw it (a 5xx, an undocumented status, a refused valid input,
    an unsupported method not answered 405): one problem listing the requests, instead of
    lines per check and operation. Returns those problems and the findings left."""
    groups: dict[tuple[str, int], list[Finding]] = {}
    for f in found:
        if f.status >= 500 and counts(f):
            groups.setdefault((f.method, f.status), []).append(f)
    problems, taken = [], set()
    for (method, status), group in groups.items():
        where = list(dict.fromkeys(_request_line(method, f.operation) for f in group))
        if len(where) < 2:
            continue
        taken |= {id(f) for f in group}
        names = list(dict.fromkeys(f.check for f in group))
        check = "not_a_server_error" if "not_a_server_error" in names else names[0]
        message = (f"every {method} answered {status}, one cause reported once (seen by "
                   f"{', '.join(names)}): {_shown(where)}")
        curl = next((f.curl for f in group if f.check == check and f.curl), group[0].curl)
        problems.append(Problem(check, f"{method} ({len(where)} paths)", message, curl,
                                say_means=False))
    return problems, [f for f in found if id(f) not in taken]


def refused_everywhere(found: list[Finding], counts: Callable[[Finding], bool]
                       ) -> tuple[list[Problem], list[Finding]]:
    """The same 401 on several operations (a wrong key, or one sent where the server does not
    look for it: every request refused, each refusal then failing a check such as the body's
    schema) is one cause: one problem with the count of operations and cases, naming them,
    instead of a line per check and operation. Its verdict is the first documented finding's
    (else the first one's). Returns that problem (if any) and the findings left."""
    group = [f for f in found if f.status == 401 and counts(f)]
    operations = list(dict.fromkeys(_operation_id(f.operation) for f in group))
    if len(operations) < 2:
        return [], found
    taken = {id(f) for f in group}
    names = list(dict.fromkeys(f.check for f in group))
    first = next((f for f in group if f.verdict.rule == DOCUMENTED), group[0])
    message = (f"401 answered to {len(operations)} operations ({len(group)} failed checks), "
               f"one cause reported once (seen by {', '.join(names)}): {_shown(operations)}; "
               "is the key one the server takes, sent where it looks for it?")
    curl = next((f.curl for f in group if f.curl), "")
    problem = Problem(first.check, f"401 ({len(operations)} operations)", message, curl,
                      say_means=False, rule=first.verdict.rule, source=first.verdict.source,
                      guess=first.verdict.guess)
    return [problem], [f for f in found if id(f) not in taken]


def _operation_id(operation: str) -> str:
    """"getUsage (GET /usage)" → "getUsage"."""
    return operation.split(" (", 1)[0]


def _request_line(method: str, operation: str) -> str:
    """``POST`` + "getUsage (GET /usage)" → "POST /usage" (the request sent, which may not
    be the operation's method: an unsupported-method probe)."""
    label = operation[operation.find("(") + 1:operation.rfind(")")] if "(" in operation \
        else operation
    return f"{method} {label.split(' ', 1)[-1]}"
