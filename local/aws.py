"""The AWS side of the runtime: the moto child process (local/awsserver.py) and the template's resources."""

from __future__ import annotations

import json
import logging
import os
import secrets
import string
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from local.functions import FAKE_CREDENTIALS
from local.model import AppModel, TemplateError
from local.procutil import ChildServer
from local.template import TABLE_TYPES, create_tables

log = logging.getLogger("pitchey-local")
ROOT = Path(__file__).resolve().parent.parent


class AwsServer(ChildServer):
    """Runtime component: moto server (+ Lambda Invoke forwarding and SES capture) on the AWS port."""

    name = "moto"

    def __init__(self, host: str, port: int, lambda_url: str) -> None:
        super().__init__(host, port)
        self.lambda_url = lambda_url
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "local.awsserver",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--lambda-url",
            self.lambda_url,
        ]

    def environment(self) -> dict[str, str]:
        env = {**os.environ, **FAKE_CREDENTIALS, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1"}
        env.pop("AWS_ENDPOINT_URL", None)
        return env

    def is_noise(self, line: str) -> bool:
        # werkzeug logs every request on stderr; keep them at debug level, errors stay visible.
        return '" 2' in line or '" 3' in line or '" 4' in line

    def health_request(self) -> urllib.request.Request:
        return urllib.request.Request(f"{self.endpoint}/_pitchey/health")

    def emails(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.endpoint}/_pitchey/emails", timeout=5) as response:
            return json.loads(response.read())

    def clear_emails(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/_pitchey/emails", method="DELETE")
        with urllib.request.urlopen(request, timeout=5):
            pass

    def client(self, service: str) -> Any:
        """A boto3 client for moto (cached; boto3 clients are thread-safe)."""
        with self._clients_lock:
            if service not in self._clients:
                import boto3

                self._clients[service] = boto3.session.Session().client(
                    service,
                    endpoint_url=self.endpoint,
                    region_name="us-east-1",
                    aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                    aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                    aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
                )
            return self._clients[service]

    def prewarm(self, services: tuple[str, ...] = ("dynamodb", "s3", "secretsmanager", "sqs")) -> None:
        """Import boto3 and build clients while moto is still starting (no request is sent)."""

        def build() -> None:
            for service in services:
                self.client(service)

        threading.Thread(target=build, name="prewarm", daemon=True).start()


# --- the template's resources ----------------------------------------------------------------------------
def generate_secret_string(spec: dict[str, Any]) -> str:
    """A value for `GenerateSecretString`, following Secrets Manager's options."""
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    if spec.get("IncludeSpace"):
        alphabet += " "
    excluded = set(spec.get("ExcludeCharacters") or "")
    alphabet = "".join(c for c in alphabet if c not in excluded)
    if not alphabet:
        raise TemplateError("GenerateSecretString excludes every character")
    length = int(spec.get("PasswordLength", 32))
    value = "".join(secrets.choice(alphabet) for _ in range(length))
    key = spec.get("GenerateStringKey")
    if key:
        document = json.loads(spec.get("SecretStringTemplate") or "{}")
        document[key] = value
        return json.dumps(document)
    return value


_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


def create_bucket(s3: Any, model: AppModel, logical_id: str) -> None:
    """The bucket with its CORS rules and versioning (moto applies both)."""
    name = model.resolver.ref(logical_id, logical_id)
    props = model.resources("AWS::S3::Bucket")[logical_id].get("Properties") or {}
    s3.create_bucket(Bucket=name)
    rules = model.resolver.resolve(props.get("CorsConfiguration") or {}, logical_id).get("CorsRules") or []
    if rules:
        renamed = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds", "Id": "ID"}
        s3.put_bucket_cors(
            Bucket=name,
            CORSConfiguration={
                "CORSRules": [{renamed.get(k, k): v for k, v in rule.items()} for rule in rules]
            },
        )
    status = model.resolver.resolve(props.get("VersioningConfiguration") or {}, logical_id).get("Status")
    if status:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})


def create_queue(sqs: Any, model: AppModel, logical_id: str, resource: dict[str, Any]) -> None:
    """Named by logical id, like `!Ref`/`!GetAtt` resolve it, with its attributes."""
    props = resource.get("Properties") or {}
    resolve = model.resolver.resolve
    attributes = {name: str(resolve(props[name], logical_id)) for name in _QUEUE_ATTRIBUTES if name in props}
    if "RedrivePolicy" in props:
        policy = resolve(props["RedrivePolicy"], logical_id)
        attributes["RedrivePolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
    name = model.resolver.getatt(logical_id, "QueueName", logical_id)
    sqs.create_queue(QueueName=name, Attributes=attributes)


def _create_queues(sqs: Any, model: AppModel, queues: dict[str, dict[str, Any]]) -> None:
    """Dead-letter queues before the queues whose RedrivePolicy names them (SQS checks the target)."""
    for redrives in (False, True):
        for lid, res in queues.items():
            if ("RedrivePolicy" in (res.get("Properties") or {})) == redrives:
                create_queue(sqs, model, lid, res)


def create_resources(model: AppModel, aws: AwsServer) -> dict[str, Any]:
    """Tables, buckets, queues and secrets of the template, created in moto. Fills the resolver's secret
    hooks."""
    dynamodb, s3, secretsmanager = aws.client("dynamodb"), aws.client("s3"), aws.client("secretsmanager")
    queues = model.resources("AWS::SQS::Queue")
    with ThreadPoolExecutor(max_workers=8) as pool:  # moto serves requests concurrently
        jobs = [
            pool.submit(
                create_tables,
                dynamodb,
                {"Resources": {logical_id: resource}},
                {logical_id: model.resolver.ref(logical_id, logical_id)},
            )
            for logical_id, resource in model.resources(*TABLE_TYPES).items()
        ]
        jobs += [pool.submit(create_bucket, s3, model, lid) for lid in model.buckets]
        if queues:
            jobs.append(pool.submit(_create_queues, aws.client("sqs"), model, queues))
        tables = [name for job in jobs[: len(model.tables)] for name in job.result()]
        for job in jobs:
            job.result()
    buckets = [model.resolver.ref(lid, lid) for lid in model.buckets]
    topics = model.resources("AWS::SNS::Topic")
    if topics:
        sns = aws.client("sns")
        for lid in topics:
            sns.create_topic(Name=model.resolver.getatt(lid, "TopicName", lid))
    for logical_id, resource in model.resources("AWS::SecretsManager::Secret").items():
        props = resource.get("Properties") or {}
        name = str(model.resolver.resolve(props.get("Name", logical_id), logical_id))
        if "SecretString" in props:
            value = str(model.resolver.resolve(props["SecretString"], logical_id))
        else:
            value = generate_secret_string(
                model.resolver.resolve(props.get("GenerateSecretString") or {}, logical_id)
            )
        created = secretsmanager.create_secret(Name=name, SecretString=value)
        model.resolver.secret_arns[logical_id] = created["ARN"]

    def read_secret(secret_id: str) -> str:
        return secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"]

    model.resolver.secret_reader = read_secret
    return {
        "tables": tables,
        "buckets": buckets,
        "queues": list(queues),
        "topics": list(topics),
        "secrets": list(model.resolver.secret_arns),
    }
