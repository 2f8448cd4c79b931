"""Seeded, namespaced id generation.

An id is a hash of (seed, namespace, counter). Each namespace (one per account) counts on
its own, so one account's ids never depend on what other accounts did in between: parallel
tests that each use their own key see the same ids run after run.
"""

from __future__ import annotations

import hashlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


#: byte → character; 256 % 62 leaves a slight bias, irrelevant for ids, and one table lookup
#: per character is cheaper than base-62 division.
_TABLE = bytes.maketrans(bytes(range(256)), bytes(ord(_ALPHABET[b % 62]) for b in range(256)))


def _base62(data: bytes, length: int) -> str:
    return data[:length].translate(_TABLE).decode("ascii")


class IdGenerator:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._counters: dict[str, int] = {}

    def new(self, prefix: str, namespace: str = "", length: int = 20) -> str:
        n = self._counters.get(namespace, 0) + 1
        self._counters[namespace] = n
        digest = hashlib.blake2b(
            f"{self.seed}\x00{namespace}\x00{prefix}\x00{n}".encode(), digest_size=24
        ).digest()
        return f"{prefix}_{_base62(digest, length)}"

    def token(self, namespace: str, purpose: str, length: int = 32) -> str:
        """A secret-looking string (hex) for secrets, signatures' keys, session tokens."""
        n = self._counters.get(namespace, 0) + 1
        self._counters[namespace] = n
        digest = hashlib.blake2b(
            f"{self.seed}\x00{namespace}\x00{purpose}\x00{n}".encode(), digest_size=32
        ).hexdigest()
        return digest[:length]

    def reset(self, namespace: str | None = None) -> None:
        if namespace is None:
            self._counters.clear()
        else:
            self._counters.pop(namespace, None)
