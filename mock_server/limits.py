"""Every limit and lifetime of the mock, written once. The code, the capabilities answer
(``GET /api/v1/capabilities`` → ``limits``) and the docs read them from here; where a spec
states the same number (``maxItems``, ``maximum``, ``default``), ``tests/spec`` checks that
the two agree. Which of them the vendors documented and which we chose is recorded in the
specs (see docs/FIDELITY.md)."""

from __future__ import annotations

MiB = 1024 * 1024

#: Largest upload body (StagePro ``/uploads``, Stager AI ``/api/image``, signed PUTs).
UPLOAD_MAX_BYTES = 20 * MiB
#: Largest JSON request body.
JSON_MAX_BYTES = 1 * MiB
#: What the mock reads at most under ``--lenient``, where the two size limits above (guesses:
#: neither vendor states one) only warn: a bound on the mock's own memory, never relaxed.
LENIENT_BODY_CEILING_BYTES = 256 * MiB
#: Largest decoded image (pixels), read from the header before decoding (bomb guard).
IMAGE_MAX_PIXELS = 50_000_000
#: StagePro uploads expire this long after upload (mock clock).
UPLOAD_TTL_SECONDS = 86_400
#: StagePro design-agent sessions expire this long after their last message.
AGENT_SESSION_TTL_SECONDS = 86_400
#: Photos in one StagePro batch or workflow.
BATCH_MAX_PHOTOS = 100
#: ``GET /api/v1/jobs``: page size when ``limit`` is absent.
JOBS_PAGE_DEFAULT = 20
#: Webhook retries: seconds after each failed attempt (then the event is ``failed``).
WEBHOOK_RETRY_SCHEDULE = (10, 30, 120, 600, 1800, 3600, 7200, 21600)
#: Per-attempt timeout of a webhook delivery (seconds).
WEBHOOK_TIMEOUT_SECONDS = 10.0
#: Stager AI signed upload URLs stay valid this long (``X-Goog-Expires``).
SIGNED_URL_SECONDS = 900
#: Brackets in one Stager AI HDR group.
HDR_MAX_BRACKETS = 7


def stagepro_capabilities() -> dict[str, int]:
    """The ``limits`` object of StagePro's capabilities answer."""
    return {
        "max_batch_photos": BATCH_MAX_PHOTOS,
        "upload_max_bytes": UPLOAD_MAX_BYTES,
        "upload_ttl_seconds": UPLOAD_TTL_SECONDS,
        "agent_session_ttl_seconds": AGENT_SESSION_TTL_SECONDS,
    }
