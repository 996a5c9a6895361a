"""A local stand-in for Twilio's Messages endpoint, for flows that send many messages.

The real `twilio` SDK talks to it through TWILIO_API_BASE_URL. It answers like the Messages
resource (201, a fresh `SM` + 32 hex sid, status `queued`), counts every request per `To`, and can
be told to fail for a while (HTTP 500 or 429 with Twilio's error body) to test faults.

    python -m bench.twilio_standin --port 4011          # serve until Ctrl-C
    with StandIn() as s: ... s.url ... s.requests        # in tests and benchmarks
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, fmt, *args):  # quiet
        return

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode("utf-8", "replace")).items()}
        srv = self.server
        with srv.lock:
            srv.requests.append((time.monotonic(), form))
            srv.per_to[form.get("To", "")] += 1
            fail = srv.fail_status if (srv.fail_until and time.monotonic() < srv.fail_until) else None
            if srv.fail_next > 0:
                srv.fail_next -= 1
                fail = srv.fail_status
        if not self.path.endswith("/Messages.json"):
            return self._json(404, {"code": 20404, "message": "not found", "status": 404})
        if fail:
            code = 20429 if fail == 429 else 20500
            return self._json(fail, {"code": code, "message": "stand-in failure", "status": fail})
        if not form.get("To") or not (form.get("Body") is not None):
            return self._json(400, {"code": 21604, "message": "A 'To' phone number is required.", "status": 400})
        sid = "SM" + secrets.token_hex(16)
        account = self.path.split("/Accounts/")[1].split("/")[0] if "/Accounts/" in self.path else "AC"
        body = {
            "sid": sid,
            "account_sid": account,
            "to": form.get("To"),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }
        return self._json(201, body)

    def _json(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr):
        super().__init__(addr, _Handler)
        self.lock = threading.Lock()
        self.requests: list[tuple[float, dict]] = []
        self.per_to: Counter[str] = Counter()
        self.fail_until = 0.0
        self.fail_next = 0
        self.fail_status = 500


class StandIn:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.server = _Server((host, port))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[tuple[float, dict]]:
        with self.server.lock:
            return list(self.server.requests)

    @property
    def per_to(self) -> Counter:
        with self.server.lock:
            return Counter(self.server.per_to)

    def fail_for(self, seconds: float, status: int = 500) -> None:
        with self.server.lock:
            self.server.fail_status, self.server.fail_until = status, time.monotonic() + seconds

    def fail_requests(self, count: int, status: int = 500) -> None:
        with self.server.lock:
            self.server.fail_status, self.server.fail_next = status, count

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4011)
    args = parser.parse_args()
    server = _Server((args.host, args.port))
    print(f"Twilio stand-in on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
