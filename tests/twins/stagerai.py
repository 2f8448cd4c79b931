"""A Stager AI server written from the Stager AI reference alone (``/work/shared/seeds/
001_*.txt``), never from this project's specs. It obeys what the reference states (the
``stager-api-key`` header, projects, HDR groups of at most 7 brackets behind signed upload
URLs, ``hdr-enhance`` answering ``{}``, the group's ``processing`` then ``completed`` with
``imageUrl``, image upload by multipart ``File``, and staging, lawn and sky replacement with
exactly the value lists given) and chooses its own way wherever the reference is silent.

The signed upload URLs point back at this server: ``PUT /upload/{id}?expires=..&signature=..``
(an HMAC of the id and expiry). ``create_app(breaking=True)`` breaks the three documented
rules in :data:`BREAKS` and nothing else."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.twins.common import (
    BadBody,
    Clock,
    Files,
    blend_jpegs,
    form_of,
    image_size,
    json_object,
    new_id,
    render_jpeg,
    wall_clock,
)

BREAKS = [
    {"rule": "POST /api/hdr-upload-url answers `uploadUrl` (the twin answers 201 with "
             "`signedUrl`)",
     "section": "Section 2 > 3. Get a Signed Upload URL", "operation": "POST /api/hdr-upload-url"},
    {"rule": "a finished group's status is `completed` (the twin says `done`)",
     "section": "Section 2 > 5. Check Status & Get the Final Image",
     "operation": "GET /api/hdr-image-group/:groupId"},
    {"rule": "a staging result item carries `imageUrl` (the twin names it `url`)",
     "section": "Section 3 > 2. Auto Virtual Staging", "operation": "POST /api/images/:imageId/stage"},
]

# "Section 3 > 2. Auto Virtual Staging": the allowed configuration parameters.
ACTION_TYPES = ("subtleStaging", "autoStaging")
RESOLUTIONS = ("low", "high", "superHigh")
ROOM_TYPES = ("LIVING_ROOM", "DINING_ROOM", "BEDROOM", "KITCHEN", "KITCHEN_LIVING_AREA",
              "HOME_OFFICE", "TERRACE", "BALCONY", "BATHROOM", "EXTERIOR", "GAME_ROOM",
              "KIDS_ROOM", "GARAGE")
ROOM_STYLES = ("modern", "minimalist", "scandinavian", "industrial", "rustic", "farmhouse",
               "kidsRoom", "coastalModern", "luxury", "midCentury", "bohoChic", "japandi")
COLOR_TYPES = ("classicWhite", "charcoalGray", "matteBlack", "beige", "espressoBrown", "walnut",
               "naturalWood", "navyBlue", "forestGreen", "rusticOak", "ivory", "steelBlue",
               "ashGray", "mahogany")
# "3. Automated Lawn Replacement" and "4. Automated Sky Replacement".
LAWN_TYPES = ("light", "medium", "strong")
SKY_TYPES = ("blue", "twilight")
SKY_SUBTYPES = ("subtle", "middle", "dramatic")
MAX_BRACKETS = 7                 # "3. Get a Signed Upload URL": max 7 photos per group
UPLOAD_URL_TTL = 15 * 60.0       # the twin's own: a signed URL lasts 15 minutes
SCALE = {"low": 0.5, "high": 1.0, "superHigh": 2.0}   # the twin's own output sizes


def failure(status: int, message: str) -> JSONResponse:
    """The twin's error body (the reference shows none): ``success`` false and a message."""
    return JSONResponse({"success": False, "message": message}, status)


@dataclass
class Group:
    key: str
    project: str
    options: dict
    brackets: list[str] = field(default_factory=list)
    enhanced: float | None = None
    merged: bytes | None = None      # the blend, once made (b"" when a bracket is no image)


@dataclass
class Image:
    key: str
    data: bytes
    width: int
    height: int


def pick(body: dict, name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    """``body[name]`` when it is one of ``allowed``; ``default`` when absent (None: required)."""
    if name not in body:
        if default is None:
            raise BadBody(f"{name} is required: one of {', '.join(allowed)}")
        return default
    value = body[name]
    if value not in allowed:
        raise BadBody(f"{name} must be one of {', '.join(allowed)}")
    return value


def optional_text(body: dict, name: str) -> None:
    if name in body and not isinstance(body[name], str):
        raise BadBody(f"{name} must be a string")


class StagerAI:
    def __init__(self, breaking: bool, job_seconds: float, clock: Clock) -> None:
        self.breaking, self.job_seconds, self.clock = breaking, job_seconds, clock
        self.secret = new_id().encode()
        self.projects: dict[str, tuple[str, str]] = {}
        self.groups: dict[str, Group] = {}
        self.brackets: dict[str, bytes | None] = {}
        self.images: dict[str, Image] = {}
        self.files = Files()

    # --- projects and HDR groups --------------------------------------------------------
    async def create_project(self, request: Request, key: str) -> Response:
        body = await json_object(request, required=False)
        title = body.get("title", "")
        if not isinstance(title, str):
            raise BadBody("title must be a string")
        project = new_id()
        self.projects[project] = (key, title)
        return JSONResponse({"id": project, "title": title})

    def own_project(self, key: str, body: dict) -> str:
        project = body.get("projectId")
        if not isinstance(project, str) or self.projects.get(project, ("",))[0] != key:
            raise BadBody("projectId does not name one of your projects")
        return project

    def own_group(self, key: str, body: dict) -> Group:
        project = self.own_project(key, body)
        group = self.groups.get(body.get("groupId"))  # type: ignore[arg-type]
        if group is None or group.key != key or group.project != project:
            raise BadBody("groupId does not name a group of this project")
        return group

    async def create_group(self, request: Request, key: str) -> Response:
        body = await json_object(request)
        project = self.own_project(key, body)
        options = {}
        for name in ("lensCorrection", "perspectiveCorrection", "photographerRemoval"):
            value = body.get(name, False)
            if not isinstance(value, bool):
                raise BadBody(f"{name} must be a boolean")
            options[name] = value
        group_id = new_id()
        self.groups[group_id] = Group(key, project, options)
        self.files.add(f"{group_id}.jpg", lambda: self.merged(group_id))
        return JSONResponse({"groupId": group_id})

    def signature(self, image_id: str, expires: int) -> str:
        return hmac.new(self.secret, f"{image_id}:{expires}".encode(), hashlib.sha256).hexdigest()

    async def upload_url(self, request: Request, key: str) -> Response:
        body = await json_object(request)
        group = self.own_group(key, body)
        filename = body.get("filename")
        if not isinstance(filename, str) or not filename:
            raise BadBody("filename is required")
        if len(group.brackets) >= MAX_BRACKETS:
            raise BadBody(f"a group holds at most {MAX_BRACKETS} photos")
        image_id = new_id()
        group.brackets.append(image_id)
        self.brackets[image_id] = None
        expires = int(self.clock() + UPLOAD_URL_TTL)
        url = (f"{str(request.base_url).rstrip('/')}/upload/{image_id}"
               f"?expires={expires}&signature={self.signature(image_id, expires)}")
        if self.breaking:
            return JSONResponse({"id": image_id, "signedUrl": url}, 201)
        return JSONResponse({"id": image_id, "uploadUrl": url})

    async def put_upload(self, request: Request) -> Response:
        """The storage side of a signed URL: no API key, the signature is the credential."""
        image_id = request.path_params["id"]
        try:
            expires = int(request.query_params.get("expires", ""))
        except ValueError:
            return Response("bad signature", 403, media_type="text/plain")
        given = request.query_params.get("signature", "")
        if (image_id not in self.brackets or expires < self.clock()
                or not hmac.compare_digest(given, self.signature(image_id, expires))):
            return Response("bad signature", 403, media_type="text/plain")
        self.brackets[image_id] = await request.body()
        return Response(status_code=200)

    async def enhance(self, request: Request, key: str) -> Response:
        body = await json_object(request)
        group = self.own_group(key, body)
        if not any(self.brackets[b] for b in group.brackets):
            raise BadBody("upload at least one bracket before enhancing")
        if group.enhanced is None:
            group.enhanced = self.clock()
        return JSONResponse({})

    def merged(self, group_id: str) -> bytes | None:
        group = self.groups[group_id]
        if group.enhanced is None or self.clock() < group.enhanced + self.job_seconds:
            return None
        if group.merged is None:
            blend = blend_jpegs([d for b in group.brackets if (d := self.brackets[b])], group_id)
            group.merged = blend or b""
        return group.merged or None

    async def group_status(self, request: Request, key: str) -> Response:
        group_id = request.path_params["id"]
        group = self.groups.get(group_id)
        if group is None or group.key != key:
            return failure(404, "no such group")
        if group.enhanced is None:
            return JSONResponse({"status": "pending"})
        if self.clock() < group.enhanced + self.job_seconds:
            return JSONResponse({"status": "processing"})
        if self.merged(group_id) is None:
            return JSONResponse({"status": "failed", "message": "a bracket is not an image"})
        return JSONResponse({"status": "done" if self.breaking else "completed",
                             "imageUrl": self.files.url(request, f"{group_id}.jpg")})

    # --- single images: upload, staging, lawn, sky ---------------------------------------
    async def upload_image(self, request: Request, key: str) -> Response:
        async with form_of(request) as form:
            file = form.get("File")
            if file is None or isinstance(file, str):
                raise BadBody("multipart form field File is required")
            data = await file.read()
        size = image_size(data)
        if size is None:
            raise BadBody("File is not an image")
        image_id = new_id()
        self.images[image_id] = Image(key, data, *size)
        self.files.add(f"{image_id}.jpg", lambda: render_jpeg(image_id, size, data))
        return JSONResponse({"success": True, "data": {
            "id": image_id, "imageUrl": self.files.url(request, f"{image_id}.jpg"),
            "width": size[0], "height": size[1]}})

    def result(self, request: Request, image: Image, resolution: str, url_name: str) -> dict:
        scale = SCALE[resolution]
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        result_id = new_id()
        self.files.add(f"{result_id}.jpg", lambda: render_jpeg(result_id, size, image.data))
        return {"id": result_id, url_name: self.files.url(request, f"{result_id}.jpg"),
                "width": size[0], "height": size[1]}

    def edit(self, check: Callable[[dict], None], breakable: bool = False
             ) -> Callable[[Request, str], Awaitable[Response]]:
        """An edit endpoint on ``/api/images/{id}/...``: ``check`` validates the body."""
        async def endpoint(request: Request, key: str) -> Response:
            image = self.images.get(request.path_params["id"])
            if image is None or image.key != key:
                return failure(404, "no such image")
            body = await json_object(request)
            check(body)
            resolution = pick(body, "resolution", RESOLUTIONS, "low")
            assert resolution is not None
            name = "url" if breakable and self.breaking else "imageUrl"
            return JSONResponse({"success": True,
                                 "data": [self.result(request, image, resolution, name)]})
        return endpoint


def check_stage(body: dict) -> None:
    pick(body, "roomType", ROOM_TYPES, None)
    pick(body, "roomStyle", ROOM_STYLES, "modern")
    pick(body, "actionType", ACTION_TYPES, "autoStaging")
    colors = body.get("colorTypes", [])
    if not isinstance(colors, list) or any(c not in COLOR_TYPES for c in colors):
        raise BadBody(f"colorTypes must be a list of {', '.join(COLOR_TYPES)}")
    if not isinstance(body.get("removeFurniture", False), bool):
        raise BadBody("removeFurniture must be a boolean")
    optional_text(body, "extraInstructions")


def check_lawn(body: dict) -> None:
    pick(body, "lawnType", LAWN_TYPES, None)
    optional_text(body, "extraInstructions")


def check_sky(body: dict) -> None:
    pick(body, "skyType", SKY_TYPES, None)
    pick(body, "skySubType", SKY_SUBTYPES, "middle")


def keyed(handler: Callable[[Request, str], Awaitable[Response]]
          ) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint behind the ``stager-api-key`` header: 403 without one, 400 for a bad body.
    Any non-empty key is accepted, and each key sees only what it created."""
    async def endpoint(request: Request) -> Response:
        key = request.headers.get("stager-api-key", "").strip()
        if not key:
            return failure(403, "the stager-api-key header is required")
        try:
            return await handler(request, key)
        except BadBody as exc:
            return failure(400, str(exc))
    return endpoint


def create_app(breaking: bool = False, job_seconds: float = 1.0,
               clock: Clock = wall_clock) -> Starlette:
    """The Stager AI twin: the API under ``/api``, signed uploads under ``/upload``, result
    files under ``/files``."""
    sa = StagerAI(breaking, job_seconds, clock)
    app = Starlette(routes=[
        Route("/api/projects", keyed(sa.create_project), methods=["POST"]),
        Route("/api/hdr-image-group", keyed(sa.create_group), methods=["POST"]),
        Route("/api/hdr-image-group/{id}", keyed(sa.group_status), methods=["GET"]),
        Route("/api/hdr-upload-url", keyed(sa.upload_url), methods=["POST"]),
        Route("/api/hdr-enhance", keyed(sa.enhance), methods=["POST"]),
        Route("/api/image", keyed(sa.upload_image), methods=["POST"]),
        Route("/api/images/{id}/stage", keyed(sa.edit(check_stage, True)), methods=["POST"]),
        Route("/api/images/{id}/lawn-replace", keyed(sa.edit(check_lawn)), methods=["POST"]),
        Route("/api/images/{id}/sky-replace", keyed(sa.edit(check_sky)), methods=["POST"]),
        Route("/upload/{id}", sa.put_upload, methods=["PUT"]),
        Route("/files/{name}", sa.files.serve, methods=["GET"]),
    ])
    app.state.twin = sa
    return app
