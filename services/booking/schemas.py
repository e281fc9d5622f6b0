"""RPC payloads of the booking service: plain dicts built by the application."""
