"""pitchey.core.settings: each setting declared once, defaults in step with the template's Parameters."""

from __future__ import annotations

from dataclasses import fields

import pytest

from local.template import resources_of_type
from pitchey.core.settings import Settings, load, settings
from tests.unit.conftest import TEMPLATE

ENV_OF = {spec.name: spec.metadata["env"] for spec in fields(Settings)}


def parameter_fed_variables() -> dict[str, str]:
    """Environment variable → the template Parameter it is `!Ref`'d from (Globals and every function)."""
    environments = [TEMPLATE["Globals"]["Function"].get("Environment", {})]
    for resource in resources_of_type(TEMPLATE, "AWS::Serverless::Function").values():
        environments.append(resource["Properties"].get("Environment", {}))
    fed = {}
    for environment in environments:
        for name, value in environment.get("Variables", {}).items():
            if isinstance(value, dict) and value.get("Ref") in TEMPLATE["Parameters"]:
                fed[name] = value["Ref"]
    return fed


def test_each_environment_variable_is_declared_once():
    assert len(set(ENV_OF.values())) == len(ENV_OF)


def test_defaults_are_the_template_parameters_defaults():
    fed = parameter_fed_variables()
    checked = 0
    for spec in fields(Settings):
        parameter = fed.get(spec.metadata["env"])
        if parameter is None or spec.default is None:
            continue
        default = TEMPLATE["Parameters"][parameter]["Default"]
        assert spec.default == type(spec.default)(default), (spec.name, parameter)
        checked += 1
    assert checked >= 10  # the TTLs, limits, bcrypt rounds, email sender and attempts


def test_values_come_from_the_environment_typed_and_empty_means_default():
    loaded = load({"NDA_REQUEST_TTL_SECONDS": "60", "EMAIL_FROM_ADDRESS": "a@b.test", "BCRYPT_ROUNDS": ""})
    assert loaded.nda_request_ttl_seconds == 60
    assert loaded.email_from_address == "a@b.test"
    assert loaded.bcrypt_rounds == Settings().bcrypt_rounds == 12
    with pytest.raises(ValueError):
        load({"EMAIL_MAX_ATTEMPTS": "five"})


def test_a_required_setting_names_its_variable_when_missing():
    assert load({"JWT_SECRET": "s"}).require("jwt_secret") == "s"
    with pytest.raises(RuntimeError, match="missing required setting NDA_STATE_MACHINE_ARN"):
        load({}).require("nda_state_machine_arn")


def test_read_once_until_the_cache_is_cleared(monkeypatch, setenv):
    first = settings()
    monkeypatch.setenv("EMAIL_MAX_ATTEMPTS", "9")
    assert settings() is first and first.email_max_attempts == 5
    setenv("EMAIL_MAX_ATTEMPTS", "9")
    assert settings().email_max_attempts == 9
