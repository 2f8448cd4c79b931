"""The OpenAPI layer: load a spec once, compile its validators, route its operations."""
