# stagemock as a service container: both APIs and the control plane on port 8000.
#
#   docker build -t stagemock .            (or: make image)
#   docker run --rm -p 8000:8000 -e STAGEMOCK_ADMIN_TOKEN=s3cret stagemock
#
# Every `stagemock serve` option is an environment variable too (STAGEMOCK_SEED,
# STAGEMOCK_DETERMINISTIC=1, STAGEMOCK_JOB_SECONDS, STAGEMOCK_FAULT, ...; STAGEMOCK_ARGS for
# any of them as one string): docs/container.md.
ARG BASE_IMAGE=python:3.12-slim

# Stage 1: NumPy, compiled without BLAS or LAPACK. The wheel on PyPI carries OpenBLAS (25 MB,
# with libgfortran), which the mock never calls: it uses no dot, matmul, linalg or einsum.
# NumPy's own fallback loops take over anything that would have gone to BLAS.
# This stage depends on the base and NUMPY_VERSION only, never on the project's sources, so a
# builder's layer cache (docker's by default, `buildah bud --layers`) keeps the compiled
# wheel across builds. The compilers stay in this stage.
# - -Dcpu-dispatch=none: NumPy's baseline (x86-64-v2) only, without the AVX2/AVX-512
#   variants of its loops compiled alongside. That is most of the compiling saved, and it
#   changes no output byte: tests/test_golden.py proves the same bytes with every dispatch
#   target switched off, and tests/container/test_image.py runs the whole golden session
#   in the built image;
# - -Dtest-simd=[]: the `_simd` test module with no targets (the build stage deletes it);
# - -j2: the two cores of a small CI runner, without oversubscribing them.
# Python's headers: python:slim has them; a Debian python3 base (the container test's) needs
# libpython3-dev. The wheel is built by a pip of at least 23.1, the first to pass a repeated
# -C key on (setup-args) rather than keep the last one: bookworm's own pip is 23.0.
FROM ${BASE_IMAGE} AS numpy
ARG NUMPY_VERSION=2.4.6
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc g++ \
 && if ! python -c "import os, sys, sysconfig; \
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path('include'), 'Python.h')))"; then \
      apt-get install -y --no-install-recommends libpython3-dev; fi \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /tmp/pip \
 && /tmp/pip/bin/python -m pip install --no-cache-dir --quiet 'pip>=23.1' \
 && /tmp/pip/bin/python -m pip wheel --no-cache-dir --no-deps --no-binary numpy \
      --wheel-dir /wheels \
      -Csetup-args=-Dblas=none -Csetup-args=-Dlapack=none -Csetup-args=-Dallow-noblas=true \
      -Csetup-args=-Dcpu-dispatch=none '-Csetup-args=-Dtest-simd=[]' -Ccompile-args=-j2 \
      "numpy==${NUMPY_VERSION}"

# Stage 2: the project's wheel, built from the checkout, installed with pip into a virtualenv
# that has no pip of its own, then trimmed; the build tools (binutils, pip's caches, the
# sources) stay here. Everything removed below is checked by tests/container/test_image.py:
# the built image serves both APIs and renders the bytes pinned in tests/golden/hashes.json.
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/*
# NumPy's wheel from stage 1, given to pip as a file so that pip installs that one (with
# --find-links alone, a newer NumPy on PyPI within pyproject's range would win over it).
COPY --from=numpy /wheels /wheels
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mock_server ./mock_server
COPY contract_tests ./contract_tests
COPY openapi ./openapi
COPY fixtures ./fixtures
# --no-compile: bytecode is written at the end, for what the server loads only.
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /dist . \
 && python -m venv --without-pip /opt/stagemock \
 && python -m pip --python /opt/stagemock/bin/python install --no-cache-dir --no-compile \
      --root-user-action=ignore /wheels/numpy-*.whl /dist/stagemock-*.whl

# What the running mock never reads, removed:
# - NumPy's test suites and their compiled helpers (_*_tests, _simd: imported only by
#   NumPy's tests and test tools), its C headers and static libraries (for compiling against NumPy), f2py
#   (a Fortran wrapper generator, loaded only on `numpy.f2py`), the Cython declarations,
#   the cffi/Cython/Numba examples of numpy.random and the PyInstaller hook;
# - Pillow's font support (_imagingft with FreeType, HarfBuzz, libpng and Brotli, which only
#   FreeType uses), colour management (_imagingcms, LittleCMS), ImageMath, ImageMorph and the
#   Tk bridge: the mock draws shapes and never text, converts modes without ICC transforms,
#   and the image has no Tk. Pillow imports each behind a guard and fails only when the
#   feature itself is called, so `import PIL.Image` and every codec stay as they were
#   (tests/golden/session.py gives its pinned bytes with them gone). AVIF stays: without it an AVIF upload
#   would be refused as an undecodable file instead of as an unsupported format;
# - type stubs (*.pyi, py.typed: for type checkers), Cython sources (*.pyx, *.pxd, *.pxi:
#   compiled into the extension modules), the activate scripts for other shells.
WORKDIR /opt/stagemock/lib
RUN cd python3*/site-packages \
 && find numpy -depth -type d -name tests -exec rm -rf {} + \
 && rm -rf numpy/f2py numpy/_core/include numpy/_core/lib numpy/random/lib \
      numpy/random/_examples numpy/_pyinstaller numpy/typing/mypy_plugin.py numpy/conftest.py \
      numpy/_core/_*_tests.*.so numpy/_core/_simd.*.so \
      PIL/_imagingft.*.so pillow.libs/libfreetype-* pillow.libs/libharfbuzz-* \
      pillow.libs/libpng16-* pillow.libs/libbrotli* PIL/_imagingcms.*.so pillow.libs/liblcms2-* \
      PIL/_imagingmath.*.so PIL/_imagingmorph.*.so \
      PIL/_imagingtk.*.so PIL/ImageTk.py PIL/_tkinter_finder.py \
      /opt/stagemock/bin/f2py /opt/stagemock/bin/numpy-config /opt/stagemock/bin/Activate.ps1 \
      /opt/stagemock/bin/activate.csh /opt/stagemock/bin/activate.fish \
 && find . -type f \( -name '*.pyi' -o -name py.typed -o -name '*.pyx' -o -name '*.pxd' \
      -o -name '*.pxi' \) -delete

# Symbol tables of the extension modules, stripped (what a traceback or the dynamic loader
# uses, .dynsym, stays). Not the libraries vendored in pillow.libs/: auditwheel rewrote those
# with patchelf, and strip breaks such a library (PyPI's NumPy wheel showed it: its OpenBLAS
# then failed to load, "ELF load command address/offset not page-aligned").
RUN find python3*/site-packages \( -name '*.cpython-*.so' -o -name '*.abi3.so' \) \
      -exec strip --strip-unneeded {} +

# Bytecode for the modules `stagemock serve` loads (the startup, the HTTP server, the image
# workers and every Pillow codec) and for all of the project's own code; the rest of the
# venv (most of NumPy, httpx's CLI, ...) keeps its sources only and is compiled in memory
# if it is ever imported, as the base image's own standard library is. Hash-checked: the
# bytecode stays valid whatever the copy into the final stage does to file times.
RUN PYTHONDONTWRITEBYTECODE=1 /opt/stagemock/bin/python -c "import sys, PIL.Image, \
uvicorn.loops.uvloop, uvicorn.lifespan.on, uvicorn.protocols.websockets.auto, \
mock_server.cli, mock_server.serving, mock_server.images.work, mock_server.images.decode, \
mock_server.images.hdr; from mock_server.app import create_app; \
from mock_server.settings import Settings; PIL.Image.init(); \
create_app(Settings(deterministic=True)); \
open('/tmp/served', 'w').write(''.join(f + chr(10) for f in (getattr(m, '__file__', None) \
or '' for m in list(sys.modules.values())) if f.startswith(sys.prefix) and f.endswith('.py')))" \
 && /opt/stagemock/bin/python -m compileall -q --invalidation-mode checked-hash -i /tmp/served \
 && /opt/stagemock/bin/python -m compileall -q --invalidation-mode checked-hash \
      python3*/site-packages/mock_server python3*/site-packages/contract_tests

# Stage 3: the virtualenv alone on a fresh base, run by a user that is not root.
FROM ${BASE_IMAGE}
# `make image` passes the package's version and the checkout's origin
ARG VERSION=0.1.0
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="stagemock" \
      org.opencontainers.image.description="Local, deterministic emulator of the StagePro v1 and Stager AI APIs" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/stagemock/bin:$PATH
# --no-log-init: no lastlog/faillog record, which for a high uid makes a sparse file that a
# layer can store in full, as zeros (Docker's Dockerfile best practices, USER, say so).
RUN useradd --uid 10001 --user-group --no-create-home --no-log-init --home-dir /nonexistent \
      --shell /usr/sbin/nologin stagemock
COPY --from=build /opt/stagemock /opt/stagemock
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
# GET / is the mock's index: it answers 200 without the control-plane token.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/', timeout=2)"]
# SIGTERM (docker stop) makes uvicorn finish the requests in flight and exit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["stagemock"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
