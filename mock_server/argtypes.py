"""Value checks for command-line options (``argparse`` ``type=``), shared by ``stagemock serve``,
``stagemock mcp`` and the pytest plugin's options: a bad value is argparse's one error line
naming the option (``argument --port: ...``) and exit 2, never a traceback later on."""

from __future__ import annotations

import argparse
import math


def port_number(text: str) -> int:
    """A TCP port, 0 to 65535 (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port number from 0 to 65535 (0: any free port), not {text!r}"
        )
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number, 0 or more, not {text!r}")
    return value


def fault_spec(text: str) -> str:
    """``--fault``: the compact form of a fault rule, its syntax checked here (the names it
    gives are checked against the specs when the app starts)."""
    from .faults.models import parse_spec

    try:
        parse_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--fault ")) from None
    return text


def rate_limit(text: str) -> str:
    """``--rate-limit``: ``N/s`` or ``N/min``."""
    from .faults.models import RateLimit

    try:
        RateLimit.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--rate-limit ")) from None
    return text
