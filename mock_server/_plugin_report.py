"""The pytest plugin's session report (``--stagemock-report``, ``--stagemock-fail-on``): what
the session's tests sent, collected before each test's reset wipes it, merged across
pytest-xdist workers, written and judged at the session's end (``mock_server.journal_report``,
imported then)."""

from __future__ import annotations

import json

from ._plugin_server import Remote
from .control import ControlPlane, ControlPlaneError
from .jsontypes import JsonObject


class Collected:
    """The journal entries and webhook deliveries of the session's tests, gathered before each
    test's reset wipes them. Exists only when a report or a gate was asked for: otherwise the
    per-test reset stays one round trip."""

    def __init__(self, report: str | None, fail_on: str) -> None:
        self.report = report
        self.fail_on = fail_on
        self.entries: list[JsonObject] = []
        self.deliveries: list[JsonObject] = []
        self.problems: list[str] = []  # why the report may be incomplete
        self.dropped = 0  # entries that fell off our own server's ring before collection
        self.since = 0  # our own server: the last seq collected (0 after a full reset)
        self._ring_dropped = 0  # our own server: ``dropped`` as last read
        self.summary = ""  # the terminal summary's paragraph

    def collect(self, server: ControlPlane, key: str | None) -> None:
        """What happened since the last collection: on our own server the whole journal after
        the last ``seq`` collected (and every delivery: each collection is followed by a full
        reset); on a shared one (``--stagemock-url``) ``key``'s entries and deliveries (its
        ``_begin`` forgot whatever an earlier run left)."""
        try:
            if isinstance(server, Remote):
                if key is not None:
                    self.entries += server.journal(key)
                    self.deliveries += server.deliveries(key)
                return
            page = server.journal_page(since=self.since)
            if page["total"] < self.since:  # fully reset by the test itself: from seq 1 again
                self.since = self._ring_dropped = 0
                page = server.journal_page()
            self.entries += page["entries"]
            self.dropped += max(page["dropped"] - self._ring_dropped, 0)
            self._ring_dropped = page["dropped"]
            self.since = page["total"]
            self.deliveries += server.deliveries()
        except ControlPlaneError as exc:
            self.problems.append(f"entries lost: {exc}")

    def after_full_reset(self) -> None:
        self.since = self._ring_dropped = 0

    # xdist: each worker hands its collection to the controller -------------------------
    def export(self) -> str:
        return json.dumps({"entries": self.entries, "deliveries": self.deliveries,
                           "problems": self.problems, "dropped": self.dropped})

    def merge(self, exported: str) -> None:
        data = json.loads(exported)
        self.entries += data["entries"]
        self.deliveries += data["deliveries"]
        self.problems += data["problems"]
        self.dropped += data["dropped"]

    # the end of the session ------------------------------------------------------------
    def finish(self, tests_passed: bool = True) -> list[str]:
        """Write the report (if asked for) and return why the gate fails (empty: it
        passes); ``summary`` is then the terminal's paragraph. ``tests_passed``: whether the
        session's own tests passed, so that the paragraph never claims they did when not."""
        from . import journal_report

        notes = list(self.problems)
        if self.dropped:
            notes.append(f"{self.dropped} journal entries fell off the mock's ring (10,000 "
                         "requests) before they were collected")
        written = ""
        if self.report:
            if self.report.endswith(".json"):
                data = journal_report.summarize(self.entries, self.deliveries)
                data["incomplete"] = notes
                text = json.dumps(data, indent=2, ensure_ascii=False)
            else:
                text = journal_report.build(self.entries, self.deliveries, limit=0)
                text += "".join(f"\nincomplete: {n}" for n in notes)
            try:
                with open(self.report, "w", encoding="utf-8") as out:
                    out.write(text + "\n")
                written = f"report written to {self.report}"
            except OSError as exc:
                written = f"could not write the report to {self.report}: {exc.strerror or exc}"
                notes.append(written)
        why = journal_report.breaks(self.entries, self.fail_on)
        data = journal_report.summarize(self.entries, self.deliveries)
        seen = ", ".join(f"{api} {a['exercised']}/{a['operations_total']} operations exercised"
                         for api, a in data["apis"].items())
        n = data["requests"]
        counts = (f"{n} request{'' if n == 1 else 's'}, "
                  f"{len(data['violating'])} violating the spec, "
                  f"{len(data['guesses_only'])} breaking only guesses")
        parts = [f"stagemock: {seen}; {counts}"]
        if why:
            shown = [f"{e['method']} {e['path']} ({e.get('operation_id') or 'no operation'}) "
                     f"→ {journal_report.answered(e)}" for e in data["violating"][:3]]
            parts.append(
                f"--stagemock-fail-on {self.fail_on}: {'; '.join(why)}"
                + (f" (first: {', '.join(shown)})" if shown else "")
                + (", so the session fails even though its tests passed" if tests_passed
                   else ", which fails the session too")
            )
        if written:
            parts.append(written)
        parts += [f"incomplete: {n}" for n in notes if n != written]
        self.summary = "; ".join(parts) + "."
        return why
