// coalescingSocket (hosts/ssh.ts): the writes of one tick reach the kernel as one write request,
// in order; a write in a later tick is not held back for the next one.
import test from 'ava';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { coalescingSocket } from '../../../hosts/ssh.ts';

/** Counts the write requests the socket hands its TCP handle (each one a write(2)/writev(2)). */
function countRequests(socket: Socket): { count: number } {
  const counter = { count: 0 };
  const handle = (socket as unknown as { _handle: Record<string, (...args: unknown[]) => unknown> })._handle;
  for (const name of ['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString']) {
    const original = handle[name];
    if (typeof original !== 'function') continue;
    handle[name] = function (this: unknown, ...args: unknown[]) {
      counter.count += 1;
      return original.apply(this, args);
    };
  }
  return counter;
}

test('the pieces written in one tick go as one write request, in order; the next tick\'s as another', async (t) => {
  const received: Buffer[] = [];
  const server = createServer((peer) => peer.on('data', (d: Buffer) => received.push(d)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const socket = coalescingSocket({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const requests = countRequests(socket);

  // What ssh2 does for one packet: length, ciphertext, tag, each its own write call.
  socket.write(Buffer.from('len|'));
  socket.write(Buffer.from('ciphertext|'));
  socket.write(Buffer.from('tag|'));
  t.is(requests.count, 0, 'held until the tick ends');
  await new Promise((resolve) => setImmediate(resolve));
  t.is(requests.count, 1);

  socket.write(Buffer.from('next'));
  await new Promise((resolve) => setImmediate(resolve));
  t.is(requests.count, 2, 'a later tick is written in its own tick');

  socket.end();
  await once(socket, 'close');
  while (Buffer.concat(received).length < 'len|ciphertext|tag|next'.length) await new Promise((resolve) => setTimeout(resolve, 5));
  t.is(Buffer.concat(received).toString(), 'len|ciphertext|tag|next');
});
