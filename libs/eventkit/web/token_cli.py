"""`eventkit-token`: development key pairs and bearer tokens.

    eventkit-token keygen --dir var/keys
    eventkit-token issue --key var/keys/jwt-private.pem --sub alice --role payer \
        --payer 91320600MA1XXXXXX0 --ttl 3600
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from eventkit.web.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, issue_token, write_keypair


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eventkit-token", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    keygen = commands.add_parser("keygen", help="write an Ed25519 key pair (jwt-private.pem, jwt-public.pem)")
    keygen.add_argument("--dir", default="var/keys", help="directory to write into (default: var/keys)")
    keygen.add_argument("--force", action="store_true", help="overwrite an existing key pair")

    issue = commands.add_parser("issue", help="print a signed bearer token")
    issue.add_argument("--key", required=True, help="private key PEM file")
    issue.add_argument("--sub", required=True, help="subject (user or client id)")
    issue.add_argument("--role", action="append", default=[], help="a role; repeat for several")
    issue.add_argument("--payer", help="the payer's unified social credit code (role payer)")
    issue.add_argument("--region", help="the pooling region (6 digits) an officer is scoped to (e.g. role tax_officer)")
    issue.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    issue.add_argument("--issuer", default=DEFAULT_ISSUER)
    issue.add_argument("--audience", default=DEFAULT_AUDIENCE)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "keygen":
        try:
            private_path, public_path = write_keypair(args.dir, overwrite=args.force)
        except FileExistsError as exc:
            print(f"eventkit-token: {exc}", file=sys.stderr)
            return 1
        print(f"private key: {private_path}\npublic key:  {public_path}")
        print(f"export AUTH_JWT_PUBLIC_KEY_FILE={public_path.resolve()}")
        return 0
    if not args.role:
        print("eventkit-token: give at least one --role", file=sys.stderr)
        return 2
    pem = Path(args.key).read_text(encoding="ascii")
    token = issue_token(
        pem, args.sub, args.role, args.payer, args.ttl, region=args.region, issuer=args.issuer, audience=args.audience
    )
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
