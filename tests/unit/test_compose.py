"""docker-compose.yml and the Dockerfile must agree with the CLI, the Makefile
and each other (no Docker here: the files are read, not built)."""

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


def _dockerfile():
    """The Dockerfile's stages: name -> list of (instruction, arguments)."""
    stages, current = {}, None
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, args = line.partition(" ")
        if op == "FROM":
            current = args.split(" AS ")[-1].strip()
            stages[current] = [(op, args)]
        else:
            stages[current].append((op, args))
    return stages


def test_dockerfile_installs_like_the_makefile_and_runs_unprivileged():
    stages = _dockerfile()
    assert set(stages) == {"cpu", "gpu"}
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "-e '.[ml,test]'" in makefile  # the Makefile's install: the ml extra (+ test tools)
    runs = " ".join(a for op, a in stages["cpu"] if op == "RUN")
    assert "pip install -e '.[ml]'" in runs  # editable: migrations are read from the source tree
    for stage in stages.values():
        users = [a for op, a in stage if op == "USER"]
        assert users and users[-1] == "eioku", "the last USER of each stage is the unprivileged one"
    copied = {src for op, a in stages["cpu"] if op == "COPY" for src in a.split()[:-1]}
    assert {"backend", "ml_service", "migrations", "pyproject.toml", "alembic.ini"} <= copied
    env = " ".join(a for op, a in stages["cpu"] if op == "ENV")
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    assert f"EIOKU_DATA_DIR={compose['services']['worker']['environment']['EIOKU_DATA_DIR']}" in env
    cli = get_command(app)
    for stage in stages.values():
        (cmd,) = [a for op, a in stage if op == "CMD"][-1:]
        argv = yaml.safe_load(cmd)
        assert argv[0] == "eioku" and argv[1] in cli.commands


def test_compose_builds_each_target_and_demands_a_token_where_the_port_is_published():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    targets = set(_dockerfile())
    for name in ("api", "worker", "gpu-worker"):
        assert services[name]["build"]["target"] in targets
    assert services["gpu-worker"]["build"]["target"] == "gpu"
    assert "--device" in services["gpu-worker"]["command"]
    assert services["api"]["ports"] and "--host" in services["api"]["command"]
    assert services["api"]["environment"]["EIOKU_API_TOKEN"].startswith("${EIOKU_API_TOKEN:?")
