"""Application factory: create_app(settings) builds the whole sandbox, nothing at import."""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

with warnings.catch_warnings():
    # starlette 1.x asks for httpx2 when connexion imports its test client; harmless here.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import connexion
from connexion.middleware import MiddlewarePosition
from connexion.resolver import RelativeResolver
from connexion.spec import OpenAPISpecification
from werkzeug.routing import UnicodeConverter

import opco_server.models  # noqa: F401  (connexion imports handlers lazily; tables must exist)
from opco_server import errors
from opco_server.config import Settings
from opco_server.console import register_console
from opco_server.donnees.seed import preparer_base
from opco_server.horloge import Horloge
from opco_server.http import context
from opco_server.http.contrat import ContratMiddleware
from opco_server.http.limites import LimiteCorpsMiddleware
from opco_server.http.pannes import PannesMiddleware
from opco_server.http.routage import CONTROL_PREFIX, RoutingMiddleware
from opco_server.http.security import SECURITY_MAP
from opco_server.http.validation import VALIDATOR_MAP
from opco_server.journal.capture import JournalMiddleware
from opco_server.journal.ecrivain import JournalWriter
from opco_server.sandbox import Sandbox


def create_app(
    settings: Settings | None = None, horloge: Horloge | None = None
) -> connexion.FlaskApp:
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    # A client's malformed PDF is its problem, not a server warning: pypdf's recovery notes stay
    # out of the logs (a hostile file could otherwise write thousands of lines).
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    sandbox = Sandbox(settings, horloge)
    sandbox.journal = JournalWriter(sandbox)
    preparer_base(sandbox)

    app = connexion.FlaskApp(__name__, specification_dir=str(settings.spec_dir))
    app.app.url_map.converters["default"] = app.app.url_map.converters["string"] = _Segment
    with _spec_deja_validee():
        _add_apis(app, sandbox, settings)
    # Outermost: the journal sees every final response, errors included.
    app.add_middleware(
        JournalMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION, sandbox=sandbox
    )
    if settings.proxy_de_confiance:
        # Only when the operator says so: the scheme (Secure cookies) and client address
        # (throttling) a trusted reverse proxy reports; uvicorn's own implementation.
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(
            ProxyHeadersMiddleware,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            trusted_hosts=list(settings.proxy_de_confiance),
        )
    app.add_middleware(
        RoutingMiddleware, position=MiddlewarePosition.BEFORE_SWAGGER, sandbox=sandbox
    )
    # Inside the prefix (413s in the OPCO's dialect), before anything reads a body.
    app.add_middleware(
        LimiteCorpsMiddleware, position=MiddlewarePosition.BEFORE_SWAGGER, sandbox=sandbox
    )
    app.add_middleware(
        PannesMiddleware, position=MiddlewarePosition.BEFORE_SWAGGER, sandbox=sandbox
    )
    # /{opco}/openapi.json: that OPCO's own contract, before connexion's one document.
    app.add_middleware(
        ContratMiddleware, position=MiddlewarePosition.BEFORE_SWAGGER, sandbox=sandbox
    )
    for exc, handler in errors.HANDLERS:
        app.add_error_handler(exc, handler)
    app.add_url_rule("/", "accueil", _home)

    flask_app = app.app
    flask_app.extensions["opco.sandbox"] = sandbox
    register_console(flask_app)
    flask_app.teardown_appcontext(context.close_session)
    flask_app.before_request(_catch_up)
    return app


def _add_apis(app: connexion.FlaskApp, sandbox: Sandbox, settings: Settings) -> None:
    """The norm's API at the root (one prefix per OPCO, stripped by RoutingMiddleware) and
    the control API under /_sandbox, from the documents the sandbox already parsed."""
    app.add_api(
        copy.deepcopy(sandbox.spec),
        base_path="",
        resolver=RelativeResolver("opco_server.api"),
        pythonic_params=True,
        strict_validation=True,
        validate_responses=settings.validate_responses,
        validator_map=VALIDATOR_MAP,
        security_map=SECURITY_MAP,
    )
    app.add_api(
        copy.deepcopy(sandbox.spec_pilotage),
        base_path=CONTROL_PREFIX,
        resolver=RelativeResolver("opco_server.api"),
        pythonic_params=True,
        # An unknown query parameter is a 400 PARAM_UNKNOWN, as on the norm's API.
        strict_validation=True,
        validator_map=VALIDATOR_MAP,
        validate_responses=settings.validate_responses,
    )


class _Segment(UnicodeConverter):
    """A path parameter, as connexion's router sees it: one segment without a newline.

    connexion routes `/_sandbox` through a Starlette mount whose `.*` stops at a newline, so a
    path parameter holding `%0A` reached Flask's view without connexion's operation (a 500).
    Flask now refuses it too: such a path is a 404 ROUTE_NOT_FOUND, like any unknown path.
    """

    def __init__(self, map, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\n]", 1)


@contextmanager
def _spec_deja_validee() -> Iterator[None]:
    """Skip connexion's start-up validation of the two specs (~0.1 s of every cold start).

    The specs are files of this repository, validated by tests/contract/test_spec.py with
    connexion's own validator (the same call) and openapi-spec-validator; at start-up the check
    can only repeat a verdict CI already gave. Restored as soon as the APIs are added.
    """
    OpenAPISpecification._validate_spec = classmethod(lambda cls, spec: None)
    try:
        yield
    finally:
        del OpenAPISpecification._validate_spec  # back to connexion's own (base class) check


def _catch_up() -> None:
    """Before any API call, the back office does what became due on the sandbox clock.

    Whether anything is due comes from the shared row this request already read
    (Sandbox.synchroniser): the common case costs no query at all."""
    from opco_server.services import partage, simulateur

    sandbox = context.sandbox()
    now = sandbox.horloge.maintenant()
    prochaine = sandbox.etat.prochaine_action
    if prochaine is None or prochaine > now:
        return
    with sandbox.session() as session:
        simulateur.traiter(session, sandbox, now)
        partage.recalculer(session)
        session.commit()


def _home():
    sandbox = context.sandbox()
    return {
        "service": "OPCO Sandbox",
        "opcos": {
            o.id: {"nom": o.nom, "baseUrl": f"/{o.id}", "swaggerUi": f"/{o.id}/ui/"}
            for o in sandbox.opcos
        },
        "pilotage": CONTROL_PREFIX + "/ui/",
    }
