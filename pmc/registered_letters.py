"""`pmc registered-letter`: the recipient's side of the registered e-letter
simulator, for development and tests (a real provider's recipient clicks in
their mailbox): list the letters sent to an address, read one (a notice
until accepted), accept it (« accuser réception ») or refuse it."""

from __future__ import annotations

import argparse
import sys

from services.common.settings import Settings
from services.notifier.registered_letters import (
    LetterStateError,
    registered_letter_provider,
)

ACTIONS = ("list", "show", "accept", "refuse")


def add_parser(sub: argparse._SubParsersAction) -> None:
    letters = sub.add_parser(
        "registered-letter",
        help="the registered e-letter simulator's recipient (development only)",
    )
    letters.add_argument("action", choices=ACTIONS)
    letters.add_argument("target", help="an e-mail address (list) or a letter id")


def run(args: argparse.Namespace) -> int:
    provider = registered_letter_provider(Settings.from_env())
    try:
        if args.action == "list":
            for letter_id in provider.letters_to(args.target):
                print(letter_id, provider.status(letter_id).status)
        elif args.action == "show":
            print(provider.read(args.target), end="")
        elif args.action == "accept":
            print(provider.acknowledge(args.target), end="")
        else:
            print(provider.refuse(args.target), end="")
    except LetterStateError as refused:
        print(refused, file=sys.stderr)
        return 2
    return 0
