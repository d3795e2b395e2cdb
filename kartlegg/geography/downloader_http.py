"""HTTP for the reference downloader: one requests session with a User-Agent and a timeout, retries with backoff on
429, 5xx and network errors, and a throttle that keeps within SSB's published request limit.

Clock and sleep are injectable, so tests run the throttle and the backoff without waiting.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from kartlegg.geography import downloader_sources as sources

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class DownloadError(Exception):
    """A download failed or the answer was not what the source documents. The message names the address."""


def _default_clock() -> float:
    return time.monotonic()


def _default_sleep(seconds: float) -> None:
    time.sleep(seconds)


class Throttle:
    """At most `limit` requests in any `period` seconds (a sliding window over the last requests' start times)."""

    def __init__(self, limit: int, period: float, clock: Clock, sleep: Sleep) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("limit must be at least 1 and period positive")
        self.limit = limit
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()

    def wait(self) -> float:
        """Block until one more request is allowed, then record it. Returns the seconds slept."""
        slept = 0.0
        now = self._clock()
        self._forget(now)
        while len(self._starts) >= self.limit:
            delay = self.period - (now - self._starts[0])
            if delay > 0:
                self._sleep(delay)
                slept += delay
            now = self._clock()
            self._forget(now)
        self._starts.append(now)
        return slept

    def _forget(self, now: float) -> None:
        while self._starts and now - self._starts[0] >= self.period:
            self._starts.popleft()


class HttpClient:
    """GET and POST with retries, SSB throttling and clear errors. `on_request` is called after each attempt."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        retries: int = sources.RETRIES,
        backoff: float = sources.BACKOFF_SECONDS,
        timeout: tuple[float, float] = sources.TIMEOUT,
        on_request: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = sources.USER_AGENT
        # Looked up here, not at import, so tests can swap the module defaults.
        self.clock = clock or _default_clock
        self.sleep = sleep or _default_sleep
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.on_request = on_request
        self.requests_made = 0
        self._throttles = {
            host: Throttle(
                sources.SSB_MAX_QUERIES, sources.SSB_PERIOD_SECONDS + sources.SSB_MARGIN_SECONDS, self.clock, self.sleep
            )
            for host in sources.SSB_HOSTS
        }

    # -- public helpers ------------------------------------------------------------------------------------------

    def get_json(self, url: str, params: dict[str, str] | None = None) -> Any:
        response = self.request("GET", url, params=params, headers={"Accept": "application/json"})
        return self._json(response, url, params)

    def post_json(self, url: str, payload: Any) -> Any:
        response = self.request("POST", url, json=payload, headers={"Accept": "application/json"})
        return self._json(response, url, None)

    def get_bytes(self, url: str) -> bytes:
        return self.request("GET", url).content

    # -- the retry loop ------------------------------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        shown = display_url(url, kwargs.get("params"))
        throttle = self._throttles.get(urlsplit(url).hostname or "")
        attempt = 0
        while True:
            if throttle is not None:
                throttle.wait()
            problem: str
            delay = self.backoff * (2**attempt)
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as error:
                problem = f"nettverksfeil ({type(error).__name__}: {error})"
            else:
                self._count(shown)
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    raise DownloadError(f"{method} {shown} svarte HTTP {response.status_code}{_snippet(response)}")
                problem = f"HTTP {response.status_code}{_snippet(response)}"
                delay = max(delay, _retry_after(response))
            if attempt >= self.retries:
                raise DownloadError(f"{method} {shown} feilet etter {attempt + 1} forsøk: {problem}")
            attempt += 1
            self.sleep(min(delay, sources.MAX_RETRY_AFTER_SECONDS))

    def _count(self, shown: str) -> None:
        self.requests_made += 1
        if self.on_request:
            self.on_request(shown)

    @staticmethod
    def _json(response: requests.Response, url: str, params: dict[str, str] | None) -> Any:
        try:
            return json.loads(response.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DownloadError(f"Uventet svar fra {display_url(url, params)}: ikke gyldig JSON ({error})") from None


def display_url(url: str, params: dict[str, str] | None = None) -> str:
    """The address as sent, with its query string, for error messages."""
    if not params:
        return url
    prepared = requests.Request("GET", url, params=params).prepare().url
    return prepared or url


def _retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0  # an HTTP date: rare, and the backoff covers it


def _snippet(response: requests.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f" ({text[:200]})" if text else ""
