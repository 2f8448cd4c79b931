"""A small StagePro v1 client (the integrator's code under test)."""

from __future__ import annotations

from typing import Any

import httpx


class StageProError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


class StageProClient:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        r = self.http.request(method, path, **kwargs)
        if r.status_code >= 400:
            error = r.json().get("error", {})
            raise StageProError(r.status_code, error.get("code", "?"), error.get("message", ""))
        return r.json()

    def stage(self, image_url: str, style: str, room_type: str, **extra: Any) -> dict[str, Any]:
        body = {
            "type": "virtual-stage",
            "input": {"image_url": image_url, "style": style, "room_type": room_type},
            **extra,
        }
        return self._call("POST", "/jobs", json=body)

    def stage_safely(self, image_url: str, style: str, room_type: str,
                     idempotency_key: str, attempts: int = 3) -> dict[str, Any]:
        """``stage`` that survives a lost answer: retried with the same ``idempotency_key``
        (the body field the reference documents)."""
        body = {"type": "virtual-stage",
                "input": {"image_url": image_url, "style": style, "room_type": room_type},
                "idempotency_key": idempotency_key}
        for attempt in range(attempts):
            try:
                r = self.http.post("/jobs", json=body)
            except httpx.TransportError:
                continue
            if r.status_code < 500 or attempt == attempts - 1:
                break
        if r.status_code >= 400:
            raise StageProError(r.status_code, r.json()["error"]["code"], r.text)
        return r.json()

    def job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/jobs/{job_id}")

    def download(self, url: str) -> bytes:
        r = self.http.get(url)
        r.raise_for_status()
        return r.content

    def send_raw(self, body: dict[str, Any]) -> httpx.Response:
        """For the strict-mode demonstration: a request the spec does not allow."""
        return self.http.post("/jobs", json=body)
