"""The Flok HTTP service: ``create_app(settings)`` builds the FastAPI application."""

from flok.service.app import create_app
from flok.service.settings import Settings

__all__ = ["Settings", "create_app"]
