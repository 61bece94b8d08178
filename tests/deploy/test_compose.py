"""deploy/compose.yaml is documentation (no Docker engine here), so check that what it says matches the code:
the components are there, the API replicas' variables are settings the app reads, the names line up."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from app.settings import VARIABLES
from tests.deploy.services import REPO

COMPOSE = REPO / "deploy" / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_every_component_of_the_scale_out_is_a_service(compose: dict[str, Any]) -> None:
    assert {"postgres", "chroma", "vllm", "api-a", "api-b", "proxy"} <= set(compose["services"])
    for service in compose["services"].values():
        if "build" in service:
            assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).is_file()


def test_the_replicas_are_configured_with_settings_the_app_reads(compose: dict[str, Any]) -> None:
    read = {name for variable in VARIABLES for name in variable.names}
    replicas = [compose["services"][name] for name in ("api-a", "api-b")]
    assert replicas[0] == replicas[1], "the replicas must be interchangeable"
    environment = replicas[0]["environment"]
    assert set(environment) <= read, set(environment) - read
    assert {"DATABASE_URL", "CHECKPOINT_URL", "CHROMA_URL", "LLM_BASE_URL"} <= set(environment)
    assert environment["CHECKPOINT_URL"].startswith("postgresql://"), "conversations must be shared"


def test_names_line_up_between_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = services["api-a"]
    port = api["command"][api["command"].index("--port") + 1]
    assert services["proxy"]["environment"]["UPSTREAMS"].split() == [f"api-a:{port}", f"api-b:{port}"]
    vllm = services["vllm"]["command"]
    lora_name, lora_path = re.search(r"--lora-modules (\S+)=(\S+)", vllm).groups()
    assert api["environment"]["LLM_MODEL"] == lora_name
    mounted = {target: source for source, target, *_ in (v.split(":") for v in services["vllm"]["volumes"])}
    assert (COMPOSE.parent / mounted[lora_path] / "adapter_config.json").is_file()
