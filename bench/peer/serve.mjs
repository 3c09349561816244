// The npm peer of the benchmark: oauth2-mock-server on a loopback port.
//
//   node bench/peer/serve.mjs --host 127.0.0.1 --port 8081 [--alg RS256]
//
// Its own endpoints are untouched; `/health` is added in front so the benchmark waits on
// the peer exactly as it waits on our services. SIGTERM stops it.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { OAuth2Issuer, OAuth2Service } from "oauth2-mock-server";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8081" },
    alg: { type: "string", default: "RS256" },
  },
});

const issuer = new OAuth2Issuer();
issuer.url = `http://${values.host}:${values.port}`;
await issuer.keys.generate(values.alg);
const service = new OAuth2Service(issuer);
const handler = service.requestHandler;

const server = createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"status":"ok"}');
    return;
  }
  handler(req, res);
});
server.keepAliveTimeout = 30_000;

server.listen(Number(values.port), values.host, () => {
  console.log(`oauth2-mock-server listening on ${issuer.url}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
