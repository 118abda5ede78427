// A webhook target that verifies every delivery with the npm `standardwebhooks` library (not with the
// bridge's code). Started by Bridge.IntegrationTests (Notifications/StandardWebhooksNodeTests):
// prints "LISTENING <port>", reads the subscription's secret as one line on stdin, then for each POST prints
// "VERIFIED <webhook-id> <data.id>" (answering 204) or "REFUSED <reason>" (answering 400). Each accepted
// delivery is also checked to fail with a tampered body and with another secret.
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

let secret = null;
createInterface({ input: process.stdin }).on("line", (line) => {
  secret = line.trim();
  console.log("SECRET");
});

function fails(check) {
  try {
    check();
    return false;
  } catch {
    return true;
  }
}

const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (!secret) {
      response.writeHead(503).end("no secret yet");
      return;
    }
    try {
      const event = new Webhook(secret).verify(body, request.headers);
      const tampered = body.replace(/"id":"/, '"id":"x');
      const otherSecret = "whsec_" + randomBytes(32).toString("base64");
      if (!fails(() => new Webhook(secret).verify(tampered, request.headers))) {
        throw new Error("a tampered body verified");
      }
      if (!fails(() => new Webhook(otherSecret).verify(body, request.headers))) {
        throw new Error("another secret verified");
      }
      console.log(`VERIFIED ${request.headers["webhook-id"]} ${event?.data?.id ?? event?.type}`);
      response.writeHead(204).end();
    } catch (error) {
      console.log(`REFUSED ${error.message}`);
      response.writeHead(400, { "content-type": "text/plain" }).end(error.message);
    }
  });
});

server.listen(0, "127.0.0.1", () => console.log(`LISTENING ${server.address().port}`));
// Stops by itself: a test that forgets it does not leave it running.
setTimeout(() => process.exit(0), 120_000).unref();
process.stdin.on("end", () => server.close(() => process.exit(0)));
