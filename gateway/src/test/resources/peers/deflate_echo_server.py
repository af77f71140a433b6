"""Echo upstream for the compression tests: a `websockets` 10.4 server on 127.0.0.1, permessage-deflate on as it
comes (or off with "off"), that sends back every message as it came (a fragmented one fragmented alike).

Usage: python3 deflate_echo_server.py PORT [off]  (port 0: the OS chooses; printed as "LISTENING <port>").
Prints "OPEN ext=<its Sec-WebSocket-Extensions answer, or none>" when a connection opens and
"CLOSED code=<code>" when it ends.
"""
import asyncio
import sys

import websockets


async def echo(websocket):
    print(f"OPEN ext={websocket.response_headers.get('Sec-WebSocket-Extensions', 'none')}", flush=True)
    try:
        async for message in websocket:
            await websocket.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass
    print(f"CLOSED code={websocket.close_code}", flush=True)


async def main(port, compression):
    async with websockets.serve(echo, "127.0.0.1", port, compression=compression, max_size=None) as server:
        print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()  # until the test ends the process


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), None if sys.argv[2:] == ["off"] else "deflate"))
