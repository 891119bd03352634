"""A registry URL that is not a registry's API (a web page, a wrong path) is one clear error, naming the
bus.yaml key to fix, never a traceback. A real HTTP server on 127.0.0.1 plays the wrong address."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from busctl.adapters.registry import Registry, RegistryError


class _WebPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = self.path == "/subjects"
        body = b"<html>a web page</html>" if found else b"Not Found"
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def web_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_answer_that_is_not_json_is_a_clear_error(web_page: str) -> None:
    with pytest.raises(RegistryError) as raised, Registry(web_page, where="clusters.prod.registry") as api:
        api.subjects()
    assert "answered GET /subjects with something that is not JSON" in raised.value.message
    assert "clusters.prod.registry.url" in raised.value.hint


def test_a_path_that_is_not_the_api_says_which_setting_to_check(web_page: str) -> None:
    with pytest.raises(RegistryError) as raised, Registry(web_page, where="clusters.prod.registry") as api:
        api.default_compatibility()
    assert "refused GET /config: HTTP 404" in raised.value.message
    assert "clusters.prod.registry.url" in raised.value.hint
