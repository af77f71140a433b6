"""Client for the compression tests: a `websockets` 10.4 client, permessage-deflate on as it comes (or off with
"off"), that sends COUNT repetitive JSON messages, then one fragmented message, and checks every echo.

Usage: python3 deflate_client.py URI COUNT [off]
Prints "EXT <the Sec-WebSocket-Extensions of the 101, or none>", then "PAYLOAD <bytes sent in messages>" and "OK"
once every echo came back intact, and closes with 1000.
"""
import asyncio
import json
import sys

import websockets


async def main(uri, count, compression):
    async with websockets.connect(uri, compression=compression, max_size=None) as ws:
        print(f"EXT {ws.response_headers.get('Sec-WebSocket-Extensions', 'none')}", flush=True)
        payload = 0
        for i in range(count):
            message = json.dumps({"type": "quote", "seq": i, "symbol": "WSGT", "bid": 101.25, "ask": 101.5,
                                  "book": [{"price": 101 + n / 4, "size": 100 * n} for n in range(20)]})
            await ws.send(message)
            payload += len(message.encode())
            echo = await ws.recv()
            assert echo == message, f"echo {i} differs"
        parts = ["fragment one " * 200, "fragment two " * 200, "fragment three ✓ " * 200]
        await ws.send(parts)
        payload += sum(len(p.encode()) for p in parts)
        echo = await ws.recv()
        assert echo == "".join(parts), "the fragmented message's echo differs"
        print(f"PAYLOAD {payload}", flush=True)
        print("OK", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), None if sys.argv[3:] == ["off"] else "deflate"))
