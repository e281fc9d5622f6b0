"""The HTTP gateway: JSON API and web pages; calls services over RPC, owns no state."""
