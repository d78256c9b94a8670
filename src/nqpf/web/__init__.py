"""The web dashboard (``nqpf serve``): a FastAPI app with a JSON API under ``/api/`` and a static front end."""

from nqpf.web.app import create_app

__all__ = ["create_app"]
