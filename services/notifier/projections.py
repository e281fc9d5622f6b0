"""Read models of the notifier (none yet)."""
