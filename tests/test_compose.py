"""The Docker deployment (compose.yaml, Dockerfile, .env.example) checked without a Docker engine.

The files are parsed and compared with the application itself: its settings, its queues, its
command line and the installed qdrant-client. When a ``docker-compose`` binary (or the
``docker compose`` plugin) is installed, compose's own validator runs too.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from mexma_search.app.queues import QUEUE_EMBED, QUEUE_INGEST, QUEUE_TRAIN, QUEUES
from mexma_search.app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"

ENV_PREFIX = "MEXMA_"
APP_SERVICES = ("init", "webapp", "worker-cpu", "worker-gpu")
WORKERS = ("worker-cpu", "worker-gpu")
BACKENDS = ("postgres", "redis", "qdrant")
EXPECTED_SERVICES = {*BACKENDS, *APP_SERVICES, "flower"}
# settings whose defaults are wrong for containers in distributed mode: the SQLite file, the
# local Qdrant directory and ~/.local paths are per container, and the broker has no default
DISTRIBUTED_REQUIRED = (
    "mode",
    "data_dir",
    "models_dir",
    "uploads_dir",
    "database_url",
    "redis_url",
    "qdrant_location",
)
WEB_REQUIRED = ("host", "admin_password")  # 127.0.0.1 is unreachable from outside a container
SECRET_NAME = re.compile(r"PASSWORD|API_KEY|SECRET|TOKEN|AUTH", re.IGNORECASE)
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}; $$ escapes $
VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of a .env file (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: not KEY=value: {line!r}"
            values[key.strip()] = value.strip()
    return values


def strings_in(node: Any) -> Iterator[str]:
    """Every string (keys and values) in a parsed YAML tree."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item)


def variables_in(node: Any) -> dict[str, str | None]:
    """Each ``${NAME...}`` compose interpolates in ``node``, with its operator ("", ":-", ":?")."""
    found: dict[str, str | None] = {}
    for text in strings_in(node):
        for match in VARIABLE.finditer(text):
            if match["name"]:
                found[match["name"]] = match["op"] or ""
    return found


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution (the subset compose.yaml uses)."""

    def substitute(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        name, op, arg = match["name"], match["op"] or "", match["arg"]
        value = env.get(name)
        unset = value is None or (op.startswith(":") and value == "")
        if op.endswith("?") and unset:
            raise KeyError(f"{name}: {arg}")
        if op.endswith("-") and unset:
            return arg
        return value or ""

    return VARIABLE.sub(substitute, text)


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping (compose allows a list of KEY=value too)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def secrets_env(env_example: dict[str, str]) -> dict[str, str]:
    """.env.example with a made-up value for every empty (required) entry."""
    return {key: value or f"test-{key.lower()}" for key, value in env_example.items()}


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def queues_of(service: dict[str, Any]) -> set[str]:
    command = command_of(service)
    return set(command[command.index("--queues") + 1].split(","))


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> named volume, for the short ``volume:/path[:mode]`` syntax."""
    result = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        result[target] = source
    return result


def test_services_present(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == EXPECTED_SERVICES


def test_no_top_level_name(compose: dict[str, Any]) -> None:
    # docker-compose 1.29 (Debian's) rejects the top-level "name:" key
    assert "name" not in compose


def test_every_mexma_variable_is_a_setting(services: dict[str, dict[str, Any]]) -> None:
    fields = set(Settings.model_fields)
    used = {key for service in services.values() for key in environment(service)}
    used |= set(re.findall(r"\b(MEXMA_[A-Z0-9_]+)=", DOCKERFILE.read_text(encoding="utf-8")))
    mexma = {key for key in used if key.startswith(ENV_PREFIX)}
    assert {"MEXMA_MODE", "MEXMA_DATABASE_URL", "MEXMA_QDRANT_SHARDS"} <= mexma
    unknown = sorted(k for k in mexma if k.removeprefix(ENV_PREFIX).lower() not in fields)
    assert not unknown, f"not fields of app/settings.py Settings: {unknown}"


def test_required_settings_are_fields() -> None:
    # guards the lists below against a renamed setting
    assert set(DISTRIBUTED_REQUIRED) | set(WEB_REQUIRED) <= set(Settings.model_fields)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_set_distributed_settings(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = environment(services[name])
    required = DISTRIBUTED_REQUIRED + (WEB_REQUIRED if name == "webapp" else ())
    missing = [f for f in required if ENV_PREFIX + f.upper() not in env]
    assert not missing, f"{name} leaves these settings at their embedded defaults: {missing}"
    assert env["MEXMA_MODE"] == "distributed"
    assert env["MEXMA_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in env["MEXMA_DATABASE_URL"]
    assert re.fullmatch(
        r"redis://:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379/\d+", env["MEXMA_REDIS_URL"]
    )
    assert env["MEXMA_QDRANT_LOCATION"] == "http://qdrant:6333"
    assert env["MEXMA_QDRANT_API_KEY"].startswith("${QDRANT_API_KEY:?")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_is_valid_for_settings(
    services: dict[str, dict[str, Any]],
    env_example: dict[str, str],
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The interpolated environment builds a Settings object (types, ranges, validators)."""
    variables = secrets_env(env_example)
    for key in list(os.environ):
        if key.startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    for key, value in environment(services[name]).items():
        monkeypatch.setenv(key, interpolate(value, variables))
    settings = Settings(_env_file=None)
    assert settings.mode == "distributed"
    assert str(settings.qdrant_location).startswith("http://")
    assert settings.qdrant_api_key is not None
    assert settings.qdrant_api_key.get_secret_value() == variables["QDRANT_API_KEY"]
    assert variables["POSTGRES_PASSWORD"] in str(settings.database_url)
    assert str(settings.models_dir).startswith("/srv/mexma/")
    if name == "webapp":
        assert settings.host == "0.0.0.0"
        assert settings.admin_password is not None
        assert settings.admin_password.get_secret_value() == variables["ADMIN_PASSWORD"]
    if name == "worker-gpu":
        assert settings.device == "cuda"


def test_web_and_workers_share_storage_at_the_configured_paths(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    volumes_by_path: dict[str, set[str]] = {}
    for name in APP_SERVICES:
        env = environment(services[name])
        service_mounts = mounts(services[name])
        for setting in ("MEXMA_UPLOADS_DIR", "MEXMA_MODELS_DIR", "MEXMA_DATA_DIR"):
            path = env[setting]
            assert path in service_mounts, f"{name}: {setting}={path} is not a mounted volume"
            volumes_by_path.setdefault(path, set()).add(service_mounts[path])
    for path, volumes in volumes_by_path.items():
        assert len(volumes) == 1, f"{path} is backed by different volumes: {volumes}"
        (volume,) = volumes
        assert volume in compose["volumes"], f"{volume} is not a named volume"
    assert len({next(iter(v)) for v in volumes_by_path.values()}) == 3


def test_backends_keep_their_data_in_named_volumes(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    expected = {
        "qdrant": "/qdrant/storage",
        "redis": "/data",
        "postgres": "/var/lib/postgresql/data",
    }
    for name, path in expected.items():
        assert mounts(services[name]).get(path) in compose["volumes"], name


@pytest.mark.parametrize(
    ("name", "probe"),
    [
        ("qdrant", "/readyz"),
        ("redis", "redis-cli ping"),
        ("postgres", "pg_isready"),
        ("webapp", "7860"),
    ],
)
def test_health_checks(services: dict[str, dict[str, Any]], name: str, probe: str) -> None:
    check = services[name].get("healthcheck")
    assert check and not check.get("disable"), f"{name} has no health check"
    test = check["test"]
    assert test[0] in ("CMD", "CMD-SHELL")
    assert probe in " ".join(test)


def test_qdrant_health_check_needs_no_curl(services: dict[str, dict[str, Any]]) -> None:
    # the official image ships neither curl nor wget
    test = " ".join(services["qdrant"]["healthcheck"]["test"])
    assert "curl" not in test
    assert "wget" not in test
    assert "/dev/tcp/" in test


def test_workers_do_not_inherit_the_web_health_check(services: dict[str, dict[str, Any]]) -> None:
    for name in WORKERS:
        assert services[name]["healthcheck"] == {"disable": True}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_backends(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    depends = services[name]["depends_on"]
    for backend in BACKENDS:
        assert depends[backend] == {"condition": "service_healthy"}, f"{name} -> {backend}"
    if name != "init":
        assert depends["init"] == {"condition": "service_completed_successfully"}


def test_every_health_condition_names_a_checked_service(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for target, spec in depends.items():
            assert spec["condition"] in ("service_healthy", "service_completed_successfully")
            if spec["condition"] == "service_healthy":
                check = services[target].get("healthcheck", {})
                assert check.get("test") and not check.get("disable"), f"{name} -> {target}"


def test_gpu_worker(services: dict[str, dict[str, Any]]) -> None:
    gpu = services["worker-gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)
    assert {QUEUE_EMBED, QUEUE_TRAIN} <= queues_of(gpu)
    command = command_of(gpu)
    assert command[command.index("--pool") + 1] == "solo"
    assert environment(gpu)["MEXMA_DEVICE"] == "cuda"
    # built from the CUDA variant of the image, under its own tag
    assert (
        gpu["build"]["args"]["TORCH_VARIANT"]
        != services["webapp"]["build"]["args"]["TORCH_VARIANT"]
    )
    assert gpu["image"] != services["webapp"]["image"]


def test_worker_queues(services: dict[str, dict[str, Any]]) -> None:
    assert queues_of(services["worker-cpu"]) == {QUEUE_INGEST}
    consumed = queues_of(services["worker-cpu"]) | queues_of(services["worker-gpu"])
    assert consumed == set(QUEUES), "every queue needs a worker, and no queue is made up"


def test_flower_watches_the_same_broker(services: dict[str, dict[str, Any]]) -> None:
    flower = services["flower"]
    assert re.fullmatch(r"mher/flower:\d+\.\d+\.\d+", flower["image"])
    broker = environment(flower)["CELERY_BROKER_URL"]
    assert broker == environment(services["webapp"])["MEXMA_REDIS_URL"]
    assert environment(flower)["FLOWER_BASIC_AUTH"].count("${") == 2


def test_qdrant_image_matches_the_client(services: dict[str, dict[str, Any]]) -> None:
    image = services["qdrant"]["image"]
    match = re.fullmatch(r"qdrant/qdrant:v(\d+)\.(\d+)\.(\d+)", image)
    assert match, f"pin the Qdrant image to an exact version: {image}"
    client = importlib.metadata.version("qdrant-client").split(".")
    assert match.group(1, 2) == (client[0], client[1]), (
        f"{image} and qdrant-client {'.'.join(client)} differ in minor version"
    )


def test_no_literal_secrets(
    services: dict[str, dict[str, Any]], env_example: dict[str, str]
) -> None:
    variables = secrets_env(env_example)
    made_up = {value for key, value in variables.items() if not env_example[key]}
    for name, service in services.items():
        for key, value in environment(service).items():
            resolved = interpolate(value, variables)
            if SECRET_NAME.search(key):
                assert resolved != value, f"{name}: {key} is a literal, not a ${{VARIABLE}}"
                secret = resolved.rpartition(":")[2]  # user:password for basic auth
                assert secret in made_up, f"{name}: {key} is not one of the .env secrets"
            for password in re.findall(r"://[^:/@]*:([^@]*)@", resolved):
                assert password in made_up, f"{name}: {key} has a literal password"
        command = " ".join(command_of(service)) if "command" in service else ""
        assert "requirepass" not in command or "$$REDIS_PASSWORD" in command


def test_required_variables_are_empty_in_env_example(
    compose: dict[str, Any], env_example: dict[str, str]
) -> None:
    required = {name for name, op in variables_in(compose).items() if op.endswith("?")}
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "QDRANT_API_KEY", "ADMIN_PASSWORD"} <= required
    filled = {name: env_example[name] for name in required if env_example.get(name)}
    assert not filled, f".env.example must not hold secrets: {filled}"


def test_env_example_lists_every_variable(
    compose: dict[str, Any], env_example: dict[str, str]
) -> None:
    used = set(variables_in(compose))
    assert used, "compose.yaml interpolates nothing?"
    missing = sorted(used - set(env_example))
    assert not missing, f".env.example lacks {missing}"
    unused = sorted(set(env_example) - used)
    assert not unused, f".env.example names variables compose.yaml never reads: {unused}"


def test_env_example_defaults_match_compose(
    compose: dict[str, Any], env_example: dict[str, str]
) -> None:
    """An optional variable's value in .env.example is compose's own default for it."""
    for text in strings_in(compose):
        for match in VARIABLE.finditer(text):
            if match["name"] and (match["op"] or "").endswith("-"):
                assert env_example[match["name"]] == match["arg"], match["name"]


def test_interpolation_fails_without_secrets(
    compose: dict[str, Any], env_example: dict[str, str]
) -> None:
    value = environment(compose["services"]["webapp"])["MEXMA_ADMIN_PASSWORD"]
    with pytest.raises(KeyError, match="ADMIN_PASSWORD"):
        interpolate(value, env_example)
    assert interpolate(value, secrets_env(env_example)) == "test-admin_password"


# --- the commands the services run -----------------------------------------------------------


def test_app_commands_exist_in_the_cli(services: dict[str, dict[str, Any]]) -> None:
    """``mexma-search ...`` in compose parses with the real command line (options included)."""
    from mexma_search.cli import main

    init_steps = [shlex.split(step) for step in command_of(services["init"])[2].split("&&")]
    commands = {name: command_of(services[name]) for name in ("webapp", *WORKERS)}
    commands["init"] = next(step for step in init_steps if step[0] == "mexma-search")
    assert set(commands) == {"webapp", *WORKERS, "init"}
    for name, args in commands.items():
        assert args[0] == "mexma-search", name
        ctx = click.Context(main, info_name="mexma-search")
        try:
            command_name, command, rest = main.resolve_command(ctx, args[1:])
            assert command is not None and command_name is not None
            command.make_context(command_name, rest, parent=ctx)
        except click.UsageError as error:
            pytest.fail(f"{name}: {' '.join(args)}: {error.format_message()}")


def test_init_migrates_the_database(services: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """The init service's migration step, run for real on SQLite."""
    script = command_of(services["init"])
    assert script[:2] == ["sh", "-c"]
    steps = [shlex.split(step) for step in script[2].split("&&")]
    assert steps[-1] == ["mexma-search", "models", "prepare"]
    python = next(step for step in steps if step[0] == "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    database = tmp_path / "init.db"
    env |= {"MEXMA_DATA_DIR": str(tmp_path), "MEXMA_DATABASE_URL": f"sqlite:///{database}"}
    result = subprocess.run(
        [sys.executable, *python[1:]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"alembic_version", "chunks", "jobs"} <= tables


# --- Dockerfile and .dockerignore ------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            result.append((instruction.upper(), arguments.strip()))
    return result


def test_dockerfile_is_multi_stage_and_runs_unprivileged() -> None:
    instructions = dockerfile_instructions()
    stages = [i for i, (op, _) in enumerate(instructions) if op == "FROM"]
    assert len(stages) >= 2
    assert " AS builder" in instructions[stages[0]][1]
    final = instructions[stages[-1] :]
    assert any(op == "COPY" and args.startswith("--from=builder") for op, args in final)
    users = [args for op, args in final if op == "USER"]
    assert users, "the runtime stage must switch to a non-root user"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_installs_dependencies_before_copying_the_source() -> None:
    instructions = dockerfile_instructions()
    copies = [(i, args) for i, (op, args) in enumerate(instructions) if op == "COPY"]
    manifest = next(
        i for i, args in copies if "pyproject.toml" in args and "constraints.txt" in args
    )
    source = next(i for i, args in copies if args.split()[0] == ".")
    assert manifest < source
    dependency_install = [
        args
        for op, args in instructions[manifest:source]
        if op == "RUN" and "pip install -c constraints.txt" in args
    ]
    assert dependency_install, "dependencies must be installed between the two COPY steps"
    assert "--mount=type=cache,target=/root/.cache/pip" in dependency_install[0]


def test_dockerfile_gpu_variant_and_health_check() -> None:
    instructions = dockerfile_instructions()
    arguments = {args.split("=")[0]: args for op, args in instructions if op == "ARG"}
    assert arguments["TORCH_VARIANT"] == "TORCH_VARIANT=cpu"
    pinned = Path(ROOT / "constraints.txt").read_text(encoding="utf-8")
    torch_version = arguments["TORCH_VERSION"].split("=")[1]
    assert f"torch=={torch_version}" in pinned, "Dockerfile and constraints.txt pin other torch"
    assert any(op == "HEALTHCHECK" and "7860" in args for op, args in instructions)
    cmd = next(args for op, args in reversed(instructions) if op == "CMD")
    assert "mexma-search" in cmd


def test_dockerignore() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for excluded in (".git", ".venv*", ".env", "data/", "models/", "bench/results/"):
        assert excluded in patterns, excluded
    # the build needs these (README.md is the package's readme)
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "encoder", "worker", "webapp"):
        assert not any(p.strip("/") in (needed, "*") for p in patterns), needed


# --- compose's own validator, where installed ------------------------------------------------


def compose_commands() -> list[list[str]]:
    commands = []
    if shutil.which("docker-compose"):
        commands.append(["docker-compose"])
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            commands.append(["docker", "compose"])
    return commands


def run_compose_config(
    command: list[str], env_file: Path, extra_env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    # process variables win over the env file: drop any the caller's shell exports
    env = {k: v for k, v in os.environ.items() if k not in read_env_file(ENV_EXAMPLE)}
    return subprocess.run(
        [*command, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=env | extra_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not compose_commands(), reason="no docker-compose or docker compose installed")
@pytest.mark.parametrize("command", compose_commands() or [["docker-compose"]], ids=" ".join)
def test_compose_config_validates(
    command: list[str], env_example: dict[str, str], tmp_path: Path
) -> None:
    filled = tmp_path / "filled.env"
    filled.write_text("".join(f"{k}={v}\n" for k, v in secrets_env(env_example).items()))
    result = run_compose_config(command, filled, {})
    assert result.returncode == 0, result.stderr

    # .env.example as it is (secrets empty) is refused, naming what to set
    empty = tmp_path / "empty.env"
    empty.write_text(ENV_EXAMPLE.read_text(encoding="utf-8"))
    result = run_compose_config(command, empty, {})
    assert result.returncode != 0
    assert re.search(r"set [A-Z_]+ in \.env", result.stderr), result.stderr


# --- Qdrant cluster settings -----------------------------------------------------------------


def test_qdrant_shards_and_replicas_reach_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    from mexma_search.app.runtime import open_index
    from mexma_search.index import QdrantServerIndex

    opened: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def fake_connect(*args: Any, **kwargs: Any) -> str:
        opened.append((args, kwargs))
        return "index"

    monkeypatch.setattr(QdrantServerIndex, "connect", fake_connect)
    settings = Settings(
        _env_file=None,
        qdrant_location="http://qdrant:6333",
        qdrant_api_key="key",
        qdrant_shards=6,
        qdrant_replicas=2,
    )
    assert open_index(settings) == "index"
    assert opened == [(("http://qdrant:6333", "key"), {"shards": 6, "replicas": 2})]


@pytest.mark.parametrize("field", ["qdrant_shards", "qdrant_replicas"])
def test_qdrant_shards_and_replicas_must_be_positive(field: str) -> None:
    assert Settings.model_fields[field].default == 1
    with pytest.raises(ValueError, match=field):
        Settings(_env_file=None, **{field: 0})


def test_the_image_installs_tesseract_with_a_pack_for_each_ocr_language() -> None:
    instructions = dockerfile_instructions()
    final = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    installed = " ".join(args for op, args in final if op == "RUN")
    (languages,) = [
        args.partition("=")[2] for op, args in final if args.startswith("MEXMA_OCR_LANGUAGES=")
    ]
    codes = Settings(ocr_languages=languages).ocr_language_codes
    assert codes and "tesseract-ocr " in installed
    for code in codes:
        assert f"tesseract-ocr-{code}" in installed, code
