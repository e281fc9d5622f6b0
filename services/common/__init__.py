"""Plumbing every service shares: store, relay, consumers, contracts, clock."""
