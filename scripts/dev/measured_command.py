"""The command line of the tools that run a command and measure its process tree
(memory_timeline, cpu_timeline): their options, then the command after `--`; the result printed
as one JSON object, the exit code 1 when the command failed."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path


def arguments(
    description: str, log: str, poll: float, argv=None, more: Callable | None = None
) -> argparse.Namespace:
    """--log (the command's output), --poll (seconds between samples), the tool's `more` options,
    and the command to measure, after --; the log's folder is made."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--log", type=Path, default=Path(log), help="the command's output")
    parser.add_argument("--poll", type=float, default=poll, help="seconds between samples")
    if more is not None:
        more(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args(argv)
    args.command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not args.command:
        parser.error("give the command to measure after --")
    args.log.parent.mkdir(parents=True, exist_ok=True)
    return args


def report(result: dict) -> int:
    print(json.dumps(result, indent=1))
    return 0 if result["exit_code"] == 0 else 1
