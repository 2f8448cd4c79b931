"""README and docs/container.md say what the Dockerfile does: the ``docker run`` line, the
CI snippets (GitHub Actions ``services:`` with ``--health-cmd``, GitLab CI, docker compose)
use the image's real port, health check and token variable; the documented command and user
are the Dockerfile's. No container is needed: the files are read and parsed."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PAGE = (ROOT / "docs" / "container.md").read_text()
README = (ROOT / "README.md").read_text()


def instruction(name: str) -> str:
    """The last ``NAME ...`` instruction of the final stage, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    final = joined.split("\nFROM ")[-1]
    found = re.findall(rf"^{name}\s+(.*)$", final, re.M)
    assert found, f"the Dockerfile's last stage has no {name}"
    return found[-1].strip()


def exec_form(text: str) -> list[str]:
    return list(json.loads(text))


COMMAND = exec_form(instruction("ENTRYPOINT")) + exec_form(instruction("CMD"))
PORT = instruction("EXPOSE")
USER = instruction("USER")
HEALTH = exec_form(instruction("HEALTHCHECK").split(" CMD ", 1)[1])


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_the_dockerfile_is_what_product_fixes():
    assert "ARG BASE_IMAGE=python:3.12-slim" in DOCKERFILE
    assert COMMAND == ["stagemock", "serve", "--host", "0.0.0.0", "--port", PORT] and PORT == "8000"
    assert USER.split(":")[0] not in ("0", "root")
    assert any(f"127.0.0.1:{PORT}/" in part for part in HEALTH)
    assert "__mock" not in " ".join(HEALTH)  # the control plane wants a token: not used
    for label in ("source", "version", "licenses"):
        assert f"org.opencontainers.image.{label}=" in DOCKERFILE
    assert DOCKERFILE.count("\nFROM ") >= 2  # multi-stage


def test_the_numpy_stage_depends_on_the_numpy_version_only():
    """The stage that compiles NumPy reads nothing of the checkout (no COPY, no ADD) and takes
    no build argument but NUMPY_VERSION, so a layer cache keeps it whatever the sources do;
    that version is one pyproject's range admits."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    (stage,) = [s for s in joined.split("\nFROM ")[1:] if s.split("\n", 1)[0].endswith(" AS numpy")]
    instructions = [line.split()[0] for line in stage.splitlines()[1:]
                    if line.strip() and not line.startswith("#")]
    assert set(instructions) == {"ARG", "RUN"}, instructions
    (arg,) = re.findall(r"^ARG\s+(\S+)$", stage, re.M)
    name, version = arg.split("=")
    assert name == "NUMPY_VERSION"
    assert '"numpy==${NUMPY_VERSION}"' in stage
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (numpy,) = [Requirement(d) for d in dependencies if Requirement(d).name == "numpy"]
    assert numpy.specifier.contains(version), (version, str(numpy.specifier))
    # the build stage installs that wheel, named as a file, with the project's
    assert "COPY --from=numpy /wheels /wheels" in DOCKERFILE
    assert re.search(r" install [^\n]* /wheels/numpy-\*\.whl /dist/stagemock-\*\.whl\n", joined)


def test_the_docs_name_the_real_command_user_and_health_check():
    assert f"`{' '.join(COMMAND)}`" in PAGE
    uid = USER.split(":")[0]
    assert f"uid {uid}" in PAGE and f"uid {uid}" in README
    health = HEALTH[2]  # python -c "<this>"
    assert health in PAGE
    assert f"`EXPOSE {PORT}`" in PAGE


def _docker_runs(text: str) -> list[list[str]]:
    return [shlex.split(line) for block in blocks(text, "sh") for line in block.splitlines()
            if line.startswith("docker run")]


def test_readme_and_page_docker_run_lines_map_the_port_and_pass_the_token():
    for text in (README, PAGE):
        runs = _docker_runs(text)
        assert runs, "no docker run line"
        for argv in runs:
            assert argv[argv.index("-p") + 1].endswith(f":{PORT}"), argv
            env = [argv[i + 1] for i, a in enumerate(argv) if a == "-e"]
            assert any(e.startswith("STAGEMOCK_ADMIN_TOKEN=") for e in env), argv
            assert argv[-1].startswith("stagemock:"), argv  # the tag make image gives


def _ci(name: str) -> dict:
    """The YAML block under the page's ``### name`` heading."""
    section = PAGE.split(f"\n### {name}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    (block,) = blocks(section, "yaml")
    return yaml.safe_load(block)


def test_the_github_actions_service_uses_the_image_port_and_health_check():
    job = _ci("GitHub Actions")["jobs"]["test"]
    service = job["services"]["stagemock"]
    assert service["ports"] == [f"{PORT}:{PORT}"]
    assert "STAGEMOCK_ADMIN_TOKEN" in service["env"]
    options = shlex.split(service["options"])
    health = shlex.split(options[options.index("--health-cmd") + 1])
    assert health == HEALTH, (health, HEALTH)
    assert job["env"]["STAGEMOCK_ADMIN_TOKEN"] == service["env"]["STAGEMOCK_ADMIN_TOKEN"]


def test_the_gitlab_service_is_reached_under_its_alias_on_the_image_port():
    job = _ci("GitLab CI")["test"]
    (service,) = job["services"]
    alias = service["alias"]
    assert job["variables"]["STAGEMOCK_URL"] == f"http://{alias}:{PORT}"
    assert "STAGEMOCK_ADMIN_TOKEN" in job["variables"]


def test_the_compose_file_uses_the_image_port_and_health_check():
    services = _ci("docker compose")["services"]
    mock = services["stagemock"]
    assert mock["ports"] == [f"{PORT}:{PORT}"]
    assert mock["healthcheck"]["test"] == ["CMD", *HEALTH]
    assert "STAGEMOCK_ADMIN_TOKEN" in mock["environment"]
    tests = services["tests"]
    assert tests["environment"]["STAGEMOCK_URL"] == f"http://stagemock:{PORT}"
    assert tests["depends_on"]["stagemock"]["condition"] == "service_healthy"


def test_every_environment_variable_the_page_names_is_a_serve_option():
    from mock_server import cli
    from mock_server.serve_env import ARGS, variable

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    known = {variable(o) for a in sub.choices["serve"]._actions for o in a.option_strings
             if o.startswith("--")} | {ARGS, "STAGEMOCK_URL"}  # the tests' own variable
    named = set(re.findall(r"\bSTAGEMOCK_[A-Z_]+\b", PAGE)) - {"STAGEMOCK_SOME_OPTION"}
    assert named <= known, named - known
