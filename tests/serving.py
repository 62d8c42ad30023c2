"""A live workshop round served on 127.0.0.1 for tests, and a plain HTTP client with cookies.

The server is the real one (uvicorn in a thread); the client is the standard library's, so
the tests need nothing a classroom would not have.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

from simcare.workshop.serve import Round
from simcare.workshop.serve.app import Settings, make_app


@dataclass(frozen=True)
class Reply:
    status: int
    url: str
    text: str
    headers: dict[str, str]


class Client:
    """One browser's worth of cookies against a server; follows redirects like a browser."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar))

    def _open(self, request: Request) -> Reply:
        try:
            with self.opener.open(request, timeout=30) as response:
                body = response.read()
                status, url, headers = response.status, response.url, response.headers
        except HTTPError as error:
            body, status, url, headers = error.read(), error.code, error.url, error.headers
        headers = {k.lower(): v for k, v in headers.items()}
        return Reply(status, url, body.decode("utf-8", "replace"), headers)

    def get(self, path: str) -> Reply:
        return self._open(Request(self.base + path))

    def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        content = body if body is not None else urlencode(data or {}).encode()
        sent = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
        return self._open(Request(self.base + path, data=content, headers=sent, method="POST"))


@contextmanager
def served(round_: Round, settings: Settings) -> Iterator[str]:
    """Serve a round on a free port of 127.0.0.1 while the block runs; yield its address."""
    import uvicorn

    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(make_app(round_, settings), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
