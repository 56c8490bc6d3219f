"""Reading template.yaml: CloudFormation's short-form tags and the resources the runtime and tests need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns `!Ref X` into {"Ref": "X"}, `!GetAtt A.B` into {"Fn::GetAtt": [A, B]}, etc."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"


def load_template(
    path: Path | str = TEMPLATE_PATH, parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The template as CloudFormation sees it after the `AWS::LanguageExtensions` transform expanded its
    `Fn::ForEach` loops (`parameters`: values for collections given as `!Ref`; default: the Defaults)."""
    return expand_language_extensions(read_template(path), parameters)


def read_template(path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as written (before any transform)."""
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)


def expand_language_extensions(template: dict[str, Any], parameters: dict[str, Any] | None = None) -> Any:
    """Expand `Fn::ForEach` with SAM CLI's own processor (samcli.lib.cfn_language_extensions, what `sam
    build` runs). Only the loops: every other intrinsic is left for local/model.py's resolver, which knows
    the local values (and honours parameter overrides)."""
    transform = template.get("Transform") or []
    if LANGUAGE_EXTENSIONS not in ([transform] if isinstance(transform, str) else transform):
        return template
    from samcli.lib.cfn_language_extensions.api import create_default_intrinsic_resolver
    from samcli.lib.cfn_language_extensions.exceptions import InvalidTemplateException
    from samcli.lib.cfn_language_extensions.models import TemplateProcessingContext
    from samcli.lib.cfn_language_extensions.pipeline import ProcessingPipeline
    from samcli.lib.cfn_language_extensions.processors import ForEachProcessor, TemplateParsingProcessor

    if parameters is None:
        declared = template.get("Parameters") or {}
        parameters = {name: spec["Default"] for name, spec in declared.items() if "Default" in spec}
    context = TemplateProcessingContext(fragment=template, parameter_values=parameters)
    pipeline = ProcessingPipeline(
        [TemplateParsingProcessor(), ForEachProcessor(create_default_intrinsic_resolver(context))]
    )
    try:
        return pipeline.process_template(context)
    except InvalidTemplateException as error:
        from local.model import TemplateError

        raise TemplateError(f"{LANGUAGE_EXTENSIONS}: {error}") from None


def resources_of_type(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template.get("Resources", {}).items() if res.get("Type") in types}


TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")


def table_create_args(logical_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    """boto3 `create_table` arguments for a template table, named by its logical id."""
    props = resource.get("Properties", {})
    if resource["Type"] == "AWS::Serverless::SimpleTable":
        key = props.get("PrimaryKey", {"Name": "id", "Type": "String"})
        attr_type = {"String": "S", "Number": "N", "Binary": "B"}[key.get("Type", "String")]
        return {
            "TableName": logical_id,
            "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": attr_type}],
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }
    args: dict[str, Any] = {
        "TableName": logical_id,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    indexes = props.get("GlobalSecondaryIndexes")
    if indexes:
        args["GlobalSecondaryIndexes"] = [
            {"IndexName": ix["IndexName"], "KeySchema": ix["KeySchema"], "Projection": ix["Projection"]}
            for ix in indexes
        ]
    local_indexes = props.get("LocalSecondaryIndexes")
    if local_indexes:
        args["LocalSecondaryIndexes"] = local_indexes
    stream = props.get("StreamSpecification")
    if stream:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    return args


def table_ttl_attribute(resource: dict[str, Any]) -> str | None:
    ttl = resource.get("Properties", {}).get("TimeToLiveSpecification")
    return ttl["AttributeName"] if ttl and ttl.get("Enabled") else None


def create_tables(
    dynamodb_client: Any, template: dict[str, Any] | None = None, table_names: dict[str, str] | None = None
) -> list[str]:
    """Create every table the template declares (with TTL settings), named by `table_names` (logical id ->
    resolved TableName) or else by logical id. Returns their names."""
    template = template or load_template()
    names = []
    for logical_id, resource in resources_of_type(template, *TABLE_TYPES).items():
        name = (table_names or {}).get(logical_id, logical_id)
        dynamodb_client.create_table(**{**table_create_args(logical_id, resource), "TableName": name})
        ttl_attribute = table_ttl_attribute(resource)
        if ttl_attribute:
            dynamodb_client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
            )
        names.append(name)
    return names


def bucket_logical_ids(template: dict[str, Any]) -> list[str]:
    return list(resources_of_type(template, "AWS::S3::Bucket"))


def local_bucket_name(logical_id: str) -> str:
    """Locally (and in tests) a bucket is named after its logical id, lowercased as S3 requires."""
    return logical_id.lower()
