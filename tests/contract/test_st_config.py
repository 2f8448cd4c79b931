"""``stagemock check API --schemathesis-config [FILE]``: the schemathesis.toml for
schemathesis's own CLI, written from the spec's ``x-stagemock-state-dependent`` marks (never
a list of ours), with the key given. No server is started; tests/contract/test_raw_cli.py
runs schemathesis with the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from contract_tests.__main__ import main
from contract_tests.st_config import POSITIVE_OK, STATE_DEPENDENT, schemathesis_toml
from contract_tests.target import DEFAULT_KEYS, SPECS


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_the_printed_file_holds_every_marked_operation_and_the_key(api, capsys):
    assert main([api, "--schemathesis-config", "--api-key", "k_given"]) == 0
    config = tomllib.loads(capsys.readouterr().out)
    doc = yaml.safe_load(SPECS[api].read_text())
    marked = {op["operationId"]: op[STATE_DEPENDENT] for item in doc["paths"].values()
              for op in item.values() if isinstance(op, dict) and STATE_DEPENDENT in op}
    assert marked
    entries = {e["include-operation-id"]:
               e["checks"]["positive_data_acceptance"]["expected-statuses"]
               for e in config["operations"]}
    assert set(entries) == set(marked)
    for op, statuses in marked.items():
        assert entries[op] == POSITIVE_OK + [str(s) for s in statuses]
    assert config["checks"]["positive_data_acceptance"]["expected-statuses"] == POSITIVE_OK
    (scheme,) = config["auth"]["openapi"].values()
    assert list(scheme.values()) == ["k_given"]


def test_each_entry_says_why_and_the_default_key_is_the_mocks(tmp_path, capsys):
    path = tmp_path / "schemathesis.toml"
    assert main(["stagerai", "--schemathesis-config", str(path)]) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    text = path.read_text()
    assert f'api_key = "{DEFAULT_KEYS["stagerai"]}"' in text
    entry = text.split('include-operation-id = "uploadImage"')[0].rsplit("\n\n", 1)[1]
    assert entry.startswith("# POST /api/image (uploadImage: ") and "400 on state" in entry


def test_a_file_of_another_name_shows_the_command_with_that_name(tmp_path, capsys):
    """A file written as ``st-ai.toml`` says ``st --config-file st-ai.toml``, so its first
    lines run as shown (they said ``schemathesis.toml`` whatever the name)."""
    path = tmp_path / "st-ai.toml"
    assert main(["stagerai", "--schemathesis-config", str(path)]) == 0
    assert f"run: st --config-file {path} run" in capsys.readouterr().out
    header = path.read_text().split("\n\n", 1)[0]
    assert f"#   st --config-file {path} run http://127.0.0.1:8000/openapi/stagerai.yaml" in header
    assert "schemathesis.toml run" not in header


def test_the_flag_alone_before_the_api_prints_and_a_bad_folder_is_one_line(tmp_path, capsys):
    assert main(["--schemathesis-config", "stagepro"]) == 0
    assert "[auth.openapi.ApiKeyAuth]" in capsys.readouterr().out
    assert main(["stagepro", "--schemathesis-config", str(tmp_path / "no" / "x.toml")]) == 2
    assert capsys.readouterr().out.startswith("stagemock check: --schemathesis-config ")


def test_without_marks_there_is_no_entry():
    text = schemathesis_toml("stagepro", "k", lenient={})
    assert "[[operations]]" not in text and "operations" not in tomllib.loads(text)


def test_the_docs_show_the_command_the_file_prints():
    """docs/contract-tests.md's "schemathesis's own CLI" runs the file as its header says."""
    header = schemathesis_toml("stagepro", "k").split("\n\n", 1)[0]
    command = " ".join(line.lstrip("# ").rstrip(" \\") for line in header.splitlines()[2:])
    docs = (Path(__file__).resolve().parents[2] / "docs" / "contract-tests.md").read_text()
    section = docs.split("### schemathesis's own CLI", 1)[1].split("```sh\n", 1)[1]
    printed = " ".join(section.split("```", 1)[0].replace("\\\n", " ").split())
    assert command.startswith("st --config-file schemathesis.toml run ")
    assert " ".join(command.split()) in printed


def test_a_console_session_reaches_the_four_console_operations(capsys):
    """docs/contract-tests.md: without ``--console-session`` schemathesis warns that the
    console operations answer only 401; with it, the file gives their security scheme the
    token, beside the key."""
    doc = yaml.safe_load(SPECS["stagepro"].read_text())
    console = sorted(op["operationId"] for item in doc["paths"].values()
                     for op in item.values() if isinstance(op, dict)
                     and any("ConsoleSession" in s for s in op.get("security", [])))
    assert console == ["createKey", "createWebhook", "listKeys", "listWebhooks"]
    assert main(["stagepro", "--schemathesis-config", "--console-session", "cs_given"]) == 0
    auth = tomllib.loads(capsys.readouterr().out)["auth"]["openapi"]
    assert list(auth["ConsoleSession"].values()) == ["cs_given"]
    assert list(auth["ApiKeyAuth"].values()) == [DEFAULT_KEYS["stagepro"]]
    docs = (Path(__file__).resolve().parents[2] / "docs" / "contract-tests.md").read_text()
    section = " ".join(docs.split("### schemathesis's own CLI", 1)[1].split("\n## ")[0].split())
    assert "--console-session TOKEN" in section and "four console operations" in section
