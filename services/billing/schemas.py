"""RPC payloads of the billing service: plain dicts built by the application."""
