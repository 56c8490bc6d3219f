"""pitchey.core.settings: each setting declared once, defaults in step with the template's Parameters."""

from __future__ import annotations

import pytest

from local.template import resources_of_type
from pitchey.core.settings import Settings, env_name, load, settings
from tests.unit.conftest import TEMPLATE

ENV_OF = {name: env_name(name) for name in Settings._fields}


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


def test_every_variable_the_template_feeds_from_a_parameter_is_a_setting():
    """A Parameter-fed variable the settings do not read would be a value the code silently ignores."""
    read_elsewhere = {"POWERTOOLS_LOG_LEVEL", "APP_STAGE"}  # Powertools' Logger; the stage, for operators
    assert set(parameter_fed_variables()) - set(ENV_OF.values()) == read_elsewhere


def test_defaults_are_the_template_parameters_defaults():
    fed = parameter_fed_variables()
    checked = 0
    for name, default in Settings._field_defaults.items():
        parameter = fed.get(env_name(name))
        if parameter is None or default is None:
            continue
        assert default == type(default)(TEMPLATE["Parameters"][parameter]["Default"]), (name, parameter)
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
