# stagemock as a service container: both APIs and the control plane on port 8000.
#
#   docker build -t stagemock .            (or: make image)
#   docker run --rm -p 8000:8000 -e STAGEMOCK_ADMIN_TOKEN=s3cret stagemock
#
# Every `stagemock serve` option is an environment variable too (STAGEMOCK_SEED,
# STAGEMOCK_DETERMINISTIC=1, STAGEMOCK_JOB_SECONDS, STAGEMOCK_FAULT, ...; STAGEMOCK_ARGS for
# any of them as one string): docs/container.md.
ARG BASE_IMAGE=python:3.12-slim

# Stage 1: the project's wheel, built from the checkout, installed with pip into a virtualenv
# that has no pip of its own; the build tools (binutils, pip's caches, the sources) stay here.
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mock_server ./mock_server
COPY contract_tests ./contract_tests
COPY openapi ./openapi
COPY fixtures ./fixtures
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /dist . \
 && python -m venv --without-pip /opt/stagemock \
 && python -m pip --python /opt/stagemock/bin/python install --no-cache-dir \
      --root-user-action=ignore /dist/stagemock-*.whl \
 && find /opt/stagemock -depth -type d -name tests -path '*/numpy/*' -exec rm -rf {} + \
 && find /opt/stagemock \( -name '*.cpython-*.so' -o -name '*.abi3.so' \) \
      -exec strip --strip-unneeded {} +

# Stage 2: the virtualenv alone on a fresh base, run by a user that is not root.
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
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
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
