"""In-memory blob store for files the mock serves (uploads, outputs, signed-URL objects)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Blob:
    data: bytes
    content_type: str
    etag: str
    owner: str  # namespace (api key) that owns it, so a reset can drop it


class BlobStore:
    def __init__(self) -> None:
        self._blobs: dict[str, Blob] = {}

    def put(self, key: str, data: bytes, content_type: str, owner: str) -> Blob:
        etag = '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'
        blob = Blob(data, content_type, etag, owner)
        self._blobs[key] = blob
        return blob

    def get(self, key: str) -> Blob | None:
        return self._blobs.get(key)

    def drop_owner(self, owner: str | None) -> None:
        if owner is None:
            self._blobs.clear()
        else:
            self._blobs = {k: b for k, b in self._blobs.items() if b.owner != owner}

    def __len__(self) -> int:
        return len(self._blobs)
