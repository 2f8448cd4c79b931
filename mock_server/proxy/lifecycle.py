"""What one answer cannot tell and a session can: the status values an object goes through.

A status value the spec does not list (``running``) may be the real API's name for a value
this mock guessed (``processing``): alone it is a guess (``spec.rules.RuleBook.values``). But
an object that answers a second, different unlisted value after it (``done`` after
``running``) cannot be naming the same guessed state twice: it stands where the reference's
own values are (a job ends ``completed`` or ``failed``), and that documented rule is broken.

Pure: the proxy feeds it each answer's violations and body, in order; it upgrades the
violation it finds so.
"""

from __future__ import annotations

from ..jsontypes import Json, JsonObject
from ..spec.rules import DOCUMENTED, GUESS

#: The fields that carry an object's status.
STATUS_FIELDS = ("body.status",)


class Lifecycles:
    """The unlisted status values each object answered, by the object's key."""

    def __init__(self, limit: int = 10_000) -> None:
        self.seen: dict[str, list[str]] = {}
        self.limit = limit

    def see(self, key: str | None, body: Json, violations: list[JsonObject],
            documented_source: str | None) -> None:
        """Look at one answer of the object ``key`` (its path, or its id): when its status is
        unlisted and the object already answered another unlisted one, the guess on it
        becomes a documented finding (``documented_source``: where the reference states
        the values an object ends with)."""
        if key is None or not isinstance(body, dict) or not isinstance(body.get("status"), str):
            return
        value = body["status"]
        flagged = [v for v in violations if v.get("field") in STATUS_FIELDS
                   and v.get("rule") == GUESS]
        if not flagged:
            return
        earlier = self.seen.setdefault(key, [])
        others = [v for v in earlier if v != value]
        if value not in earlier:
            if len(self.seen) > self.limit:
                self.seen.pop(next(iter(self.seen)))
            earlier.append(value)
        if not others:
            return
        for v in flagged:
            v["rule"] = DOCUMENTED
            v.pop("guess", None)
            if documented_source:
                v["source"] = documented_source
            v["message"] = (f"{v['message']}: `{value}` after `{others[-1]}`, a second "
                            "status the spec does not list for this object; only one can be "
                            "the real name of a state this mock guessed, so this one stands "
                            "where the reference's own values are")


def object_key(method: str, path: str, body: Json) -> str | None:
    """Which object an answer describes: its ``id`` (or ``groupId``), else the path a GET
    read it at."""
    if isinstance(body, dict):
        for name in ("id", "groupId"):
            if isinstance(body.get(name), str):
                return f"{name}:{body[name]}"
    return f"path:{path}" if method == "GET" else None
