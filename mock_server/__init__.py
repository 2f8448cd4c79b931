"""stagemock: a local, deterministic, stateful emulator of the StagePro v1 and Stager AI APIs.

Public surface::

    from mock_server import create_app, Settings
    app = create_app(Settings(deterministic=True))

    from mock_server import fixture_path   # the sample photos and brackets the package ships
    fixture_path("photos", "interior.jpg")  # a pathlib.Path, installed wheel or checkout

The names are imported on first use: pytest loads ``mock_server.pytest_plugin`` in every run
wherever stagemock is installed, and that must not pay for Starlette, NumPy or Pillow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._version import __version__
    from .app import create_app
    from .resources import fixture_path
    from .settings import Settings
    from .webhooks.signing import SignatureVerificationError, verify_signature

__all__ = [
    "__version__",
    "create_app",
    "Settings",
    "verify_signature",
    "SignatureVerificationError",
    "fixture_path",
]

_LAZY = {
    "__version__": "._version",
    "create_app": ".app",
    "Settings": ".settings",
    "verify_signature": ".webhooks.signing",
    "SignatureVerificationError": ".webhooks.signing",
    "fixture_path": ".resources",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mock_server' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
