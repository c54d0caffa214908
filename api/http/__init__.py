"""The HTTP API door: routers, request/response schemas, auth, idempotency, error mapping."""
