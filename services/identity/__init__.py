"""Professional and personal accounts, sign-in, digital identity (ID-1…ID-7)."""
