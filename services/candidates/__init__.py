"""Candidate files: created by a school, confirmed by the candidate (CA-1…CA-5)."""
