"""An importable ASGI app built from the environment (``uvicorn flok.server.asgi:app``)."""

from flok.server import create_app

app = create_app()
