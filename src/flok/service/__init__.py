"""The Flok HTTP API: FastAPI routers over the ``flok.app`` use cases (``flok.server`` mounts them)."""
