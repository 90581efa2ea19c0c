"""docker-compose.yml must name only commands and options the CLI really has."""

from __future__ import annotations

import yaml
from eioku.cli import app
from typer.main import get_command

from tests.conftest import REPO_ROOT


def test_compose_commands_exist():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "api", "worker", "gpu-worker"} <= set(services)
    assert services["gpu-worker"]["profiles"] == ["gpu"]
    cli = get_command(app)
    for name in ("api", "worker", "gpu-worker"):
        argv = services[name]["command"]
        assert argv[0] == "eioku"
        command = cli.commands[argv[1]]  # KeyError: the CLI has no such command
        options = {opt for p in command.params for opt in p.opts}
        for arg in argv[2:]:
            if arg.startswith("--"):
                assert arg in options, f"{name}: eioku {argv[1]} has no option {arg}"
