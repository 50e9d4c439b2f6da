"""HTTP stand-ins the tests share: a 'bus' that accepts everything (no refusal a negative case could expect)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


class AcceptEverything(BaseHTTPRequestHandler):
    """A 'bus' that answers 200 with an empty envelope to everything."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>'
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass
