"""Which key a replay sends in place of each recorded one (``stagemock replay --api-key``,
``--key-map``; ``drift``).

A recording holds each request's key as the client sent it (a HAR from a browser) or as its
fingerprint (``sk_test_.3f9a1c``: ``redact``). Each recorded key is sent as:

1. the key ``--key-map RECORDED=KEY`` gives it (RECORDED as the recording shows it, or the
   whole key, whose fingerprint is then matched);
2. on a stagemock, itself when it is one of the mock's fixture or magic keys
   (``fixtures/accounts.yaml``: ``sk_live_mock_no_credits`` answers 402 on any mock), so its
   behaviour is kept; found by its fingerprint in a redacted recording;
3. otherwise a replay key of its own: the first recorded key of an API gets that API's
   ``--api-key``; on a stagemock each further one a fresh test key derived from it
   (``sk_test_replay_2``...), so two recorded accounts stay two accounts (isolation holds).
   A server that is not a stagemock cannot be given made-up keys: there every further key is
   sent as ``--api-key`` too, and the report says so (map them with ``--key-map``).

Keys given on the command line are secrets: a difference's ``curl`` names them as shell
variables (``$API_KEY``, ``$KEY_1``...) and the report says which is which. Fixture and
made-up test keys of a mock are printed as they are (the curl then runs as printed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml

from ..jsontypes import JsonObject
from ..resources import data_dir
from .redact import mask_key

#: The test-key prefix of each API: any key with it is a new account on a stagemock.
TEST_PREFIX = {"stagepro": "sk_test_", "stagerai": "stager_test_"}
#: The key a replay to a stagemock sends for an API no ``--api-key`` names.
DEFAULT_KEY = {"stagepro": "sk_test_replay", "stagerai": "stager_test_replay"}


def api_of_key(key: str) -> str | None:
    """The API a key's prefix names (``sk_...``: StagePro, ``stager_...``: Stager AI)."""
    if key.startswith("sk_"):
        return "stagepro"
    if key.startswith("stager_"):
        return "stagerai"
    return None


def fixture_keys() -> dict[str, str]:
    """Every fixture key of ``fixtures/accounts.yaml``, by the forms a recording may show it
    in (the key itself and its fingerprint) → the key."""
    doc: JsonObject = yaml.safe_load((data_dir("fixtures") / "accounts.yaml").read_text())
    out: dict[str, str] = {}
    for section in doc.values():
        for key in (section or {}).get("keys") or {}:
            out[key] = key
            out[mask_key(key)] = key
    return out


def recorded_key(headers: Sequence[Sequence[str]]) -> str | None:
    """The key a recorded request carried (bearer credential or ``stager-api-key``)."""
    for name, value in headers:
        lower = name.lower()
        if lower == "authorization":
            return value.partition(" ")[2].strip() or value
        if lower == "stager-api-key":
            return value.strip()
    return None


class NoKey(Exception):
    """A recorded key the replay has nothing to send for (the message says what to give)."""


class Keys:
    """The recorded key → replay key table of one replay (the module docstring)."""

    def __init__(self, apis: Sequence[str], given: Sequence[str],
                 key_map: Mapping[str, str], mock: bool, secret: bool = True) -> None:
        self.mock = mock
        self.first: dict[str, str] = {}
        for key in given:  # a key goes to the API its prefix names, else to each without one
            named = api_of_key(key)
            for api in apis:
                if named is None or named == api:
                    self.first.setdefault(api, key)
        if mock:
            for api in apis:
                self.first.setdefault(api, DEFAULT_KEY[api])
        self.explicit: dict[str, str] = {}
        for recorded, key in key_map.items():
            self.explicit[recorded] = key
            self.explicit.setdefault(mask_key(recorded), key)
        self.fixtures = fixture_keys() if mock else {}
        self.assigned: dict[tuple[str, str], str] = {}
        self.own: dict[str, list[str]] = {}  # per API: recorded keys given a replay key
        #: recorded keys sent with one shared key (a server that is not a mock)
        self.shared: dict[str, list[str]] = {}
        self.variables: dict[str, str] = {}  # a secret key → its curl variable
        if secret:
            for n, key in enumerate(dict.fromkeys(given)):
                self.variables[key] = "API_KEY" if n == 0 else f"API_KEY_{n + 1}"
            for n, key in enumerate(dict.fromkeys(key_map.values())):
                self.variables.setdefault(key, f"KEY_{n + 1}")

    def default(self, api: str) -> str | None:
        """The API's first replay key (a console session is opened with it)."""
        return self.first.get(api)

    def key_for(self, api: str, recorded: str) -> str:
        """The key to send where the recording shows ``recorded``."""
        found = self.assigned.get((api, recorded))
        if found is not None:
            return found
        if recorded in self.explicit:
            key = self.explicit[recorded]
        elif recorded in self.fixtures:
            key = self.fixtures[recorded]
        else:
            base = self.first.get(api)
            if base is None:
                raise NoKey(f"no key to send for {api}'s recorded key {recorded}: give "
                            f"--api-key or --key-map {recorded}=KEY")
            mine = self.own.setdefault(api, [])
            mine.append(recorded)
            if len(mine) == 1:
                key = base
            elif self.mock:
                prefix = TEST_PREFIX[api]
                key = (f"{base}_{len(mine)}" if base.startswith(prefix)
                       else f"{prefix}replay_{len(mine)}")
            else:
                key = base
                self.shared.setdefault(api, mine[:1]).append(recorded)
        self.assigned[(api, recorded)] = key
        return key

    def legend(self, curls: bool = True) -> list[str]:
        """The report's lines on keys: the curl variables (only when the report prints
        ``curls``: a difference's), keys sent as one."""
        out = []
        used = set(self.assigned.values()) if curls else set()
        names = {v: k for k, v in self.variables.items() if k in used}
        for name in sorted(names):
            what = "--api-key" if name.startswith("API_KEY") else "the --key-map key"
            out.append(f"${name} in the curls below is {what} {self._redacted(names[name])}")
        for api, recorded in self.shared.items():
            out.append(f"{len(recorded)} recorded {api} keys ({', '.join(recorded)}) were all "
                       "sent as --api-key (the server is not a stagemock: give each its own "
                       "with --key-map RECORDED=KEY)")
        return out

    @staticmethod
    def _redacted(key: str) -> str:
        return mask_key(key)
