"""StagePro uploads: decoded for real (dimensions, format; non-images and decompression bombs
refused), stored against the plan's storage, expiring on the mock's clock. The job engine's
``uploads`` (``jobs.JobEngine``); ``check_storage`` is shared with job creation. The size limit
is the body reader's (``spec/body.py``), where ``--lenient`` can relax it."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.blobs import BlobStore
from ..core.clock import Clock, iso
from ..core.ids import IdGenerator
from ..errors import ValidationFailed
from ..limits import UPLOAD_TTL_SECONDS
from .exceptions import (
    NOT_AN_IMAGE,
    ImageTooLarge,
    InvalidImage,
    StorageLimitExceeded,
    UploadExpired,
    UploadNotFound,
)
from .models import FILES_PREFIX, Account, Upload


@dataclass
class Uploads:
    clock: Clock
    ids: IdGenerator
    blobs: BlobStore

    def create(
        self, account: Account, filename: str, data: bytes, base_url: str
    ) -> Upload:
        from ..images.decode import ImageDecodeError, decode_upload

        if not data:
            raise ValidationFailed("the file is empty", field="file")
        try:
            info = decode_upload(data)
        except ImageDecodeError as exc:
            if exc.code == ImageTooLarge.code:
                raise ImageTooLarge(str(exc), field="file") from None
            raise NOT_AN_IMAGE.get(exc.code, InvalidImage)(
                f"the file is not an image this API accepts (JPEG, PNG or WebP): {exc}",
                field="file",
            ) from None
        check_storage(account, len(data), "file")
        now = self.clock.now()
        upload_id = self.ids.new("upl", account.key)
        ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}.get(info.format, "bin")
        key = f"stagepro/uploads/{upload_id}.{ext}"
        self.blobs.put(key, data, info.content_type, owner=account.key)
        upload = Upload(
            id=upload_id,
            filename=(filename or f"upload.{ext}")[:255],
            content_type=info.content_type,
            size=len(data),
            width=info.width,
            height=info.height,
            format=info.format,
            blob_key=key,
            url=f"{base_url}{FILES_PREFIX}{key}",
            created_at=now,
            expires_at=now + UPLOAD_TTL_SECONDS,
        )
        account.uploads[upload_id] = upload
        account.upload_bytes += len(data)
        return upload

    def get(self, account: Account, upload_id: str, field_name: str) -> Upload:
        """The account's upload, named by ``field_name`` when it is unknown or expired."""
        upload = account.uploads.get(upload_id)
        if upload is None:
            raise UploadNotFound(
                f"no upload {upload_id!r} in this account", field=field_name,
            )
        if self.clock.now() >= upload.expires_at:
            raise UploadExpired(
                f"upload {upload_id!r} expired at {iso(upload.expires_at)} (uploads live 24 h); "
                "upload the file again",
                field=field_name,
            )
        return upload


def check_storage(account: Account, extra: int, field: str) -> None:
    """403 naming what would need the storage: the upload's ``file``, or the field that
    asks for outputs (a job's ``type``, a batch's ``photos``, ...)."""
    limit = account.plan.storage_limit_bytes
    used = account.storage_used_bytes
    if used + extra > limit or (extra == 0 and used >= limit):
        raise StorageLimitExceeded(
            f"storage limit exceeded: {used} of {limit} bytes used", field=field,
        )
