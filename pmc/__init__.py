"""pmc: the platform's command line (run it, follow its logs, replay them)."""
