"""The live workshop's web application (Starlette): teams' pages, the teacher's, the debrief.

Safe by construction: every page is built from escaped text; every response forbids loading
anything from elsewhere (Content-Security-Policy) and being framed; every form carries an
anti-forgery token that must match its cookie (and an Origin, when sent, must be this server);
bodies are bounded; the teacher's pages need the token; and no part of a request names a file:
the pages are built in memory, and the round writes only the files it names itself.
"""

from __future__ import annotations

import hmac
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simcare.workshop.decisions import DecisionError
from simcare.workshop.serve.forms import MAX_BODY_BYTES, FormError, form_data, parse_form
from simcare.workshop.serve.round import DEBRIEF_PAGE, ClosedError, Round, Team
from simcare.workshop.serve.views import (
    LIVE_JS,
    join_page,
    notice_page,
    teacher_page,
    teacher_status,
    team_page,
    team_status,
)

__all__ = ["SECURITY_HEADERS", "Settings", "make_app", "run_app"]

TEAM_COOKIE = "simcare_team"
TEACHER_COOKIE = "simcare_teacher"
CSRF_COOKIE = "simcare_csrf"
_DAY_S = 24 * 3600
"""A team's and the teacher's cookies last a day: a class, and a break with the laptop shut."""

Endpoint = Callable[[Request], Awaitable[Response]]

SECURITY_HEADERS = {
    # Nothing loads from elsewhere: scripts only the server's own live.js; styles are inline
    # in each page (the debrief's and the handout's too); charts are inline SVG or data: URIs.
    "content-security-policy": "default-src 'none'; script-src 'self'; connect-src 'self'; "
    "style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # The teacher's link carries the token: never pass an address on to another site (and
    # not "no-referrer": Chromium then sends forms with "Origin: null", which is refused).
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}

_SAVED = {
    "submit": "Submitted. You may revise until the teacher locks the round.",
    "draft": "Draft saved; submit when your team agrees.",
}
"""What a team sees after saving (the query names one of these; nothing it says is shown)."""


@dataclass(frozen=True)
class Settings:
    """How the app runs the debrief, and what it tells people.

    Attributes:
        address: the students' address, shown on the teacher's page.
        handout: makes the students' handout (the number of teams joined so far in, a page out).
        replications: the debrief's replications per team.
        seed: its base seed.
        workers: its worker processes.
        command: the equivalent `simcare workshop debrief` command, for the debrief page.
    """

    address: str
    handout: Callable[[int], str]
    replications: int
    seed: int
    workers: int
    command: Callable[[Round], list[str]]


class _Headers:
    """ASGI middleware: the security headers on every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def _page(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status)


def _refused(title: str, text: str, status: int) -> HTMLResponse:
    return _page(notice_page(title, text, ("/", "Back to the workshop")), status)


def _csrf(request: Request) -> str:
    """The visitor's anti-forgery token: their cookie's, or a new one (set by `_with_csrf`)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if 20 <= len(token) <= 64 and token.isascii() else secrets.token_urlsafe(24)


def _with_csrf(response: Response, token: str) -> Response:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def _cookie(response: Response, name: str, value: str) -> Response:
    response.set_cookie(name, value, max_age=_DAY_S, httponly=True, samesite="strict", path="/")
    return response


async def _form(request: Request) -> dict[str, str] | Response:
    """A POSTed form from this server's own page, or the response refusing it."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return _refused("Not a form", "This address takes this workshop's forms only.", 415)
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        return _refused("Too long", "The form is longer than any of this workshop's.", 413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return _refused("Too long", "The form is longer than any of this workshop's.", 413)
    try:
        fields = parse_form(body)
    except FormError as error:
        return _refused("Not this workshop's form", str(error), 400)
    # The form's token must be its cookie's (another site can send a form, not read a cookie),
    # and a browser's Origin, when it sends one, this server.
    cookie, sent = request.cookies.get(CSRF_COOKIE, ""), fields.pop("csrf", "")
    origin = request.headers.get("origin")
    own_origin = origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"
    if not (cookie and own_origin and hmac.compare_digest(sent.encode(), cookie.encode())):
        text = "This form was not sent from this workshop's page: reload the page, try again."
        return _refused("Refused", text, 403)
    return fields


def make_app(round_: Round, settings: Settings) -> Starlette:
    """The web application of a round."""
    routes = [
        Route("/", _join_get(round_), methods=["GET"]),
        Route("/join", _join_post(round_), methods=["POST"]),
        Route("/team", _team_get(round_), methods=["GET"]),
        Route("/team", _team_post(round_), methods=["POST"]),
        Route("/team/status.json", _team_json(round_), methods=["GET"]),
        Route("/handout", _handout(round_, settings), methods=["GET"]),
        Route("/debrief", _debrief_page(round_), methods=["GET"]),
        Route("/live.js", _live_js, methods=["GET"]),
        Route("/favicon.ico", _no_icon, methods=["GET"]),
        *_teacher_routes(round_, settings),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_Headers)
    return app


async def _live_js(request: Request) -> Response:
    return Response(LIVE_JS, media_type="text/javascript")


async def _no_icon(request: Request) -> Response:
    """No icon, and no "not found" in the browser's console for the one it asks for."""
    return Response(status_code=204)


def _team_of(round_: Round, request: Request) -> tuple[Team, str] | None:
    secret = request.cookies.get(TEAM_COOKIE, "")
    team = round_.team_with(secret) if secret else None
    return (team, secret) if team is not None else None


def _join_get(round_: Round) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if _team_of(round_, request) is not None:
            return RedirectResponse("/team", status_code=303)
        csrf = _csrf(request)
        return _with_csrf(_page(join_page(round_.workshop, csrf, [])), csrf)

    return endpoint


def _join_post(round_: Round) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        fields = await _form(request)
        if isinstance(fields, Response):
            return fields
        csrf = _csrf(request)
        code = fields.get("code", "").strip()
        if code:
            team = round_.team_with(code)
            if team is None:
                problem = ["No team has this code: copy it from your team's page."]
                return _page(join_page(round_.workshop, csrf, problem), 400)
            return _cookie(RedirectResponse("/team", status_code=303), TEAM_COOKIE, code)
        name = fields.get("name", "")
        try:
            _, secret = await run_in_threadpool(round_.join, name)
        except DecisionError as error:
            return _page(join_page(round_.workshop, csrf, list(error.problems), name), 400)
        except ClosedError as error:
            return _page(join_page(round_.workshop, csrf, [str(error)], name), 409)
        return _cookie(RedirectResponse("/team", status_code=303), TEAM_COOKIE, secret)

    return endpoint


def _team_get(round_: Round) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        found = _team_of(round_, request)
        if found is None:
            return RedirectResponse("/", status_code=303)
        csrf = _csrf(request)
        notice = _SAVED.get(request.query_params.get("saved", ""), "")
        return _with_csrf(_page(team_page(round_, *found, csrf, notice)), csrf)

    return endpoint


def _team_post(round_: Round) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        found = _team_of(round_, request)
        if found is None:
            return _refused("Not your team", "Join a team first.", 403)
        fields = await _form(request)
        if isinstance(fields, Response):
            return fields
        team, code = found
        csrf = _csrf(request)
        data, problems = form_data(fields, round_.workshop)
        submit = fields.get("action") == "submit"
        try:
            await run_in_threadpool(round_.save, team, data, submit, problems)
        except DecisionError as error:
            shown = [p.removeprefix("your decisions: ") for p in error.problems]
            page = team_page(round_, team, code, csrf, "Nothing was saved:", shown, data)
            return _page(page, 400)
        except ClosedError as error:
            return _page(team_page(round_, team, code, csrf, str(error)), 409)
        saved = "submit" if submit else "draft"
        return RedirectResponse(f"/team?saved={saved}", status_code=303)

    return endpoint


def _team_json(round_: Round) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if _team_of(round_, request) is None:
            return JSONResponse({"error": "join a team first"}, status_code=403)
        return JSONResponse(team_status(round_))

    return endpoint


def _handout(round_: Round, settings: Settings) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return _page(settings.handout(max(len(round_.teams), 1)))

    return endpoint


def _debrief_page(round_: Round) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if round_.debrief.state != "done":
            text = "The teacher has not run the debrief yet; it appears here when it is ready."
            return _refused("No debrief yet", text, 404)
        return _page(round_.debrief.page)

    return endpoint


def _is_teacher(round_: Round, request: Request) -> bool:
    return round_.teacher(request.cookies.get(TEACHER_COOKIE, ""))


def _not_teacher() -> Response:
    text = "The teacher's page needs the link with its token that the server printed."
    return _refused("The teacher's page", text, 403)


async def _teacher_act(
    round_: Round, settings: Settings, request: Request, action: Callable[[dict[str, str]], str]
) -> Response:
    """Do a teacher's action from their form, then show the desk with what it did."""
    if not _is_teacher(round_, request):
        return _not_teacher()
    fields = await _form(request)
    if isinstance(fields, Response):
        return fields
    try:
        notice = await run_in_threadpool(action, fields)
    except ClosedError as error:
        page = teacher_page(round_, _csrf(request), settings.address, str(error))
        return _page(page, 409)
    return RedirectResponse(f"/teacher?notice={notice}", status_code=303)


def _teacher_routes(round_: Round, settings: Settings) -> list[Route]:
    """The teacher's page and actions; each needs the token (its cookie, set by the link)."""

    def teacher(request: Request) -> bool:
        return _is_teacher(round_, request)

    refused = _not_teacher

    async def desk(request: Request) -> Response:
        token = request.query_params.get("token")
        if token is not None:  # the printed link: keep the token in a cookie, off the address
            if not round_.teacher(token):
                return refused()
            return _cookie(RedirectResponse("/teacher", status_code=303), TEACHER_COOKIE, token)
        if not teacher(request):
            return refused()
        csrf = _csrf(request)
        notice = request.query_params.get("notice", "")
        notice = _NOTICES.get(notice, "")
        return _with_csrf(_page(teacher_page(round_, csrf, settings.address, notice)), csrf)

    async def status(request: Request) -> Response:
        if not teacher(request):
            return JSONResponse({"error": "the teacher's token is needed"}, status_code=403)
        return JSONResponse(teacher_status(round_))

    def lock(fields: dict[str, str]) -> str:
        locked = fields.get("action") != "open"
        round_.set_locked(locked)
        return "locked" if locked else "opened"

    def debrief(fields: dict[str, str]) -> str:
        round_.start_debrief(
            settings.replications, settings.seed, settings.workers, settings.command
        )
        return "running"

    async def lock_endpoint(request: Request) -> Response:
        return await _teacher_act(round_, settings, request, lock)

    async def debrief_endpoint(request: Request) -> Response:
        return await _teacher_act(round_, settings, request, debrief)

    return [
        Route("/teacher", desk, methods=["GET"]),
        Route("/teacher/status.json", status, methods=["GET"]),
        Route("/teacher/lock", lock_endpoint, methods=["POST"]),
        Route("/teacher/debrief", debrief_endpoint, methods=["POST"]),
    ]


_NOTICES = {
    "locked": "The round is locked: teams can read their decisions but not change them.",
    "opened": "The round is open again: teams may revise.",
    "running": f"The debrief is running; {DEBRIEF_PAGE} appears in the round's folder when done.",
}


def run_app(app: Starlette, sock: socket.socket) -> None:
    """Serve the app on a bound socket until Ctrl-C or SIGTERM (uvicorn's graceful stop)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # nothing stands between the students and this server
        server_header=False,
        timeout_graceful_shutdown=3,
        lifespan="off",
    )
    uvicorn.Server(config).run(sockets=[sock])
