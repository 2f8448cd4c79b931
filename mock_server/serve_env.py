"""``stagemock serve``'s options from the environment, for a container whose command line the
user does not write (a CI service container takes environment variables only).

Every option ``--some-option`` of ``serve`` is also ``STAGEMOCK_SOME_OPTION``, and
``STAGEMOCK_ARGS`` holds any options as one shell-quoted string. They become command-line
arguments placed before the real ones, so what the command line says wins (and ``--fault``,
which repeats, adds to them). A flag (``--deterministic``) is on for ``1``, ``true``, ``yes``
or ``on`` and off for ``0``, ``false``, ``no``, ``off`` or empty; ``STAGEMOCK_FAULT`` holds
one rule or several separated by ``;`` or new lines. A bad value is one line naming the
variable, and exit 2, as a bad option is.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Mapping
from typing import NoReturn

PREFIX = "STAGEMOCK_"
ARGS = "STAGEMOCK_ARGS"
TRUE = ("1", "true", "yes", "on")
FALSE = ("", "0", "false", "no", "off")


def variable(option: str) -> str:
    """``--job-seconds`` → ``STAGEMOCK_JOB_SECONDS``."""
    return PREFIX + option.removeprefix("--").upper().replace("-", "_")


def _check(action: argparse.Action, name: str, value: str) -> str | None:
    """Why ``value`` is not one ``action`` takes (its ``type`` and ``choices``), or ``None``."""
    try:
        converted = action.type(value) if callable(action.type) else value
    except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
        # int's and float's own words ("invalid literal for int() with base 10") name Python,
        # not the option: say what the option takes, as argparse does for the command line
        plain = ("a whole number" if action.type is int
                 else "a number" if action.type is float else None)
        why = (f"{action.option_strings[0]} takes {plain}" if plain is not None
               else str(exc) or f"not a valid value for {action.option_strings[0]}")
        return f"{name}={value!r}: {why}"
    if action.choices is not None and converted not in action.choices:
        return f"{name}={value!r}: choose from {', '.join(map(str, action.choices))}"
    return None


def _refuse(serve: argparse.ArgumentParser, message: str) -> NoReturn:
    """Exit 2 with the one line ``stagemock serve: error: <message>``. Not ``serve.error``:
    its usage block says nothing about a variable, and pushes the line that does up."""
    serve.exit(2, f"{serve.prog}: error: {message}\n")


def arguments(serve: argparse.ArgumentParser, environ: Mapping[str, str]) -> list[str]:
    """The command-line arguments ``environ`` stands for; one line and exit 2 on a value
    the option would refuse."""
    out: list[str] = []
    for action in serve._actions:
        long = [o for o in action.option_strings if o.startswith("--")]
        if not long or isinstance(action, argparse._HelpAction):
            continue
        name = variable(long[0])
        if name not in environ:
            continue
        value = environ[name].strip()
        if action.nargs == 0:  # a flag
            if value.lower() in TRUE:
                out.append(long[0])
            elif value.lower() not in FALSE:
                _refuse(serve, f"{name}={value!r}: write 1/true/yes/on or 0/false/no/off")
            continue
        values = ([v.strip() for v in re.split(r"[;\n]", value) if v.strip()]
                  if isinstance(action, argparse._AppendAction) else [value] if value else [])
        for one in values:
            if (why := _check(action, name, one)) is not None:
                _refuse(serve, why)
            out.append(f"{long[0]}={one}")
    if extra := environ.get(ARGS, "").strip():
        try:
            out += shlex.split(extra)
        except ValueError as exc:
            _refuse(serve, f"{ARGS}: {exc}")
    return out
