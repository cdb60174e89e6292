"""template.yaml as the tests read it (CloudFormation's short tags in their long forms), read once,
so that tests build their tables and filters from what the template declares."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt, !If...) as their long forms."""


def _tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _tag)


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=CfnLoader)


def table_properties() -> dict[str, Any]:
    """The incident table as template.yaml declares it, so that a test and the template cannot drift."""
    return template()["Resources"]["IncidentTable"]["Properties"]


def create_table(client: Any, name: str) -> None:
    """Create the incident table (under moto) from its declaration in template.yaml."""
    props = table_properties()
    client.create_table(TableName=name, BillingMode=props["BillingMode"],
                        AttributeDefinitions=props["AttributeDefinitions"], KeySchema=props["KeySchema"],
                        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
                        StreamSpecification={"StreamEnabled": True, **props["StreamSpecification"]})
