"""The deployment files (`deploy/`) and the README against the code: Docker cannot run here, so every command the
Dockerfile and the compose file name must exist in the CLI (checked with its own `--help`), every `CAMEOGUARD_*`
they, the README and deploy/README.md name must be a setting, and the generated tables must be current."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from safety.edges.cli import main
from safety.settings import PROCESSES, Settings
from safety.settings_reference import PROCESS_COMMANDS, process_table, processes_of, settings_table

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
VARIABLE = re.compile(r"CAMEOGUARD_[A-Z0-9_]+")
TEST_ONLY = {
    "CAMEOGUARD_TEST_POSTGRES_URL",
    "CAMEOGUARD_TEST_BROKER_URL",
    "CAMEOGUARD_BENCH_POSTGRES_URL",
    "CAMEOGUARD_BENCH_BROKER_URL",
    "CAMEOGUARD_HARDENING",
    "CAMEOGUARD_RACE_ROUNDS",
    "CAMEOGUARD_KILL_ITERATIONS",
    "CAMEOGUARD_SIM_SEED",
    "CAMEOGUARD_SIM_STEPS",
    "CAMEOGUARD_FIXTURES",
}
# What a production process cannot start without (no usable default there).
PRODUCTION_REQUIRED = {
    "CAMEOGUARD_ENV",
    "CAMEOGUARD_HOME",
    "CAMEOGUARD_DATABASE_URL",
    "CAMEOGUARD_BROKER_URL",
    "CAMEOGUARD_SIGNING_CHAIN",
    "CAMEOGUARD_SIGNING_KEY",
    "CAMEOGUARD_TRUST_ANCHORS",
    "CAMEOGUARD_WATERMARK_KEY_FILE",
    "CAMEOGUARD_AUDIT_KEY_FILE",
}
SETTINGS = {f"CAMEOGUARD_{name.upper()}" for name in Settings.model_fields}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def _dockerfile_commands() -> list[list[str]]:
    """`cameoguard …` in the Dockerfile's CMD (exec form) and RUN lines."""
    commands = []
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD ["):
            commands.append(yaml.safe_load(line.removeprefix("CMD ")))
    return commands


def _compose_commands() -> dict[str, list[str]]:
    return {
        name: service["command"] if isinstance(service["command"], list) else shlex.split(service["command"])
        for name, service in _compose()["services"].items()
        if "command" in service
    }


def _cameoguard_commands() -> list[list[str]]:
    found = [*_dockerfile_commands(), *_compose_commands().values()]
    found += [shlex.split(command) for command in PROCESS_COMMANDS.values()]
    # Commands the README and deploy/README.md show in code spans: `cameoguard ...`.
    for path in (ROOT / "README.md", DEPLOY / "README.md"):
        for span in re.findall(r"`(cameoguard [^`]+)`", path.read_text()):
            found.append(shlex.split(span.replace("…", "").split(" (")[0]))
    return [c for c in found if c and c[0] == "cameoguard"]


def _command_path(args: list[str]) -> tuple[list[str], list[str]]:
    """The subcommand words and the options (`--x`) of a command line."""
    words, options = [], []
    for arg in args[1:]:
        if arg.startswith("--"):
            options.append(arg.split("=")[0])
        elif not options and re.fullmatch(r"[a-z][a-z-]*", arg) and arg not in {"sub_", "pipeline", "studio"}:
            words.append(arg)
    return words, options


def test_every_command_of_the_deployment_files_and_the_guides_exists(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _cameoguard_commands()
    assert len(commands) >= 10
    helps: dict[tuple[str, ...], str] = {}
    for args in commands:
        words, options = _command_path(args)
        # The words that name a subcommand: a command's `--help` succeeds only for a real one.
        path: list[str] = []
        for word in words:
            capsys.readouterr()
            if main([*path, word, "--help"]) != 0:
                break
            path.append(word)
        assert path, args
        key = tuple(path)
        if key not in helps:
            capsys.readouterr()
            assert main([*path, "--help"]) == 0, args
            helps[key] = capsys.readouterr().out
        for option in options:
            assert option in helps[key] or option in {"--json", "--home"}, f"{' '.join(args)}: {option} is unknown"


def test_the_deployment_runs_every_process_after_the_migrate_job() -> None:
    commands = _compose_commands()
    services = _compose()["services"]
    assert {"postgres", "rabbitmq"} <= set(services)
    assert commands["migrate"] == ["cameoguard", "migrate"]
    kinds = {name: " ".join(cmd[1:3]) for name, cmd in commands.items()}
    assert sorted(kinds.values()) == sorted(
        # No scheduler: the workers take turns at the sweeper's duties; callbacks have a worker of their own.
        [
            "migrate",
            "serve --host",
            "worker --concurrency",
            "worker --concurrency",
            "review serve",
            "worker --callbacks-only",
        ]
    )
    for name in commands:
        if name == "migrate":
            continue
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_setting_the_deployment_and_the_guides_name_exists() -> None:
    named: dict[str, set[str]] = {}
    for path in (DEPLOY / "Dockerfile", DEPLOY / "compose.yaml", DEPLOY / "README.md", ROOT / "README.md"):
        for variable in VARIABLE.findall(path.read_text()):
            named.setdefault(variable, set()).add(path.name)
    unknown = {v: sorted(files) for v, files in named.items() if v not in SETTINGS | TEST_ONLY}
    assert not unknown, unknown
    # Every cameoguard service gets what a production process cannot start without.
    for name, service in _compose()["services"].items():
        if name in {"postgres", "rabbitmq"}:
            continue
        environment = set(service["environment"])
        assert environment >= PRODUCTION_REQUIRED, (name, PRODUCTION_REQUIRED - environment)
        assert environment <= SETTINGS, name


def test_the_readme_settings_table_is_the_settings_model() -> None:
    readme = (ROOT / "README.md").read_text()
    assert settings_table() in readme, "README's settings table is stale: regenerate it from safety.settings"
    listed = set(re.findall(r"^\| `(CAMEOGUARD_[A-Z0-9_]+)` \|", readme, re.M))
    assert listed == SETTINGS
    assert process_table() in (DEPLOY / "README.md").read_text(), "deploy/README.md's process table is stale"
    for name in Settings.model_fields:
        assert processes_of(name) and set(processes_of(name)) <= set(PROCESSES), name
