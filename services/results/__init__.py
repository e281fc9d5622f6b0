"""Exam results from the centres, published to schools and candidates (RE-1, RE-2)."""
