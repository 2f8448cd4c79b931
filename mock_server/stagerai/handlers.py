"""Stager AI handlers, named after ``openapi/stagerai.yaml``'s operationIds."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..errors import ApiError, Unauthorized
from ..http import base_url, json_response
from ..jsontypes import JsonObject
from ..spec.binding import Call
from . import operation
from .exceptions import (
    AlreadyEnhanced,
    GroupNotFound,
    ImageNotFound,
    InvalidImage,
    NoBrackets,
    ProjectNotFound,
    TooManyBrackets,
)
from .models import (
    MAX_BRACKETS,
    PENDING,
    PROCESSING,
    Bracket,
    Group,
    Project,
    StoredImage,
)
from .signing import DEFAULT_EXPIRES, SignedUrlError, xml_error

if TYPE_CHECKING:
    from .backend import StagerAIBackend

UPLOAD_BUCKET = "stager-uploads"
RESIZED_BUCKET = "stager-resized"
RESULTS_BUCKET = "stager-final-results"


def _backend(call: Call) -> StagerAIBackend:
    return call.context.stagerai


def _origin(call: Call) -> str:
    return base_url(call.request, call.context.settings.public_url)


def _ns(call: Call) -> str:
    return call.principal.api_key


def _project(call: Call, project_id: str) -> Project:
    project = call.principal.account.projects.get(project_id)
    if project is None:
        raise ProjectNotFound(f"no project {project_id!r}", field="projectId")
    return project


def _group(call: Call, group_id: str, project_id: str | None = None) -> Group:
    group = call.principal.account.groups.get(group_id)
    if group is None or (project_id is not None and group.project_id != project_id):
        raise GroupNotFound(
            f"no HDR image group {group_id!r}"
            + (f" in project {project_id!r}" if project_id else ""),
            field="groupId",
        )
    return group


def _pending_group(call: Call, body: JsonObject) -> Group:
    """The body's project and group, the group still open (not yet enhanced)."""
    _project(call, body["projectId"])
    group = _group(call, body["groupId"], body["projectId"])
    if group.status != PENDING:
        raise AlreadyEnhanced("this group has already been enhanced", field="groupId")
    return group


@operation("createProject")
async def createProject(call: Call) -> Response:
    ids = call.context.ids
    project = Project(ids.new("project", _ns(call)), call.body["title"])
    call.principal.account.projects[project.id] = project
    return json_response({"id": project.id, "title": project.title})


@operation("createHdrImageGroup")
async def createHdrImageGroup(call: Call) -> Response:
    body = call.body
    _project(call, body["projectId"])
    group = Group(
        id=call.context.ids.new("group", _ns(call)),
        project_id=body["projectId"],
        lens_correction=body.get("lensCorrection", False),
        perspective_correction=body.get("perspectiveCorrection", False),
        photographer_removal=body.get("photographerRemoval", False),
        base_url=_origin(call),
    )
    call.principal.account.groups[group.id] = group
    return json_response({"groupId": group.id})


@operation("getHdrImageGroup")
async def getHdrImageGroup(call: Call) -> Response:
    _backend(call).sync(call.principal.account)
    return json_response(_group(call, call.path["groupId"]).as_json())


@operation("createHdrUploadUrl")
async def createHdrUploadUrl(call: Call) -> Response:
    body = call.body
    group = _pending_group(call, body)
    if len(group.brackets) >= MAX_BRACKETS:
        raise TooManyBrackets(
            f"an HDR group takes at most {MAX_BRACKETS} brackets", field="groupId"
        )
    ctx = call.context
    bracket_id = ctx.ids.new("img", _ns(call))
    obj = f"{group.id}/{bracket_id}/{body['filename']}"
    bracket = Bracket(bracket_id, body["filename"], UPLOAD_BUCKET, obj)
    group.brackets.append(bracket)
    backend = _backend(call)
    backend.objects[(UPLOAD_BUCKET, obj)] = (call.principal.account, group.id, bracket_id)
    path = f"/gcs/{UPLOAD_BUCKET}/{obj}"
    params = backend.signer.sign("PUT", path, ctx.clock.now(), DEFAULT_EXPIRES)
    return json_response(
        {
            "id": bracket_id,
            "uploadUrl": f"{_origin(call)}{quote(path, safe='/-_.~')}?{urlencode(params)}",
        }
    )


@operation("enhanceHdrImageGroup")
async def enhanceHdrImageGroup(call: Call) -> Response:
    body = call.body
    group = _pending_group(call, body)
    if not any(b.uploaded for b in group.brackets):
        raise NoBrackets(
            "no bracket has been uploaded to this group yet: PUT the files to their uploadUrl",
            field="groupId",
        )
    group.status = PROCESSING
    group.done_at = call.context.clock.now() + call.context.settings.job_seconds
    _backend(call).start_merge(group)
    return json_response({})


async def _store_image(
    call: Call, data: bytes, bucket: str, prefix: str, content_type: str = "image/jpeg"
) -> StoredImage:
    ids = call.context.ids
    image_id = ids.new(prefix, _ns(call))
    ext = {"image/png": "png", "image/webp": "webp"}.get(content_type, "jpg")
    key = f"gcs/{bucket}/{image_id}.{ext}"
    call.context.blobs.put(key, data, content_type, owner=_ns(call))
    return StoredImage(image_id, key, 0, 0, f"{_origin(call)}/{key}")


@operation("uploadImage")
async def uploadImage(call: Call) -> Response:
    from ..images.decode import ImageDecodeError, decode_upload

    # The reference names the part `File`; `file` is accepted too (the spec: exactly one).
    files = call.body["files"]
    part = "File" if "File" in files else "file"
    upload = files[part]
    data = await upload.read()  # within the size limit: the body reader's (spec/body.py)
    try:
        info = decode_upload(data)
    except ImageDecodeError as exc:
        raise InvalidImage(
            f"the file is not a JPEG, PNG or WebP image: {exc}", field=part
        ) from None
    stored = await _store_image(call, data, RESIZED_BUCKET, "img", info.content_type)
    stored.width, stored.height = info.width, info.height
    call.principal.account.images[stored.id] = stored
    return json_response({"success": True, "data": stored.as_json()})


async def _edit(call: Call, operation: str) -> Response:
    from ..images.work import stager_edit

    image = call.principal.account.images.get(call.path["imageId"])
    if image is None:
        raise ImageNotFound(f"no image {call.path['imageId']!r}", field="imageId")
    blob = call.context.blobs.get(image.blob_key)
    if blob is None:  # its account was reset meanwhile
        raise ImageNotFound(f"no image {call.path['imageId']!r}", field="imageId")
    options = {k: v for k, v in call.body.items() if k != "resolution"}
    resolution = call.body.get("resolution", "high")
    # Pure CPU work, in a worker process: other requests
    # keep flowing while an image renders (a thread would hold the GIL against them).
    data, width, height = await call.context.precompute.run(
        partial(stager_edit, blob.data, operation, resolution, options)
    )
    # PNG, as the reference's edit results (`…/staged_output.png`); HDR merges stay JPEG.
    stored = await _store_image(call, data, RESULTS_BUCKET, "res", "image/png")
    stored.width, stored.height = width, height
    stored.source_id, stored.operation = image.id, operation
    call.principal.account.objects["results"][stored.id] = stored
    return json_response({"success": True, "data": [stored.as_json()]})


@operation("stageImage")
async def stageImage(call: Call) -> Response:
    return await _edit(call, "stage")


@operation("replaceLawn")
async def replaceLawn(call: Call) -> Response:
    return await _edit(call, "lawn-replace")


@operation("replaceSky")
async def replaceSky(call: Call) -> Response:
    return await _edit(call, "sky-replace")


class SignedUrlRejected(Unauthorized):
    """The V4 signature check failed (``SignedUrlError`` as an ``ApiError``). Raised while
    authenticating, so it wins over every other problem of the request, as GCS authenticates
    before anything else; ``code`` is GCS's (``SignatureDoesNotMatch``, ``ExpiredToken``...)."""

    @classmethod
    def of(cls, exc: SignedUrlError) -> SignedUrlRejected:
        return cls(exc.message, status=exc.status, code=exc.code)


def verify_signed_url(backend: StagerAIBackend, request: Request, now: float) -> None:
    """Authenticate a ``putSignedUpload`` request by its query signature."""
    try:
        backend.signer.verify(
            "PUT",
            request.scope["path"],
            dict(request.query_params.items()),
            now,
        )
    except SignedUrlError as exc:
        raise SignedUrlRejected.of(exc) from None


@operation("putSignedUpload")
async def putSignedUpload(call: Call) -> Response:
    # The signature was checked while authenticating (backend.authenticate).
    backend = _backend(call)
    bucket, obj = call.path["bucket"], call.path["object"]
    owner = backend.objects.get((bucket, obj))
    if owner is None:
        return Response(
            xml_error("NoSuchUpload", "No such upload."), 404, media_type="application/xml"
        )
    account, group_id, bracket_id = owner
    data = call.body["data"]
    blob = call.context.blobs.put(
        f"gcs/{bucket}/{obj}",
        data,
        call.body["media_type"] or "application/octet-stream",
        owner=account.key,
    )
    group = account.groups.get(group_id)
    for bracket in group.brackets if group else []:
        if bracket.id == bracket_id:
            bracket.uploaded = True
    return Response(b"", 200, headers={"ETag": blob.etag})


@operation("getStorageObject")
async def getStorageObject(call: Call) -> Response:
    bucket, obj = call.path["bucket"], call.path["object"]
    blob = call.context.blobs.get(f"gcs/{bucket}/{obj}")
    # Uploaded brackets stay private, as in a real bucket; results and resized images are public.
    public = bucket in (RESIZED_BUCKET, RESULTS_BUCKET)
    if not public or blob is None or blob.content_type not in ("image/jpeg", "image/png"):
        return Response(
            xml_error("NoSuchKey", "The specified key does not exist."),
            404,
            media_type="application/xml",
        )
    return Response(blob.data, media_type=blob.content_type, headers={"ETag": blob.etag})


def gcs_error(err: ApiError) -> Response:
    """Dispatcher-level errors (bad query parameters, too large) in GCS's XML."""
    fields = err.field if isinstance(err.field, list) else [err.field or ""]
    signing = any(f.startswith("X-Goog") for f in fields) or any(
        (d.get("field") or "").startswith("X-Goog") for d in err.details or []
    )
    if isinstance(err, SignedUrlRejected):
        return Response(xml_error(err.code, err.message), err.status, media_type="application/xml")
    code = {
        400: "AuthorizationQueryParametersError" if signing else "InvalidArgument",
        405: "MethodNotAllowed",
        413: "EntityTooLarge",
        415: "InvalidArgument",
    }.get(err.status, "InvalidArgument")
    return Response(
        xml_error(code, err.message),
        err.status if err.status in (400, 403, 404, 405, 413) else 400,
        headers=err.headers or None,
        media_type="application/xml",
    )


