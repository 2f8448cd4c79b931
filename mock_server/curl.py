"""The one ``curl`` line writer: a request as a shell command that repeats it, shared by
``stagemock check``'s problems (``contract_tests.curl``) and the differences of ``stagemock
replay`` and ``stagemock drift`` (``proxy.replay_text``). A leaf: the standard library only,
so the contract suite and the proxy both import it without importing each other.

Each caller decides what to show (which headers, which secrets become shell variables); this
module decides how it is written, so every printed line is shell-safe the same way:

- a plain word is ``shlex.quote``d (a multi-line body stays one single-quoted word);
- a header that holds a secret as a shell variable (``Var``) is one double-quoted word with
  ``$NAME`` in it (``${NAME}`` where the next character would lengthen the name); when the
  rest of the header holds a character double quotes do not keep literal (``"``, ``$``,
  backquote, backslash, ``!``), the word is built from single-quoted pieces and ``"${NAME}"``;
- a text body goes after ``text_flag``, or after ``--data-raw`` when it starts with ``@`` (which
  ``--data-binary`` and ``-d`` read as a file name); a body that is not UTF-8 is named by a
  placeholder (``binary``) the reader replaces with a file holding it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: A shell variable name (what ``$NAME`` expands).
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Characters that lengthen a variable name written right before them.
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")
#: Characters a double-quoted shell word does not keep literal (``!``: bash's history).
_SPECIAL_IN_DOUBLE_QUOTES = frozenset('"$`\\!')


@dataclass(frozen=True)
class Var:
    """A shell variable printed in place of a secret (``$STAGEMOCK_API_KEY``): the line runs
    once the reader sets it, and the secret itself never lands in a log."""

    name: str

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"not a shell variable name: {self.name!r}")


#: A header value: plain text, or pieces of text and variables.
Value = str | Sequence[str | Var]


def with_variables(value: str, variables: Mapping[str, str]) -> list[str | Var]:
    """``value`` cut at every occurrence of a secret (``variables``: secret → variable name),
    each occurrence a ``Var``; the secrets are looked for in the mapping's order, and a later
    one only in the text the earlier ones left."""
    parts: list[str | Var] = [value]
    for secret, name in variables.items():
        if not secret:
            continue
        cut: list[str | Var] = []
        for part in parts:
            if isinstance(part, Var):
                cut.append(part)
                continue
            for n, piece in enumerate(part.split(secret)):
                if n:
                    cut.append(Var(name))
                cut.append(piece)
        parts = cut
    return [p for p in parts if p != ""]


def header_word(name: str, value: Value) -> str:
    """``name: value`` as one shell word (the module docstring says how it is quoted)."""
    parts: list[str | Var] = []
    for part in [f"{name}: ", *([value] if isinstance(value, str) else value)]:
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] += part  # text next to text: one piece
        elif part != "":
            parts.append(part)
    if not any(isinstance(p, Var) for p in parts):
        return shlex.quote("".join(p for p in parts if isinstance(p, str)))
    literal = "".join(p for p in parts if isinstance(p, str))
    if _SPECIAL_IN_DOUBLE_QUOTES.isdisjoint(literal):
        out = []
        for n, part in enumerate(parts):
            if isinstance(part, str):
                out.append(part)
                continue
            after = parts[n + 1] if n + 1 < len(parts) else ""
            braced = isinstance(after, Var) or bool(_NAME_CHAR.match(after))
            out.append(f"${{{part.name}}}" if braced else f"${part.name}")
        return '"' + "".join(out) + '"'
    return "".join(shlex.quote(p) if isinstance(p, str) else f'"${{{p.name}}}"' for p in parts)


def body_words(body: bytes | None, *, text_flag: str = "--data-raw", limit: int | None = None,
               binary: str = "@BODY_FILE") -> list[str]:
    """The words that send ``body``: none for an empty one; ``limit`` cuts a long text (with
    ``…``: the line then shows the body rather than repeating it)."""
    if not body:
        return []
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return ["--data-binary", shlex.quote(binary)]
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return ["--data-raw" if text.startswith("@") else text_flag, shlex.quote(text)]


def curl(method: str, url: str, headers: Iterable[tuple[str, Value]], body: bytes | None, *,
         url_first: bool = False, text_flag: str = "--data-raw", limit: int | None = None,
         binary: str = "@BODY_FILE") -> str:
    """The request as one ``curl`` line: every header given, in order (the caller leaves out
    the ones that are the client's, not the request's); the URL right after the method
    (``url_first``) or last; the body as ``body_words`` writes it."""
    parts = ["curl", "-X", shlex.quote(method)]
    if url_first:
        parts.append(shlex.quote(url))
    for name, value in headers:
        parts += ["-H", header_word(name, value)]
    parts += body_words(body, text_flag=text_flag, limit=limit, binary=binary)
    if not url_first:
        parts.append(shlex.quote(url))
    return " ".join(parts)
