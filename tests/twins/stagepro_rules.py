"""The StagePro twin's vocabulary and its request rules, taken from the StagePro reference
(``/work/shared/seeds/000_*.txt``) alone. Each constant names the reference section it comes
from; every other choice here is the twin's own, listed in ``tests/twins/README.md``."""

from __future__ import annotations

from collections.abc import Callable

from tests.twins.common import BadBody

# "Create a job": the core types, plus the listing-tool type of "Listing photo tools".
CORE_TYPES = ("empty-room", "virtual-stage", "interior-design", "edit")
JOB_TYPES = (*CORE_TYPES, "listing-tool")

# "Available listing tools": the 23 slugs.
LISTING_TOOLS = (
    "add-furniture", "ai-furniture-background", "furniture-eraser", "room-declutter",
    "material-overlay", "fireplace-ignition", "tv-screen-replacement", "refrigerator-cleanup",
    "landscape-design", "lawn-replacement", "changing-seasons", "sky-enhancement",
    "rain-to-shine", "driveway-leaf-removal", "driveway-car-removal", "add-water-to-empty-pool",
    "pool-water-enhancement", "natural-twilight", "virtual-twilight", "night-to-day",
    "ai-floorplan-visualizer", "social-media-poster", "sketch-to-render",
)

# "Workflow templates": the 6 templates, and the job each one expands into (the expansion is
# the twin's own choice: the reference names the templates only).
TEMPLATES: dict[str, tuple[str, str | None]] = {
    "mls-virtual-stage": ("virtual-stage", None),
    "mls-room-declutter": ("listing-tool", "room-declutter"),
    "mls-furniture-clear": ("empty-room", None),
    "mls-exterior-twilight": ("listing-tool", "virtual-twilight"),
    "mls-sky-enhance": ("listing-tool", "sky-enhancement"),
    "mls-interior-design": ("interior-design", None),
}

# "Webhooks": the job events (batch.completed is named under "Batch processing").
EVENTS = ("job.completed", "job.failed", "batch.completed")

# The twin's own keys (the reference shows sk_live_ and sk_test_ prefixes and nothing more).
FUNDED_KEY = "sk_live_twin_funded"       # 1000 credits
BROKE_KEY = "sk_live_twin_broke"         # 0 credits: 402 on anything that spends
FULL_KEY = "sk_live_twin_full"           # storage already at its limit: 403 on uploads
REVOKED_KEY = "sk_live_twin_revoked"     # revoked: 401
LIVE_CREDITS = {FUNDED_KEY: 1000, BROKE_KEY: 0, FULL_KEY: 1000}
TEST_PREFIX = "sk_test_"
STORAGE_LIMIT = 20 * 1024 * 1024         # bytes per key
PARALLEL_JOBS = 4                        # inside the reference's 2-20 range
UPLOAD_TTL = 24 * 3600.0                 # "Upload images": uploads expire after 24 hours
SESSION_TTL = 24 * 3600.0                # "AI Design Agent": 24h TTL

# The console session ("Session (console)" in the Endpoints table): a cookie of this name
# holding this value. How a session is obtained is not the API's business.
CONSOLE_COOKIE = "stagepro_console"
CONSOLE_TOKEN = "twin-console-session"


def _string(where: dict, name: str, label: str) -> str | None:
    value = where.get(name)
    if value is not None and not isinstance(value, str):
        raise BadBody(f"{label} must be a string")
    return value


def _object(where: dict, name: str, label: str) -> dict | None:
    value = where.get(name)
    if value is not None and not isinstance(value, dict):
        raise BadBody(f"{label} must be an object")
    return value


def check_job(body: dict, upload_ok: Callable[[str], bool],
              webhook_ok: Callable[[str], str | None]) -> None:
    """Refuse (BadBody) a job the reference rules out: an unknown type, a listing-tool job
    without a listed ``input.listing_tool``, no image (``image_url`` or an ``upload_id`` from
    "Upload images"), fields of the wrong JSON type, an unusable ``webhook_endpoint_id``."""
    kind = body.get("type")
    if kind not in JOB_TYPES:
        raise BadBody(f"type must be one of {', '.join(JOB_TYPES)}")
    data = _object(body, "input", "input")
    if data is None:
        raise BadBody("input is required")
    check_input(kind, data, upload_ok)
    _object(body, "metadata", "metadata")
    _string(body, "idempotency_key", "idempotency_key")
    hook = _string(body, "webhook_endpoint_id", "webhook_endpoint_id")
    if hook is not None and (problem := webhook_ok(hook)):
        raise BadBody(problem)


def check_input(kind: str, data: dict, upload_ok: Callable[[str], bool]) -> None:
    """The ``input`` object of one job of type ``kind``."""
    image = _string(data, "image_url", "input.image_url")
    upload = _string(data, "upload_id", "input.upload_id")
    if image is None and upload is None:
        raise BadBody("input.image_url or input.upload_id is required")
    if upload is not None and not upload_ok(upload):
        raise BadBody("input.upload_id is unknown or expired")
    for name in ("style", "room_type", "empty_room_url"):
        _string(data, name, f"input.{name}")
    tool = _string(data, "listing_tool", "input.listing_tool")
    if kind == "listing-tool" and tool not in LISTING_TOOLS:
        raise BadBody("input.listing_tool must be a slug from GET /capabilities")
    options = _object(data, "options", "input.options")
    if options is not None:
        creativity = options.get("creativity")
        if creativity is not None and (isinstance(creativity, bool)
                                       or not isinstance(creativity, int | float)):
            raise BadBody("input.options.creativity must be a number")
        _string(options, "aspect_ratio", "input.options.aspect_ratio")


def batch_inputs(kind: object, shared: dict, photos: object) -> list[tuple[dict, str | None]]:
    """One (input, label) per photo of a batch: the shared ``input`` with the photo's own
    fields over it (a photo's ``label`` names it and is not an input field)."""
    if not isinstance(photos, list) or not photos:
        raise BadBody("photos must be a non-empty array")
    if len(photos) > 100:
        raise BadBody("a batch holds at most 100 photos")
    out = []
    for n, photo in enumerate(photos):
        if not isinstance(photo, dict):
            raise BadBody(f"photos[{n}] must be an object")
        label = _string(photo, "label", f"photos[{n}].label")
        merged = {**shared, **{k: v for k, v in photo.items() if k != "label"}}
        out.append((merged, label))
    return out
