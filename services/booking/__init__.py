"""Reservations, cart, modification and cancellation (BO-1…BO-8)."""
