/**
 * UDP echo server (target of the udp scenario). Usage: node udp-echo.js PORT. Prints `listening PORT`.
 */
import dgram from 'node:dgram';

const port = Number(process.argv[2]);
const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
s.on('error', () => undefined);
s.bind(port, '127.0.0.1', () => console.log(`listening ${port}`));
