"""Messages to schools and candidates: e-mail, letters, SMS (NO-1…NO-4)."""
