"""The AWS endpoint of the local runtime: moto server plus two things moto cannot do for us.

Runs as a child process (`python -m local.awsserver --port P --lambda-url URL`), one WSGI app on one port:

* `/2015-03-31/functions...` (Lambda Invoke, ListFunctions, GetFunction, UpdateFunctionConfiguration) is
  forwarded to the runtime (local/lambda_api.py, its worker pool), so `AWS_ENDPOINT_URL` covers Lambda
  too: boto3 `lambda` clients and moto's own Step Functions interpreter (which calls
  `http://localhost:$MOTO_PORT`) see and run our functions.
* SES sends (v1 SendEmail/SendRawEmail/SendTemplatedEmail, v2 SendEmail) are captured with both the text
  and the HTML part (moto keeps only one) for `GET /_local/emails`, and the sender is verified on the fly so
  sends succeed as they do in a production account out of the sandbox.

Everything else goes to moto untouched.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import email
import email.policy
import http.client
import io
import json
import os
import re
import socket
import sys
import threading
import traceback
from datetime import UTC, datetime
from email.utils import getaddresses, parseaddr
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local.motopatch import serialize_dynamodb_requests
from local.procutil import die_with_parent
from local.s3post import PolicyViolation, check_post_policy

_FUNCTIONS = re.compile(r"^/2015-03-31/functions(/.*)?$")  # Lambda's API: the template's functions
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/")
DEFAULT_ACCOUNT = "123456789012"
FAKE_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "")  # the runtime's dev-only credentials (see functions.py)
FAKE_SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY", "")


class MailLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[dict[str, Any]] = []

    def add(self, item: dict[str, Any]) -> None:
        with self._lock:
            self.items.append(item)

    def clear(self) -> None:
        with self._lock:
            self.items.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.items)


def _mime_parts(raw: str) -> dict[str, Any]:
    message = email.message_from_string(raw, policy=email.policy.default)
    text = html = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        if part.get_content_type() == "text/plain" and text is None:
            text = part.get_content()
        elif part.get_content_type() == "text/html" and html is None:
            html = part.get_content()
    to = [addr for _, addr in getaddresses([str(v) for v in message.get_all("to", [])]) if addr]
    return {
        "from": str(message.get("from") or ""),
        "to": to,
        "subject": str(message.get("subject") or ""),
        "text": text,
        "html": html,
    }


def _listed(form: dict[str, list[str]], prefix: str) -> list[str]:
    """AWS query lists: Prefix.member.1, Prefix.member.2, ..."""
    items = [
        (int(k.rsplit(".", 1)[1]), v[0])
        for k, v in form.items()
        if re.fullmatch(re.escape(prefix) + r"\.member\.\d+", k)
    ]
    return [value for _, value in sorted(items)]


def parse_ses_send(path: str, body: bytes) -> dict[str, Any] | None:
    """The email an SES send request carries, or None if the request is not a send."""
    if path.rstrip("/") == "/v2/email/outbound-emails":
        params = json.loads(body or b"{}")
        content = params.get("Content") or {}
        destination = params.get("Destination") or {}
        mail: dict[str, Any] = {
            "from": params.get("FromEmailAddress") or "",
            "to": destination.get("ToAddresses") or [],
        }
        if "Raw" in content:
            parsed = _mime_parts(base64.b64decode(content["Raw"]["Data"]).decode("utf-8", "replace"))
            mail.update({k: v for k, v in parsed.items() if v or k not in mail})
        elif "Simple" in content:
            simple = content["Simple"]
            mail["subject"] = (simple.get("Subject") or {}).get("Data", "")
            mail["text"] = ((simple.get("Body") or {}).get("Text") or {}).get("Data")
            mail["html"] = ((simple.get("Body") or {}).get("Html") or {}).get("Data")
        elif "Template" in content:
            template = content["Template"]
            mail.update(
                {
                    "subject": "",
                    "template": template.get("TemplateName"),
                    "templateData": template.get("TemplateData"),
                }
            )
        return mail
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) if body else {}
    action = (form.get("Action") or [""])[0]
    if action == "SendEmail":
        return {
            "from": form.get("Source", [""])[0],
            "to": _listed(form, "Destination.ToAddresses"),
            "subject": form.get("Message.Subject.Data", [""])[0],
            "text": form.get("Message.Body.Text.Data", [None])[0],
            "html": form.get("Message.Body.Html.Data", [None])[0],
        }
    if action == "SendRawEmail":
        raw = base64.b64decode(form.get("RawMessage.Data", [""])[0]).decode("utf-8", "replace")
        mail = _mime_parts(raw)
        if form.get("Source"):
            mail["from"] = form["Source"][0]
        mail["to"] = _listed(form, "Destinations") or mail["to"]
        return mail
    if action == "SendTemplatedEmail":
        return {
            "from": form.get("Source", [""])[0],
            "to": _listed(form, "Destination.ToAddresses"),
            "subject": "",
            "template": form.get("Template", [""])[0],
            "templateData": form.get("TemplateData", [""])[0],
        }
    return None


def _verify_sender(region: str, sender: str) -> None:
    """Verify the sender's domain in moto's SES backend (moto rejects unverified senders like the sandbox)."""
    from moto.ses.models import ses_backends

    _, address = parseaddr(sender)
    if "@" in address:
        ses_backends[DEFAULT_ACCOUNT][region].verify_email_identity(address.split("@", 1)[1])


class Gateway:
    def __init__(self, moto_app: Any, lambda_url: str) -> None:
        self.moto_app = moto_app
        target = urlsplit(lambda_url)
        self.lambda_host, self.lambda_port, self.lambda_path = (
            target.hostname,
            target.port,
            target.path.rstrip("/"),
        )
        self.mail = MailLog()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_pitchey/health":
            return self._json(start_response, 200, {"status": "ok"})
        if path == "/_pitchey/emails":
            if method == "DELETE":
                self.mail.clear()
                return self._json(start_response, 200, {"deleted": True})
            return self._json(start_response, 200, self.mail.snapshot())
        if _FUNCTIONS.match(path):
            return self._forward_lambda(environ, start_response, path, method)
        if method == "POST" and environ.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
            violation = self._s3_post_violation(environ, path)
            if violation is not None:
                body = violation.xml()
                start_response(
                    f"{violation.status} {http.client.responses.get(violation.status, '')}",
                    [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
                )
                return [body]
        scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if method == "POST" and scope and scope.group(2) == "ses":
            return self._ses(environ, start_response, path, scope.group(1))
        return self.moto_app(environ, start_response)

    @staticmethod
    def _json(start_response: Any, status: int, payload: Any) -> list[bytes]:
        body = json.dumps(payload).encode()
        start_response(
            f"{status} {http.client.responses.get(status, '')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        return body

    def _s3_post_violation(self, environ: dict[str, Any], path: str) -> PolicyViolation | None:
        """Presigned POST uploads (path style: POST /<bucket>) must satisfy their policy: moto ignores it."""
        from werkzeug.formparser import parse_form_data

        bucket = path.strip("/")
        if not bucket or "/" in bucket:
            return None
        body = self._read_body(environ)
        probe = {**environ, "wsgi.input": io.BytesIO(body)}
        _stream, form, files = parse_form_data(probe)
        upload = files.get("file")
        size = len(upload.read()) if upload is not None else 0
        fields = {name: form[name] for name in form}
        return check_post_policy(fields, size, bucket, {FAKE_KEY_ID: FAKE_SECRET})

    def _forward_lambda(
        self, environ: dict[str, Any], start_response: Any, path: str, method: str
    ) -> list[bytes]:
        body = self._read_body(environ)
        headers = {
            name[5:].replace("_", "-").title(): value
            for name, value in environ.items()
            if name.startswith("HTTP_X_AMZ")
        }
        query = environ.get("QUERY_STRING")
        target = f"{self.lambda_path}{path}" + (f"?{query}" if query else "")
        connection = http.client.HTTPConnection(self.lambda_host, self.lambda_port, timeout=960)
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            out_headers = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in ("connection", "transfer-encoding", "server", "date")
            ]
            start_response(f"{response.status} {response.reason}", out_headers)
            return [payload]
        except OSError as error:
            return self._json(start_response, 502, {"message": f"local runtime unreachable: {error}"})
        finally:
            connection.close()

    def _ses(self, environ: dict[str, Any], start_response: Any, path: str, region: str) -> Any:
        body = self._read_body(environ)
        try:
            mail = parse_ses_send(path, body)
        except (ValueError, KeyError, TypeError):
            mail = None  # let moto answer the malformed request
        if mail is None:
            return self.moto_app(environ, start_response)
        if mail.get("from"):
            _verify_sender(region, mail["from"])
        status: list[str] = []

        def capture(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(status_line)
            return start_response(status_line, headers, exc_info)

        result = list(self.moto_app(environ, capture))
        if status and status[0].startswith("2"):
            mail.setdefault("text", None)
            mail.setdefault("html", None)
            mail["sentAt"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            self.mail.add(mail)
        return result


WARM_SERVICES = ("dynamodb", "s3", "secretsmanager", "ses", "sesv2", "stepfunctions")


def _warm_backends() -> None:
    """moto imports a service's backend on its first request (~0.5 s for DynamoDB): do it now, while the
    runtime is still importing boto3, so creating the template's resources does not wait for it."""
    from moto.backends import get_backend

    for service in WARM_SERVICES:
        backends = get_backend(service)[DEFAULT_ACCOUNT]  # type: ignore[index]
        with contextlib.suppress(KeyError):  # a cold backend is only slower, never wrong
            backends["aws" if service == "s3" else "us-east-1"]  # S3 is global: keyed by partition


def _keep_alive(handler: type) -> type:
    """moto's request handler (werkzeug's, with moto's environ) serving keep-alive connections.

    werkzeug's development server closes every connection after one response, and after each response
    waits 10 ms for more request data to discard: every AWS call of every function paid a TCP connection
    (and a server thread) of its own. Here the request body is read first, exactly (Content-Length or
    chunks), the response is written with its length, and the connection stays open for the client's next
    request, as AWS's endpoints do. TCP_NODELAY: headers and body leave in separate writes (Nagle + delayed
    ACK would add ~40 ms)."""

    class KeepAliveHandler(handler):  # type: ignore[valid-type,misc]
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def run_wsgi(self) -> None:
            environ = self.make_environ()
            if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's DechunkedInput reads to the end
                body = environ["wsgi.input"].read()
                del environ["wsgi.input_terminated"]
            else:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = self.rfile.read(length) if length > 0 else b""
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
            status, headers, payload = self._respond(environ)
            code, _, reason = status.partition(" ")
            self.send_response(int(code), reason)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            self.wfile.flush()

        def _respond(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
            started: list[Any] = []
            chunks: list[bytes] = []

            def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                started[:] = [status, headers]
                return chunks.append

            try:
                result = self.server.app(environ, start_response)
                try:
                    chunks.extend(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
            except Exception:
                self.log_error("error on %s %s", self.command, self.path)
                traceback.print_exc()
                return "500 Internal Server Error", [("Content-Type", "text/plain")], b"Internal Server Error"
            return started[0], started[1], b"".join(chunks)

    return KeepAliveHandler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto server with Lambda Invoke forwarding and SES capture")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--lambda-url", required=True, help="base URL the Lambda Invoke API is forwarded to")
    args = parser.parse_args(argv)
    die_with_parent()
    # moto's Step Functions interpreter calls Lambda (and every other service) at localhost:$MOTO_PORT:
    # point it at this server so state machine tasks reach our functions.
    os.environ["MOTO_PORT"] = str(args.port)
    from moto.core.config import default_user_config
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    default_user_config["stepfunctions"]["execute_state_machine"] = True
    default_user_config["lambda"]["use_docker"] = False
    serialize_dynamodb_requests()
    from local import moto_fixes  # Step Functions and DynamoDB Streams fixes (see that module)

    moto_fixes.install()
    app = Gateway(DomainDispatcherApplication(create_backend_app), args.lambda_url)
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=_keep_alive(MotoRequestHandler)
    )
    threading.Thread(target=_warm_backends, name="warm-backends", daemon=True).start()
    print(f"ready {args.host}:{args.port}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
