"""tools/iac.py: findings are (tool, check, resource); a new one or a stale baseline entry fails; every
accepted finding has its reason. (`make iac` runs the analysers themselves; this tests the bookkeeping.)"""

from __future__ import annotations

import json

import yaml

from local.template import read_template
from tests.unit.iac_support import iac


def test_every_accepted_finding_has_a_reason_and_names_a_template_resource():
    resources = set(read_template()["Resources"])
    entries = yaml.safe_load(iac.BASELINE.read_text())["accepted"]
    assert entries
    for entry in entries:
        assert entry["tool"] in ("cfn-lint", "checkov")
        assert len(" ".join(entry["reason"].split())) > 40, entry["check"]
        assert entry["resources"] and set(entry["resources"]) <= resources, entry["check"]
    checks = [(e["tool"], e["check"]) for e in entries]
    assert len(checks) == len(set(checks))  # one entry (one reason) per check


def test_new_findings_and_stale_entries_both_fail():
    accepted = {("checkov", "CKV_AWS_117", "HealthFunction"): "no VPC"}
    assert iac.compare({("checkov", "CKV_AWS_117", "HealthFunction")}, accepted) == ([], [])
    new, stale = iac.compare({("checkov", "CKV_AWS_117", "NewFunction")}, accepted)
    assert new == [("checkov", "CKV_AWS_117", "NewFunction")]
    assert stale == [("checkov", "CKV_AWS_117", "HealthFunction")]


def test_the_analysers_output_becomes_findings():
    lint = [{"Rule": {"Id": "ES6000"}, "Location": {"Path": ["Resources", "AsyncFailureQueue"]}}]
    assert iac._cfn_lint(json.dumps(lint)) == {("cfn-lint", "ES6000", "AsyncFailureQueue")}
    checkov = {"results": {"failed_checks": [{"check_id": "CKV_AWS_27", "resource": "AWS::SQS::Queue.Q"}]}}
    assert iac._checkov(json.dumps(checkov)) == {("checkov", "CKV_AWS_27", "Q")}
