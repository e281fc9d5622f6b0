"""`pmc create-agent`: a back-office agent's account (ID-7) — counter agent,
online reviewer, mail carriers' confirmation — made by an operator. The
password is read from the standard input, never from the command line (which
other users of the machine can see)."""

from __future__ import annotations

import argparse
import sys

from services.common.settings import Settings


def create_agent(args: argparse.Namespace) -> int:
    from services.identity.agent_desk import AgentDesk
    from services.identity.application import IdentityApplication
    from services.identity.errors import InvalidFields

    password = sys.stdin.readline().rstrip("\n")
    app = IdentityApplication(settings=Settings.from_env())
    try:
        made = AgentDesk(app).create_agent(args.email, password, list(args.role))
    except InvalidFields as refused:
        for name, problems in refused.fields.items():
            print(f"{name} : {' '.join(problems)}", file=sys.stderr)
        return 2
    finally:
        app.close()
    print(f"Agent créé : {made['agent_id']} ({', '.join(made['roles'])})")
    return 0
