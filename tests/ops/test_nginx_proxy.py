"""deploy/nginx.conf, run by a real nginx in front of an upstream that echoes what it receives: the scheme
header is set and cannot be spoofed, the webhook URI, body and signature arrive unchanged (so the signature
check against PUBLIC_BASE_URL passes), and only webhooks are open beyond the clinic's networks."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from twilio.request_validator import RequestValidator

from . import smoke

pytestmark = pytest.mark.skipif(
    shutil.which("nginx") is None or shutil.which("openssl") is None, reason="needs nginx and openssl"
)

HOST = "clinic.example"
PUBLIC_BASE_URL = f"https://{HOST}"
TOKEN = "a" * 32


class _Echo(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        return

    def _answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        payload = json.dumps({"method": self.command, "path": self.path, "body": body,
                              "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer  # noqa: N815


def _site(http_port: int, https_port: int, upstream: str, cert: str, key: str) -> str:
    text = (smoke.REPO / "deploy" / "nginx.conf").read_text()
    text = re.sub(r"^\s*listen \[::\]:.*\n", "", text, flags=re.M)  # the sandbox may have no IPv6
    text = re.sub(r"listen 80\b", f"listen 127.0.0.1:{http_port}", text)
    text = re.sub(r"listen 443\b", f"listen 127.0.0.1:{https_port}", text)
    text = text.replace("server 127.0.0.1:8000;", f"server {upstream};")
    text = text.replace(f"/etc/letsencrypt/live/{HOST}/fullchain.pem", cert)
    text = text.replace(f"/etc/letsencrypt/live/{HOST}/privkey.pem", key)
    return text


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    cert, key = str(tmp / "cert.pem"), str(tmp / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
         "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    http_port, https_port = smoke.free_port(), smoke.free_port()
    (tmp / "site.conf").write_text(_site(http_port, https_port, f"127.0.0.1:{upstream.server_port}", cert, key))
    temp_paths = "\n".join(f"    {name}_temp_path {tmp / name};" for name in
                           ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'} warn;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n    access_log off;\n{temp_paths}\n"
        f"    include {tmp / 'site.conf'};\n}}\n"
    )
    conf = ["nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
    check = subprocess.run([*conf, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    server = subprocess.Popen([*conf, "-g", "error_log stderr warn;"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        smoke.wait_for(lambda: _port_open(https_port) and _port_open(http_port), timeout=10, what="nginx")
        yield {"http": http_port, "https": https_port}
    finally:
        server.terminate()
        server.wait(timeout=10)
        upstream.shutdown()


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class _Tls(http.client.HTTPSConnection):
    """Connect to 127.0.0.1 but present `host` in SNI and Host, as a browser or Twilio would."""

    def __init__(self, host, port, source="127.0.0.1"):
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        super().__init__(host, port, context=context, timeout=10)
        self.source = source

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout,
                                        source_address=(self.source, 0))
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _request(proxy, method, path, body=None, headers=None, source="127.0.0.1", host=HOST):
    conn = _Tls(host, proxy["https"], source=source)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_scheme_headers_are_set_by_the_proxy_and_cannot_be_spoofed(proxy):
    status, body = _request(proxy, "GET", "/readyz", headers={
        "X-Forwarded-Proto": "http", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl",
        "X-Forwarded-For": "203.0.113.9", "Forwarded": "for=203.0.113.9;proto=http", "X-Forwarded-Host": "evil.example",
    })
    assert status == 200, body
    seen = json.loads(body)["headers"]
    assert seen["x-forwarded-proto"] == "https"
    assert seen["host"] == HOST
    assert seen["x-forwarded-for"] == "127.0.0.1"
    for dropped in ("x-forwarded-ssl", "x-forwarded-protocol", "forwarded", "x-forwarded-host"):
        assert dropped not in seen, dropped


def test_a_signed_webhook_arrives_unchanged_and_verifies_against_public_base_url(proxy):
    path = "/webhooks/twilio/inbound/?Source=sms&attempt=1"
    params = {"MessageSid": "SM" + "b" * 32, "From": "+13125550187", "To": "+13125550100", "Body": "Yes please!"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
    form = "&".join(f"{k}={v}" for k, v in params.items()).replace("+", "%2B").replace(" ", "+").replace("!", "%21")
    status, body = _request(proxy, "POST", path, body=form, headers={
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded",
    }, source="127.0.0.2")
    assert status == 200, body
    seen = json.loads(body)
    assert seen["path"] == path and seen["body"] == form
    assert seen["headers"]["x-twilio-signature"] == signature
    # what messaging.webhooks does: PUBLIC_BASE_URL + the path and query the app received
    from urllib.parse import parse_qsl

    assert RequestValidator(TOKEN).validate(PUBLIC_BASE_URL + seen["path"], dict(parse_qsl(seen["body"])), signature)


def test_webhooks_accept_only_post(proxy):
    assert _request(proxy, "GET", "/webhooks/twilio/inbound/")[0] == 403


def test_the_console_and_api_are_closed_outside_the_clinics_networks(proxy):
    # 127.0.0.2 stands for an internet address: not in the allow list, unlike 127.0.0.1
    assert _request(proxy, "GET", "/admin/", source="127.0.0.2")[0] == 403
    assert _request(proxy, "GET", "/api/v1/", source="127.0.0.2")[0] == 403
    assert _request(proxy, "GET", "/admin/")[0] == 200


def test_plain_http_is_redirected_to_https(proxy):
    conn = http.client.HTTPConnection("127.0.0.1", proxy["http"], timeout=10)
    conn.request("GET", "/admin/?x=1", headers={"Host": HOST})
    response = conn.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/admin/?x=1"
    conn.close()


def test_other_host_names_get_no_answer(proxy):
    conn = http.client.HTTPConnection("127.0.0.1", proxy["http"], timeout=10)
    conn.request("GET", "/", headers={"Host": "evil.example"})
    with pytest.raises(http.client.RemoteDisconnected):
        conn.getresponse()
    conn.close()
    with pytest.raises(ssl.SSLError):
        _request(proxy, "GET", "/", host="evil.example")
