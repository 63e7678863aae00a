// Yardstick (i): the least a Node server can do for a Slack request: read the body, answer 200.
// No verification, no parsing. Prints {"port":N} once listening.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  });
});
// Same keep-alive window as Slipway's server, so neither closes the generator's connections.
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
