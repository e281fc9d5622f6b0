"""RPC payloads of the notifier (none yet: it only consumes events)."""
