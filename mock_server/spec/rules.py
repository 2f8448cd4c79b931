"""Where a verdict comes from: the rule a finding breaks, and whether a vendor's reference
states it.

Every finding of ``stagemock check``, the proxy's journal, ``replay`` and ``drift`` (and the
mock's own journal) carries a :class:`Verdict`:

- ``documented``, with ``source``: a reference states the very rule broken (this status for
  this operation, this field required, this field's type, this enum value). The rule is found
  as an item of the fidelity ledger (:mod:`.ledger`), and the item's citation is the source.
- ``guess``, with ``guess``: the reason of the mark on that rule itself (a required field's
  own mark, not the mark of the response it sits in).
- ``unspecified``: a status or a shape the spec does not cover (a status the operation does
  not declare, a field the spec does not list). The specs declare ``429`` and the range
  ``5XX`` on every operation, marked guesses: such an answer is a guess, and its body is
  checked against the guessed error envelope.

Which rule a schema violation breaks (:meth:`RuleBook.violation`):

- ``required`` → the ledger's ``required`` item for that field;
- ``type`` → the field whose value it is (a field the reference shows with a value of that
  type documents its type); a body's own type → the verdict of its status;
- ``enum`` / ``const`` → the values: in an answer, a value outside the list breaks a documented
  rule when the reference shows any of the list's values (a client written from the reference
  can only handle those); in a request, only when the reference shows the whole list;
- ``additionalProperties: false`` in an answer → ``unspecified`` (a field the spec does not
  list); in a request, the mark of the strictness rule;
- any other keyword (limits, patterns, formats, choices) → its ledger item, or the
  ``x-stagemock-guess`` that covers it.

Pure: a document in, verdicts out. One :class:`RuleBook` per spec document
(:func:`rulebook`), built on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..jsontypes import Json, JsonObject
from . import ledger
from .guesses import GUESS as GUESS_MARK
from .guesses import guess_at
from .loader import Operation, resolve, response_key
from .schema_walk import _branches, schemas_under

DOCUMENTED, GUESS, UNSPECIFIED = "documented", "guess", "unspecified"
GUESSED = GUESS  #: the same, where ``GUESS`` names the spec's mark (``x-stagemock-guess``)
RULES = (DOCUMENTED, GUESS, UNSPECIFIED)


@dataclass(frozen=True)
class Verdict:
    """What a finding rests on (the module docstring)."""

    rule: str
    source: str | None = None  # documented: where a reference states it
    guess: str | None = None  # guess: why this mock guessed it

    def fields(self) -> JsonObject:
        """The verdict as a finding's fields: ``rule`` and ``source`` or ``guess``."""
        out: JsonObject = {"rule": self.rule}
        if self.rule == DOCUMENTED and self.source:
            out["source"] = self.source
        if self.rule == GUESS:
            out["guess"] = self.guess
        return out

    @property
    def why(self) -> str:
        """The verdict in words: its source, its guess, or that the spec is silent."""
        if self.rule == GUESS:
            return f"a guess of this mock: {self.guess}"
        if self.rule == UNSPECIFIED:
            return "the spec does not cover it"
        return f"documented: {self.source}" if self.source else "documented"


UNCOVERED = Verdict(UNSPECIFIED)


def _from_mark(mark: tuple[str, str] | None, fallback: str | None = None) -> Verdict:
    if mark is None:
        # shown by the reference (the ledger test finds it there) but not cited yet
        return Verdict(DOCUMENTED, fallback)
    kind, text = mark
    return Verdict(DOCUMENTED, text) if kind == "documented" else Verdict(GUESS, guess=text)


def api_of(document: JsonObject) -> str | None:
    """``stagepro`` / ``stagerai`` from a vendor spec's title (``None`` for another)."""
    title = str(document.get("info", {}).get("title", "")).lower().replace(" ", "")
    return "stagepro" if "stagepro" in title else "stagerai" if "stagerai" in title else None


class RuleBook:
    """The ledger's items of one spec, found by the place of the rule they state."""

    def __init__(self, document: JsonObject, api: str | None = None) -> None:
        self.document = document
        api = api or api_of(document)
        found = ledger.items(document, ledger.load_sources(api) if api else None)
        self.items: dict[str, list[ledger.Item]] = {}
        for item in found:
            self.items.setdefault(item.pointer, []).append(item)
        self.where: dict[int, str] = {}
        self._index(document, "")

    def _index(self, node: Json, pointer: str) -> None:
        if isinstance(node, dict):
            self.where.setdefault(id(node), pointer or "/")
            for key, value in node.items():
                if isinstance(value, dict | list):
                    self._index(value, f"{pointer}/{ledger._escape(key)}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, dict | list):
                    self._index(value, f"{pointer}/{i}")

    def pointer(self, node: Json) -> str | None:
        """The JSON pointer of a node of the document (by identity), ``None`` if foreign."""
        return self.where.get(id(node))

    def _item(self, pointer: str, token: str | None = None, kind: str | None = None
              ) -> ledger.Item | None:
        for item in self.items.get(pointer, ()):
            if (token is None or item.token == token) and (kind is None or item.kind == kind):
                return item
        return None

    # ------------------------------------------------------------------ statuses
    def status(self, op: Operation, status: int) -> Verdict:
        """Answering ``status`` to ``op``: the status's own verdict when the operation
        declares it, itself or by its range (``5XX``): cited, or the guess that marks it
        (the specs' ``429`` and ``5XX``, which the references never document, are guesses);
        another 2xx where a reference states the operation's success status (200 for
        ``POST /jobs``, whose 202 the reference gives) breaks that statement; any other
        status the operation does not declare (a 201 where the spec guesses 200, a 4xx it
        does not list) is ``unspecified``: what is documented about such an answer is its
        body (``proxy.verdicts`` checks it). A ``default`` response is not read: it would
        make every status declared."""
        responses = op.responses or {}
        base = f"/{'paths' if not op.operation_id.startswith('webhook') else 'webhooks'}"
        where = f"{base}/{ledger._escape(op.path)}/{op.method.lower()}/responses"
        code = str(status)
        key = response_key(responses, code, default=False)
        if key is not None:
            return self.response(where, key)
        if code.startswith("2"):
            # another success where a reference states the operation's: that statement broken
            for key in responses:
                if str(key).startswith("2"):
                    declared = self.response(where, str(key))
                    if declared.rule == DOCUMENTED and declared.source:
                        return declared
        return UNCOVERED

    def path(self, op: Operation) -> Verdict:
        """The operation's path: a guess when the references never name it (the mock's
        ``/gcs/`` storage emulation): nothing about such a path is documented."""
        for item in self.items.get(f"/paths/{ledger._escape(op.path)}", ()):
            if item.kind == "path" and item.mark is not None and item.mark[0] == "guess":
                return Verdict(GUESS, guess=item.mark[1])
        return Verdict(DOCUMENTED)

    def two_statuses(self, op: Operation | None, expected: int, got: int) -> Verdict:
        """Two answers' statuses for one request (replay, drift): a guess when either's
        response is a guess (the guess is what the other answer contradicts), unspecified
        when either is one the operation does not declare, else documented (the first's
        source)."""
        if op is None:
            return UNCOVERED
        verdicts = [self.status(op, s) for s in (expected, got)]
        for kind in (GUESS, UNSPECIFIED):
            found = [v for v in verdicts if v.rule == kind]
            if found:
                return found[0]
        return verdicts[0]

    def response(self, responses_pointer: str, code: str) -> Verdict:
        item = self._item(f"{responses_pointer}/{code}", code, "status")
        if item is None:
            return UNCOVERED
        return _from_mark(item.mark)

    # ------------------------------------------------------------------ fields and values
    def field(self, schema: Json, name: str) -> Verdict:
        """The verdict of field ``name`` of ``schema`` (a node of the document, ``allOf`` and
        branches followed): shown, cited or guessed; ``unspecified`` when no schema lists it."""
        for node in _branches(self.document, schema):
            pointer = self.pointer(node)
            if pointer is not None and isinstance(node.get("properties"), dict) \
                    and name in node["properties"]:
                item = self._item(f"{pointer}/properties/{ledger._escape(name)}", name, "field")
                if item is not None:
                    return _from_mark(item.mark)
        return UNCOVERED

    def required(self, schema: Json, name: str) -> Verdict:
        """Whether ``schema`` requiring ``name`` is documented (its ``required`` item)."""
        found: list[Verdict] = []
        for node in _branches(self.document, schema):
            pointer = self.pointer(node)
            if pointer is not None and name in (node.get("required") or ()):
                item = self._item(f"{pointer}/required", name, "required")
                if item is not None:
                    found.append(_from_mark(item.mark))
                else:
                    why = guess_at(self.document, node, ["required"])
                    found.append(Verdict(GUESS, guess=why) if why else Verdict(DOCUMENTED))
        # required twice (a shared schema, and again where a reference states it): the
        # statement wins
        documented = [v for v in found if v.rule == DOCUMENTED]
        return documented[0] if documented else found[0] if found else UNCOVERED

    def values(self, holder: JsonObject, keyword: str, request: bool = True) -> Verdict:
        """A value outside ``holder``'s ``enum`` (or ``const``), in a request or an answer
        alike: documented when a reference shows the whole list; a guess when the list holds
        a value this mock guessed (the unknown value may be the real API's name for it: a
        ``running`` where this mock says ``processing``). Which value an unknown one stands
        for needs more than one answer: the proxy's lifecycle hook and replay's comparison
        in order tell (a job that rests at ``done`` instead of ``completed``)."""
        pointer = self.pointer(holder)
        found = self.items.get(f"{pointer}/{keyword}", []) if pointer else []
        verdicts = [_from_mark(i.mark) for i in found if i.kind == "value"]
        documented = [v for v in verdicts if v.rule == DOCUMENTED]
        guessed = [v for v in verdicts if v.rule == GUESS]
        if guessed:
            unsure = ", ".join(f"`{i.token}`" for i in found
                               if i.kind == "value" and _from_mark(i.mark).rule == GUESS)
            return Verdict(GUESS, guess=f"a value the list does not hold may be the real "
                                        f"API's name for {unsure} ({guessed[0].guess})")
        if documented:
            return documented[0]
        why = guess_at(self.document, holder, [keyword])
        return Verdict(GUESS, guess=why) if why else Verdict(DOCUMENTED)

    def enum_difference(self, holder: JsonObject, expected: Json, got: Json) -> Verdict:
        """Two answers with different values of one enum: a value outside the list is the
        list's rule (:meth:`values`); two listed values (a ``failed`` where the other answer
        says ``completed``) rest on both values' items: a guess if either is one."""
        keyword = "enum" if "enum" in holder else "const"
        allowed = holder.get("enum", [holder.get("const")])
        listed = [v for v in (expected, got) if v in allowed]
        if not listed:
            return self.values(holder, keyword)
        # a value outside the list stands where the other answer says a listed one (the
        # answers are compared at the same step): that value's rule is the one broken
        pointer = self.pointer(holder)
        verdicts = [_from_mark(i.mark) for i in self.items.get(f"{pointer}/{keyword}", [])
                    if i.kind == "value" and i.token in (str(v) for v in listed)]
        guessed = [v for v in verdicts if v.rule == GUESS]
        return guessed[0] if guessed else verdicts[0] if verdicts else Verdict(DOCUMENTED)

    def resembled(self, holder: JsonObject, keyword: str, instance: JsonObject
                  ) -> Verdict | None:
        """A value that fits no branch of a choice told apart by a ``const`` field (Stager
        AI's group ``status``): when exactly one branch's other required fields are all there
        (``imageUrl``: the completed group), the answer is that branch with a wrong
        ``const``, and that value's rule is the one broken."""
        found = self.resembled_tag(holder, keyword, instance)
        return self.values(found[2], "const") if found is not None else None

    def resembled_tag(self, holder: JsonObject, keyword: str, instance: JsonObject
                      ) -> tuple[str, Json, JsonObject] | None:
        """For :meth:`resembled`: the tag field's name, the value its branch wants and the
        schema holding that ``const``."""
        best: list[tuple[int, JsonObject]] = []
        for branch in (resolve(self.document, b) for b in holder.get(keyword) or ()):
            if not isinstance(branch, dict):
                continue
            props = branch.get("properties") or {}
            tags = [n for n, p in props.items()
                    if isinstance(resolve(self.document, p), dict)
                    and "const" in resolve(self.document, p)]
            others = [n for n in branch.get("required") or () if n not in tags]
            if tags and others and all(n in instance for n in others):
                best.append((len(others), branch))
        top = [b for b in best if b[0] == max((n for n, _ in best), default=0)]
        if len(top) != 1:
            return None
        branch = top[0][1]
        for name, prop in (branch.get("properties") or {}).items():
            prop = resolve(self.document, prop)
            if isinstance(prop, dict) and "const" in prop and instance.get(name) != prop["const"]:
                return str(name), prop["const"], prop
        return None

    def listed_source(self, schema: Json, name: str) -> str | None:
        """Where a reference shows a value of field ``name`` (anywhere under ``schema``): the
        source of the first cited value of its list."""
        for node in schemas_under(self.document, schema):
            prop = (node.get("properties") or {}).get(name)
            for holder in schemas_under(self.document, prop):
                for keyword in ("enum", "const"):
                    pointer = self.pointer(holder)
                    for item in self.items.get(f"{pointer}/{keyword}", []) if pointer else ():
                        if item.mark and item.mark[0] == "documented":
                            return item.mark[1]
        return None

    def error_code(self, code: str) -> Verdict:
        """An error code of the spec's error table (a ledger ``error code`` item)."""
        item = self._item("/info/description", code, "error code")
        return _from_mark(item.mark) if item is not None else UNCOVERED

    def keyword(self, holder: JsonObject, keyword: str) -> Verdict:
        """Any other keyword of ``holder``: its ledger item (a limit, an id prefix, a
        structural rule), else the guess covering it."""
        pointer = self.pointer(holder)
        found = self.items.get(f"{pointer}/{keyword}", []) if pointer else []
        verdicts = [_from_mark(i.mark) for i in found]
        documented = [v for v in verdicts if v.rule == DOCUMENTED]
        if documented and len(documented) == len(verdicts):
            return documented[0]
        guessed = [v for v in verdicts if v.rule == GUESS]
        if guessed:
            return guessed[0]
        why = guess_at(self.document, holder, [keyword])
        return Verdict(GUESS, guess=why) if why else Verdict(DOCUMENTED)

    # ------------------------------------------------------------------ schema violations
    def violation(self, root: Json, schema_path: Sequence[str | int], kind: str,
                  detail: str | None = None, request: bool = True,
                  body: Verdict | None = None, instance: Json = None) -> Verdict:
        """The verdict of one jsonschema error: ``root`` the schema validated against (a node
        of the document), ``schema_path`` the error's, ``kind`` its class name
        (``Required``, ``Enum``...), ``detail`` the required property's name; ``body`` the
        verdict of the answer's status, for a body whose own type is wrong."""
        path = list(schema_path)
        keyword = path[-1] if path else None
        why = guess_at(self.document, root, path) if path else None
        fallback = Verdict(GUESS, guess=why) if why else Verdict(DOCUMENTED)
        holder, field = self._walk(root, path[:-1])
        if not isinstance(holder, dict) or not isinstance(keyword, str):
            return fallback
        if kind in ("AdditionalProperties", "UnevaluatedProperties") and not request:
            return UNCOVERED  # a field the spec does not list
        if self.pointer(holder) is None:
            return fallback  # a schema built for parameters, not written in the spec
        if kind == "Required" and detail is not None:
            found = self.required(holder, detail)
        elif kind in ("Enum", "Constant"):
            found = self.values(holder, keyword, request)
        elif kind == "Type":
            found = self.field(*field) if field is not None else body or fallback
            case_mark = field[0].get(GUESS_MARK) if field is not None else None
            if found is UNCOVERED and isinstance(case_mark, str):
                # a field restated by a case (``JobCompleted``'s ``output``), which the
                # ledger counts where it is defined: the case's own mark
                found = Verdict(GUESS, guess=case_mark)
        elif kind in ("OneOfNotValid", "AnyOf") and isinstance(instance, dict):
            found = self.resembled(holder, keyword, instance) or self.keyword(holder, keyword)
        else:
            found = self.keyword(holder, keyword)
        if found is UNCOVERED:
            return fallback
        if found.rule == DOCUMENTED and found.source is None and fallback.rule == GUESS:
            return fallback  # no reference cited for it, and a guess covers its path
        return found

    def _walk(self, root: Json, path: Sequence[str | int]
              ) -> tuple[Json, tuple[JsonObject, str] | None]:
        """The schema node at ``path`` under ``root`` (``$ref`` followed) and the last
        ``(object schema, property name)`` passed on the way: the field whose value the
        node describes (an array's items and a branch stay that field's)."""
        node: Json = self.document if path and path[0] == "components" else root
        field: tuple[JsonObject, str] | None = None
        owner: JsonObject | None = None
        for i, part in enumerate(path):
            node = resolve(self.document, node)
            if part == "$ref":
                continue
            holder = node
            try:
                node = holder[int(part)] if isinstance(holder, list) else holder[part]
            except (KeyError, IndexError, TypeError, ValueError):
                return None, None
            if part == "properties" and isinstance(holder, dict):
                owner = holder
            elif i > 0 and path[i - 1] == "properties" and owner is not None:
                field = (owner, str(part))
        return resolve(self.document, node), field


_BOOKS: dict[int, RuleBook] = {}


def rulebook(document: JsonObject) -> RuleBook:
    """The :class:`RuleBook` of a spec document (built once per document)."""
    book = _BOOKS.get(id(document))
    if book is None or book.document is not document:
        book = _BOOKS[id(document)] = RuleBook(document)
    return book
