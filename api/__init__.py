"""The HTTP API of teichaku: FastAPI app factory, routers, auth, error mapping, CLI."""
