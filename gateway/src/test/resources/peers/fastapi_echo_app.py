"""Echo upstream for the end-to-end tests: a FastAPI WebSocket endpoint, /ws/echo, served by uvicorn on 127.0.0.1.

Usage: python3 fastapi_echo_app.py  (binds port 0 and prints "LISTENING <port>" once it accepts connections).
Prints "OPEN path=<path>" when a connection opens and "CLOSED code=<code>" when the client disconnects.
"""
import socket

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    print(f"OPEN path={websocket.url.path}", flush=True)
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect as e:
        print(f"CLOSED code={e.code}", flush=True)


if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections made from now on wait in the backlog until uvicorn accepts them
    print(f"LISTENING {sock.getsockname()[1]}", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="info"))
    server.run(sockets=[sock])
