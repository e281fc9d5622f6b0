"""Exam centres, sessions and their seats (SC-1…SC-4)."""
