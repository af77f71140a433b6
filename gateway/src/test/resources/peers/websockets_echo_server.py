"""Echo upstream for the end-to-end tests: a `websockets` server on 127.0.0.1 that sends back every message.

Usage: python3 websockets_echo_server.py PORT  (0: the OS chooses; the port is printed as "LISTENING <port>").
Prints "OPEN path=<path>" when a connection opens and "CLOSED code=<code> reason=<reason>" when it ends, so that
the test sees how the close arrived here.
"""
import asyncio
import sys

import websockets


async def echo(websocket):
    print(f"OPEN path={websocket.path}", flush=True)
    try:
        async for message in websocket:
            await websocket.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass
    print(f"CLOSED code={websocket.close_code} reason={websocket.close_reason}", flush=True)


async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port) as server:
        print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()  # until the test ends the process


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
