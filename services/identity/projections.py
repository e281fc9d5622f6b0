"""Read models of identity (none yet: accounts are read by id or e-mail claim)."""
