"""An importable ASGI app built from the environment (``uvicorn flok.service.asgi:app``)."""

from flok.service.app import create_app

app = create_app()
