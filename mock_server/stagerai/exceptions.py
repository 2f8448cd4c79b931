"""Stager AI's error codes, each written once: one class per code the API raises, ``status``
and ``code`` set here as class attributes (the bases are in ``mock_server/errors.py``). The
codes are those listed in ``openapi/stagerai.yaml`` (``info.description``, "Error envelope");
``tests/spec/test_error_codes.py`` keeps the two in step. Generic codes (``validation_error``,
``not_found``, ``unauthorized``...) are raised as the base classes themselves; the ``/gcs/``
endpoints answer GCS's XML codes instead (``handlers.SignedUrlRejected``, ``xml_error``)."""

from __future__ import annotations

from ..errors import Conflict, NotFound, ValidationFailed

# 400 ---------------------------------------------------------------------------------------


class TooManyBrackets(ValidationFailed):
    """400: an upload URL asked for a group that already has the most brackets allowed."""

    code = "too_many_brackets"


class InvalidImage(ValidationFailed):
    """400: ``POST /api/image``'s file is not a readable JPEG, PNG or WebP (or is a bomb)."""

    code = "invalid_image"


# 404 ---------------------------------------------------------------------------------------


class ProjectNotFound(NotFound):
    """404: no project with this ``projectId`` for this key."""

    code = "project_not_found"


class GroupNotFound(NotFound):
    """404: no HDR group with this ``groupId`` for this key, or it is another project's."""

    code = "group_not_found"


class ImageNotFound(NotFound):
    """404: no uploaded image with this ``imageId`` for this key."""

    code = "image_not_found"


# 409 ---------------------------------------------------------------------------------------


class NoBrackets(Conflict):
    """409: enhance asked of a group to which no bracket has been uploaded yet."""

    code = "no_brackets"


class AlreadyEnhanced(Conflict):
    """409: enhance, or a new upload URL, asked of a group already enhanced."""

    code = "already_enhanced"
