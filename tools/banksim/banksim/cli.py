"""``banksim serve [--host H] [--port N] [--config FILE]``: the simulator in the foreground."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import uvicorn

from banksim.app import create_app, with_abort
from banksim.config import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="banksim", description="Bank simulator of the relief platform (not a service of it)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the simulator's HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8900)
    serve.add_argument("--config", help="TOML file of settings (environment variables BANKSIM_* win over it)")
    serve.add_argument("--log-level", default="info")
    show = sub.add_parser("config", help="print the effective settings as JSON (the secret left out)")
    show.add_argument("--config", help="TOML file of settings")
    args = parser.parse_args(argv)
    if getattr(args, "config", None):
        os.environ["BANKSIM_CONFIG"] = args.config
    settings = Settings()
    if args.command == "config":
        print(settings.model_dump_json(indent=2, exclude={"secret"}))
        return 0
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    app = with_abort(create_app(settings))
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level, lifespan="on")
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
