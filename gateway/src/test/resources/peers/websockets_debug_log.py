"""Runs a seed script unchanged, as __main__, with the `websockets` library's own debug log turned on.

Usage: python3 websockets_debug_log.py SCRIPT [ARGS...]

The seeds configure logging with logging.basicConfig(level=logging.INFO), which sets the root logger's level. The
`websockets` logger, set to DEBUG here before the script runs, passes its records on to the root logger's handler
(stderr) whatever the root's level, so the script's log also shows what the library does on the wire: every frame
sent ("> PING ...", "> TEXT ...") and received ("< PONG ...", "< PING ..."), and its keepalive ("% sending keepalive
ping", "% received keepalive pong"). The library decides at connection time whether to log at debug level, so the
level has to be set before the script connects; nothing of the script itself is changed.
"""
import logging
import runpy
import sys

logging.getLogger("websockets").setLevel(logging.DEBUG)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
