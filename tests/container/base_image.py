"""A stand-in for ``python:3.12-slim`` where no registry serves base images: Debian bookworm
made by ``mmdebstrap --variant=minbase`` and committed into buildah's storage.

It behaves like the python:slim images as far as the Dockerfile cares: ``python`` and ``pip``
on ``PATH``, no ``EXTERNALLY-MANAGED`` marker (pip installs system-wide), ``useradd`` present,
and this machine's CA bundle (so pip reaches the package index through whatever proxy the
machine trusts). Its Python is bookworm's 3.11, which the project supports.

The image is cached twice, both keyed by everything that makes it (the recipe below and the
CA bundle): the root file system as a tarball under ``~/.cache/stagemock/`` (the slow part,
minutes of downloads), and the image itself in buildah's storage as
``localhost/stagemock-base:<key>``. Run as a script it prints the image's name, for
``make image BASE_IMAGE=$(python -m tests.container.base_image)``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
#: What python:slim has that the Dockerfile uses (python, pip, venv, useradd, CA certificates).
PACKAGES = ("python3", "python3-pip", "python3-venv", "python-is-python3", "ca-certificates",
            "passwd")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "stagemock"
#: Bump when the steps below change in a way the key cannot see.
RECIPE_VERSION = "1"


def recipe() -> list[str]:
    """mmdebstrap's arguments but the output: everything that makes the base."""
    hooks = [
        # python:slim lets pip install system-wide; Debian's marker would refuse it
        "--customize-hook=rm -f \"$1\"/usr/lib/python3*/EXTERNALLY-MANAGED",
        # pip's `pip` command (Debian ships pip3 and pip; make sure of both)
        "--customize-hook=test -e \"$1\"/usr/bin/pip || ln -s pip3 \"$1\"/usr/bin/pip",
        "--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*",
    ]
    if CA_BUNDLE.exists():
        hooks.append(f"--customize-hook=cp {CA_BUNDLE} \"$1\"/etc/ssl/certs/ca-certificates.crt")
    return ["mmdebstrap", "--variant=minbase", "--mode=root", "--format=tar",
            # like python:slim: no recommended packages (pip's would bring compilers, perl)
            "--aptopt=APT::Install-Recommends \"false\"",
            f"--include={','.join(PACKAGES)}", *hooks, SUITE]


def key() -> str:
    """What makes the base, hashed: the recipe and the CA bundle copied in."""
    h = hashlib.sha256("\0".join([RECIPE_VERSION, *recipe(), MIRROR]).encode())
    if CA_BUNDLE.exists():
        h.update(CA_BUNDLE.read_bytes())
    return h.hexdigest()[:16]


def image_name() -> str:
    return f"localhost/stagemock-base:{key()}"


def _run(cmd: list[str], **kwargs: object) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return str(proc.stdout)


def exists(name: str) -> bool:
    return subprocess.run(["buildah", "inspect", "--type", "image", name],
                          capture_output=True, check=False).returncode == 0


def rootfs() -> Path:
    """The root file system tarball, made once per key (mmdebstrap, as root)."""
    tarball = CACHE / f"base-{key()}.tar"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_suffix(".partial.tar")
    _run([*recipe(), str(partial), MIRROR], timeout=1800)
    partial.rename(tarball)
    return tarball


def ensure() -> str:
    """The base image's name in buildah's storage, made (or imported from the cached
    tarball) when missing."""
    name = image_name()
    if exists(name):
        return name
    tarball = rootfs()
    ctr = _run(["buildah", "from", "scratch"]).strip()
    try:
        mount = _run(["buildah", "mount", ctr]).strip()
        _run(["tar", "-xf", str(tarball), "-C", mount, "--numeric-owner"])
        _run(["buildah", "umount", ctr])
        _run(["buildah", "config",
              "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "--env", "LANG=C.UTF-8", "--cmd", "python3",
              "--label", "org.opencontainers.image.description=stagemock test base "
              "(Debian bookworm minbase with Python)", ctr])
        _run(["buildah", "commit", "--format", "docker", "--rm", ctr, name])
    except BaseException:
        subprocess.run(["buildah", "rm", ctr], capture_output=True, check=False)
        raise
    return name


def main() -> int:
    if shutil.which("buildah") is None or shutil.which("mmdebstrap") is None:
        print("needs buildah and mmdebstrap (apt-get install -y buildah mmdebstrap), as root",
              file=sys.stderr)
        return 2
    print(ensure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
