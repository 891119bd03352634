"""What the REST adapters (the schema registry, Kafka Connect) share: one JSON client over httpx whose
errors name the system and the URL without its user info, never a credential; the outcome of a write
as the executor counts it; a small pool for many requests at once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from busctl.core.diagnostics import BusctlError, printable
from busctl.core.ports import DONE, Sent, Status, failed, unconfirmed

T = TypeVar("T")
R = TypeVar("R")
WORKERS = 8  # requests in flight at once: a REST service answers each in a few ms, mostly waiting


class ApiError(BusctlError):
    """A REST service refused a request or could not be reached; `code` is its own error code (0:
    none), `status` the HTTP status (0: no answer)."""

    def __init__(
        self, message: str, hint: str = "", code: int = 0, status: int = 0, unsent: bool = False
    ) -> None:
        super().__init__(message, hint)
        self.code = code
        self.status = status
        self.unsent = unsent  # no connection: the request never reached the service


def shown_url(url: str) -> str:
    """The URL without user info: what busctl prints and writes into plans."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def path(*parts: str | int) -> str:
    """A request path of percent-encoded parts (a slash inside a part included)."""
    return "/" + "/".join(quote(str(p), safe="") for p in parts)


def shortened(text: str, limit: int = 300) -> str:
    """A service's message, cut: some quote a whole document they could not parse."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


class JsonApi:
    """A JSON REST API: `what` names it in messages ("schema registry"), `where` is the bus.yaml
    setting of its URL, for hints. Subclasses say what a refusal's body means (`error_code`)."""

    what = "service"
    error: type[ApiError] = ApiError

    def __init__(
        self,
        url: str,
        username: str | None,
        password: str | None,
        timeout: float,
        where: str,
        headers: dict[str, str],
    ) -> None:
        self.url = shown_url(url)
        self.where = where
        auth = httpx.BasicAuth(username, password or "") if username else None
        self._http = httpx.Client(base_url=url.rstrip("/"), auth=auth, timeout=timeout, headers=headers)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def not_json_hint(self) -> str:
        return f"check bus.yaml {self.where}.url"

    def not_found_hint(self) -> str:
        return f"check bus.yaml {self.where}.url"

    def request(self, method: str, where: str, body: object = None, **params: str | list[str]) -> Any:
        """The JSON answer (None when empty); raises `error` for no answer or a refusal."""
        try:
            response = self._http.request(method, where, json=body, params=params or None)
        except httpx.TimeoutException as err:
            raise self.error(
                f"{self.what} {self.url} did not answer {method} {where} in time ({type(err).__name__})",
                f"check the {self.what} is up, or raise --timeout",
            ) from None
        except httpx.HTTPError as err:
            raise self.error(
                f"cannot reach {self.what} {self.url}: {printable(str(err)) or type(err).__name__}",
                f"check bus.yaml {self.where}.url and that the {self.what} is running",
                unsent=isinstance(err, httpx.ConnectError),
            ) from None
        if response.status_code >= 400:
            raise self._refusal(method, where, response)
        try:
            return response.json() if response.content else None
        except ValueError:  # e.g. a web page: the URL is not the API's
            raise self.error(
                f"{self.what} {self.url} answered {method} {where} with something that is not JSON",
                self.not_json_hint(),
                status=response.status_code,
            ) from None

    def absent_is_none(self, method: str, where: str, body: object = None, **params: str | list[str]) -> Any:
        """`request`, with None for HTTP 404."""
        try:
            return self.request(method, where, body, **params)
        except ApiError as err:
            if err.status == 404:
                return None
            raise

    def _refusal(self, method: str, where: str, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("error_code", 0) if isinstance(body, dict) else 0
        message = body.get("message", "") if isinstance(body, dict) else ""
        said = shortened(printable(str(message) or response.reason_phrase or ""))
        hint = ""
        if response.status_code in (401, 403):
            hint = f"check bus.yaml {self.where}.username and .password (their ${{VAR}}s)"
        elif response.status_code == 404 and not code:  # no error code of the API: not its URL
            hint = self.not_found_hint()
        return self.error(
            f"{self.what} {self.url} refused {method} {where}: HTTP {response.status_code}: {said}",
            hint,
            code=int(code) if isinstance(code, int) else 0,
            status=response.status_code,
        )


def parallel(call: Callable[[T], R], items: list[T], name: str = "busctl-http") -> list[R]:
    """`call` of each item, WORKERS at a time, in the items' order. On an interrupt no further item is
    started (those under way end within the client's timeout)."""
    if len(items) <= 1:
        return [call(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=min(WORKERS, len(items)), thread_name_prefix=name)
    try:
        results = list(pool.map(call, items))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def sent(call: Callable[..., object], *args: Any) -> Sent:
    """How one write ended, as the executor counts it: failed when the service answered with a
    refusal, not started when it was never reached, unconfirmed when no answer came."""
    try:
        call(*args)
    except ApiError as err:
        if err.status:  # the service answered: nothing changed for this item
            return failed(err.message, str(err.code or err.status))
        if err.unsent:  # no connection: the request was never sent
            return Sent(Status.NOT_STARTED, err.message)
        return unconfirmed(err.message)
    return DONE
