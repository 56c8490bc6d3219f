"""Which of the template's functions a trigger's template expression names (shared by the trigger plugins)."""

from __future__ import annotations

import re
from typing import Any

from local.model import TemplateError, short_id

_SUB_ARN = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}")
_INVOCATION_URI = re.compile(r"/functions/(.+?)/invocations")


def function_of(model: Any, node: Any, where: str) -> str:
    """The logical id of the function that `node` names: `!GetAtt F.Arn`, `!Ref F`, an ARN, an API Gateway
    integration URI (`arn:aws:apigateway:...:lambda:path/2015-03-31/functions/<arn>/invocations`, also as
    `!Sub` with `${F.Arn}`), or a function name."""
    functions = model.functions
    if isinstance(node, dict):
        if "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            name = target[0] if isinstance(target, list) else str(target).split(".")[0]
            if name in functions:
                return name
        if "Ref" in node and node["Ref"] in functions:
            return node["Ref"]
        if "Fn::Sub" in node:
            text = node["Fn::Sub"][0] if isinstance(node["Fn::Sub"], list) else node["Fn::Sub"]
            names = [n for n in _SUB_ARN.findall(str(text)) if n in functions]
            if len(names) == 1:
                return names[0]
    resolved = model.resolver.resolve(node, where) if node is not None else None
    if isinstance(resolved, str):
        uri = _INVOCATION_URI.search(resolved)
        candidate = uri.group(1) if uri else resolved
        spec = model.function_by_name(candidate)
        if spec is not None:
            return spec.logical_id
    raise TemplateError(f"{where}: {node!r} does not name a function of this template")


__all__ = ["TemplateError", "function_of", "short_id"]
