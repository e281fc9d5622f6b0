"""RPC payloads of the identity service: what travels is already plain data;
field-level checks live in rules.py so that every field's error comes back at
once, and the gateway's schemas (which also make the OpenAPI document) check
shapes and types before the call."""
