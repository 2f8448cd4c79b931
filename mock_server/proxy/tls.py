"""TLS to an ``https`` upstream: the client context (the system's authorities, or those of
``stagemock proxy --ca-bundle FILE``) and the words for a certificate it refuses."""

from __future__ import annotations

import ssl
from pathlib import Path


def client_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """A verifying client context: certificate chain and host name both checked. With
    ``ca_bundle`` (PEM), its authorities replace the system's, so a private CA works without
    ``SSL_CERT_FILE``. ValueError when the file is missing or holds no certificate."""
    if ca_bundle is None:
        return ssl.create_default_context()
    path = Path(ca_bundle)
    if not path.is_file():
        raise ValueError(f"--ca-bundle {ca_bundle}: no such file")
    try:
        return ssl.create_default_context(cafile=str(path))
    except ssl.SSLError as exc:
        raise ValueError(f"--ca-bundle {ca_bundle}: not a PEM file of certificates "
                         f"({exc.reason or exc})") from None


def certificate_problem(exc: ssl.SSLCertVerificationError, host: str) -> str:
    """What was wrong with the upstream's certificate, in words for the 502's message."""
    why = exc.verify_message or exc.reason or str(exc)
    return (f"TLS certificate of {host} rejected: {why} (a private CA: stagemock proxy "
            "--ca-bundle FILE)")
