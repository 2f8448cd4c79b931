"""stagemock: a local, deterministic, stateful emulator of the StagePro v1 and Stager AI APIs.

Public surface::

    from mock_server import create_app, Settings
    app = create_app(Settings(deterministic=True))
"""

from .app import create_app
from .settings import Settings
from .webhooks.signing import verify_signature

__all__ = ["create_app", "Settings", "verify_signature"]
__version__ = "0.1.0"
