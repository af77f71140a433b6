import asyncio
import websockets
import json
import logging
logging.basicConfig(level=logging.INFO)
async def manual_heartbeat_client(uri):
    ping_interval = 20
    pong_timeout = 30
    last_pong_time = asyncio.get_event_loop().time()
    async with websockets.connect(uri) as websocket:
        logging.info("连接已建立")
        # 启动心跳任务
        heartbeat_task = asyncio.create_task(send_heartbeat(websocket, ping_interval))
        # 启动接收任务
        receive_task = asyncio.create_task(handle_responses(websocket, last_pong_time, pong_timeout))
        # 等待任务完成
        done, pending = await asyncio.wait(
            [heartbeat_task, receive_task],
            return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
async def send_heartbeat(websocket, interval):
    """手动发送心跳消息"""
    while websocket.open:
        try:
            # 发送自定义的 JSON 心跳消息
            ping_message = {"type": "ping", "timestamp": asyncio.get_event_loop().time()}
            await websocket.send(json.dumps(ping_message))
            logging.info("已发送心跳 ping")
            await asyncio.sleep(interval)
        except websockets.exceptions.ConnectionClosed:
            logging.info("发送心跳时连接已关闭")
            break
async def handle_responses(websocket, last_pong_time, timeout):
    """处理所有服务器的响应,包括 pong 和业务消息"""
    while websocket.open:
        try:
            response = await asyncio.wait_for(websocket.recv(), timeout=timeout)
            current_time = asyncio.get_event_loop().time()
            last_pong_time = current_time # 更新最后收到响应的时间
            message = json.loads(response)
            if message.get("type") == "pong":
                logging.info(f"收到心跳 pong: {response}")
            else:
                logging.info(f"收到业务消息: {response}")
        except asyncio.TimeoutError:
            logging.error(f"在 {timeout} 秒内未收到服务器的响应,认为连接已断开。")
            break # 触发连接关闭
        except websockets.exceptions.ConnectionClosed:
            logging.info("连接已关闭")
            break
        except json.JSONDecodeError:
            logging.warning("收到非 JSON 格式消息")
if __name__ == "__main__":
    WEBSOCKET_URI = "ws://localhost:8765"
    # 注意:服务器需要能处理这种自定义格式的 ping/pong
    asyncio.run(manual_heartbeat_client(WEBSOCKET_URI))
