"""RPC payloads of the candidates service: plain dicts checked by rules.py,
which reports every field at once; the gateway's schemas check their shape."""
