"""ASGI middlewares of the dashboard: :class:`Security` (outermost: Host/Origin checks and security headers,
:mod:`nqpf.web.security`) and :class:`Timeout` (504 when a request has no answer in time)."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import Request

from nqpf.web.answers import err, rejected
from nqpf.web.guard import Rejected
from nqpf.web.security import check_request, security_headers


class Security:
    """ASGI middleware (outermost): refuse foreign Host names and cross-site state changes
    (:func:`nqpf.web.security.check_request`) and add the security headers to every answer."""

    def __init__(self, app: Any, hosts: frozenset[str]):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.datastructures import MutableHeaders

        extra = security_headers(scope.get("path", "/"))

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in extra.items():
                    headers[k] = v
            await send(message)

        request = Request(scope)
        try:
            check_request(scope["method"], request.headers, self.hosts)
        except Rejected as exc:
            await rejected(request, exc)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


class Timeout:
    """ASGI middleware: a request without an answer after ``seconds`` gets 504 at once, and its handler is
    cancelled (plain ASGI: the ``BaseHTTPMiddleware`` version sent its 504 only after the work had finished).
    Work in a thread started with ``abandon_on_cancel`` (uploads) is abandoned at once and told to stop; other
    thread work finishes in the background and its late answer is dropped. A response already under way is
    never cut off."""

    def __init__(self, app: Any, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "timed_out": False}
        failure: list[BaseException] = []

        async def send_once(message: Any) -> None:
            if state["timed_out"]:
                return  # the 504 went out: drop the late answer
            if message["type"] == "http.response.start":
                state["started"] = True
            with anyio.CancelScope(shield=True):
                await send(message)

        async with anyio.create_task_group() as tg:
            async def run_app() -> None:
                try:
                    await self.app(scope, receive, send_once)
                except Exception as exc:  # noqa: BLE001 - re-raised below, outside the task group
                    failure.append(exc)
                tg.cancel_scope.cancel()

            async def watchdog() -> None:
                await anyio.sleep(self.seconds)
                if not state["started"]:
                    state["timed_out"] = True
                    await err(504, f"request took longer than {self.seconds:.0f} s")(scope, receive, send)
                    tg.cancel_scope.cancel()

            tg.start_soon(run_app)
            tg.start_soon(watchdog)
        if failure and not state["timed_out"]:
            raise failure[0]
