"""`make iac`: static analysis of template.yaml against a baseline of accepted findings.

Runs cfn-lint with AWS's serverless rules (cfn-lint-serverless, in .venv) and checkov (in its own
.venv-checkov: its pinned dependencies conflict with ours), side by side. Every finding is a (tool, check,
resource) triple; tools/iac-baseline.yaml lists the accepted ones, each check with its reason. A finding
not in the baseline fails, and so does a baseline entry that no longer matches a finding (a fixed finding
leaves the baseline). It also counts the resources CloudFormation will create (the template after the
SAM transform) against the 500 one stack may hold.

    python tools/iac.py            # check
    python tools/iac.py --list     # print every current finding (to write a baseline entry)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
BASELINE = ROOT / "tools" / "iac-baseline.yaml"
CFN_LINT = [str(ROOT / ".venv" / "bin" / "cfn-lint"), "-a", "cfn_lint_serverless.rules", "-f", "json"]
CHECKOV = [
    str(ROOT / ".venv-checkov" / "bin" / "checkov"),
    "--framework",
    "cloudformation",
    "-o",
    "json",
    "--quiet",
    "--compact",
    "--skip-download",  # no calls to Prisma Cloud: CI may be offline, and nothing is reported there
    "-f",
]
Finding = tuple[str, str, str]  # (tool, check id, resource logical id)
STACK_LIMIT = 500  # resources in one CloudFormation stack (a hard quota)


def _cfn_lint(output: str) -> set[Finding]:
    findings = set()
    for match in json.loads(output or "[]"):
        path = match["Location"].get("Path") or []
        resource = path[1] if len(path) > 1 and path[0] == "Resources" else "(template)"
        findings.add(("cfn-lint", match["Rule"]["Id"], str(resource)))
    return findings


def _checkov(output: str) -> set[Finding]:
    reports = json.loads(output)
    reports = reports if isinstance(reports, list) else [reports]
    findings = set()
    for report in reports:
        for check in (report.get("results") or {}).get("failed_checks", []):
            findings.add(("checkov", check["check_id"], check["resource"].split(".", 1)[-1]))
    return findings


def findings(template: Path = TEMPLATE) -> set[Finding]:
    lint = subprocess.Popen(
        [*CFN_LINT, str(template)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    checkov = subprocess.Popen(
        [*CHECKOV, str(template)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=template.parent,
    )
    lint_out, lint_err = lint.communicate(timeout=600)
    checkov_out, checkov_err = checkov.communicate(timeout=600)
    # cfn-lint exits non-zero when it finds something (bit flags); only unreadable output is a failure.
    if lint.returncode not in (0, 2, 4, 6, 8, 10, 12, 14) or not lint_out.strip().startswith("["):
        raise SystemExit(f"cfn-lint failed ({lint.returncode}):\n{lint_err[-2000:]}")
    if checkov.returncode not in (0, 1) or not checkov_out.strip():
        raise SystemExit(f"checkov failed ({checkov.returncode}):\n{checkov_err[-2000:]}")
    return _cfn_lint(lint_out) | _checkov(checkov_out)


def deployed_resources(template: Path = TEMPLATE) -> collections.Counter[str]:
    """Resource types and counts of the stack `sam deploy` creates: Fn::ForEach expanded, then SAM's own
    transform (offline: code locations are stand-ins, managed policy ARNs are not looked up)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    sys.path.insert(0, str(ROOT))
    from samtranslator.translator.transform import transform

    from local.template import load_template

    expanded: dict[str, Any] = load_template(template)
    expanded["Transform"] = "AWS::Serverless-2016-10-31"  # the language extensions are done
    for resource in expanded["Resources"].values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(properties.get(key), str):
                properties[key] = "s3://bucket/key"

    class NoLookups:
        def load(self) -> dict[str, str]:
            return collections.defaultdict(lambda: "arn:aws:iam::aws:policy/Unused")

    transformed = transform(expanded, {}, NoLookups())
    return collections.Counter(resource["Type"] for resource in transformed["Resources"].values())


def load_baseline(path: Path = BASELINE) -> dict[Finding, str]:
    """(tool, check, resource) -> reason."""
    accepted: dict[Finding, str] = {}
    for entry in yaml.safe_load(path.read_text())["accepted"]:
        reason = " ".join(str(entry["reason"]).split())
        if not reason:
            raise SystemExit(f"{path}: {entry['tool']} {entry['check']} has no reason")
        for resource in entry["resources"]:
            accepted[(entry["tool"], entry["check"], resource)] = reason
    return accepted


def compare(found: set[Finding], accepted: dict[Finding, str]) -> tuple[list[Finding], list[Finding]]:
    """(new findings, baseline entries no longer found)."""
    return sorted(found - set(accepted)), sorted(set(accepted) - found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true", help="print every current finding")
    args = parser.parse_args(argv)
    found = findings()
    resources = deployed_resources()
    if args.list:
        for finding in sorted(found):
            print(*finding)
        return 0
    new, stale = compare(found, load_baseline())
    for tool, check, resource in new:
        print(
            f"NEW  {tool} {check} {resource}: fix it, or accept it in tools/iac-baseline.yaml with its reason"
        )
    for tool, check, resource in stale:
        print(f"GONE {tool} {check} {resource}: no longer found; remove it from tools/iac-baseline.yaml")
    print(f"iac: {len(found)} findings, {len(found) - len(new)} accepted, {len(new)} new, {len(stale)} stale")
    total = sum(resources.values())
    print(f"iac: the stack holds {total} resources of {STACK_LIMIT}")
    if total > STACK_LIMIT:
        for kind, count in resources.most_common(8):
            print(f"  {count:4} {kind}")
        print(f'TOO BIG: CloudFormation refuses more than {STACK_LIMIT} (docs/decisions.md, "One stack")')
    return 1 if new or stale or total > STACK_LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
