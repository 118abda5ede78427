#!/usr/bin/env node
// TEST INFRASTRUCTURE ONLY — NOT A DATABASE.
//
// A MongoDB wire-protocol stand-in for the bridge's tests (see shared/specs/platform.md: no MongoDB server is
// installable on the build machines). It keeps data in memory, speaks just enough of the protocol for
// libmongoc 1.23 (the legacy OP_QUERY isMaster handshake answered with OP_REPLY, then OP_MSG), and takes all
// query semantics from the npm packages `mingo` (query/aggregation language) and `bson` (MongoDB's BSON), not
// from code of its own. Every command it receives is appended as one JSON line to the command log
// (--command-log FILE) and can also be read back with the admin command {standinCommandLog: 1}, so tests can
// prove what did (and did not) reach the server.
//
// Usage: node server.js --port N [--command-log FILE] [--parent-pid PID]
// With --parent-pid it exits when that process is gone, so a crashed test run leaves no server behind.
// Set BRIDGE_TEST_MONGO_URI to run the same tests against a real mongod instead.
'use strict';

const net = require('node:net');
const fs = require('node:fs');
const BSON = require('bson');
const mingo = require('mingo');

const { Long, ObjectId, EJSON } = BSON;

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const MAX_BSON = 16 * 1024 * 1024;

const args = parseArgs(process.argv.slice(2));
const port = Number(args.port ?? 27017);
const commandLogPath = args['command-log'];

/** db name -> collection name -> { docs: object[], indexes: object[] } */
const databases = new Map();
/** cursor id (string) -> { ns, docs, position } */
const cursors = new Map();
const commandLog = [];
let nextCursorId = 1n;
let nextRequestId = 1;

function parseArgs(argv) {
  const parsed = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      parsed[argv[i].slice(2)] = argv[i + 1];
      i++;
    }
  }
  return parsed;
}

function collectionOf(db, name, create) {
  let collections = databases.get(db);
  if (!collections) {
    if (!create) return undefined;
    collections = new Map();
    databases.set(db, collections);
  }
  let collection = collections.get(name);
  if (!collection && create) {
    collection = { docs: [], indexes: [{ v: 2, key: { _id: 1 }, name: '_id_' }] };
    collections.set(name, collection);
  }
  return collection;
}

class CommandError extends Error {
  constructor(code, codeName, message) {
    super(message);
    this.code = code;
    this.codeName = codeName;
  }
}

function record(command, db) {
  // Relaxed EJSON keeps the log readable and shows operators such as $where verbatim.
  const entry = { at: new Date().toISOString(), db, command: EJSON.serialize(command, { relaxed: true }) };
  commandLog.push(entry);
  if (commandLogPath) {
    fs.appendFileSync(commandLogPath, JSON.stringify(entry) + '\n');
  }
}

function helloReply() {
  return {
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: MAX_BSON,
    maxMessageSizeBytes: 48000000,
    maxWriteBatchSize: 100000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: 1,
    minWireVersion: 0,
    maxWireVersion: 17,
    readOnly: false,
    ok: 1,
  };
}

function cursorReply(ns, docs, batchSize, first) {
  const size = batchSize > 0 ? batchSize : (first ? 101 : docs.length);
  const batch = docs.slice(0, size);
  let id = 0n;
  if (docs.length > size) {
    id = nextCursorId++;
    cursors.set(id.toString(), { ns, docs: docs.slice(size) });
  }
  return { cursor: { id: Long.fromBigInt(id), ns, [first ? 'firstBatch' : 'nextBatch']: batch }, ok: 1 };
}

function query(docs, filter, projection) {
  return mingo.find(docs, filter ?? {}, projection && Object.keys(projection).length > 0 ? projection : undefined);
}

function clone(doc) {
  return BSON.deserialize(BSON.serialize(doc), { useBigInt64: true });
}

function isOperatorUpdate(update) {
  return Object.keys(update).some((k) => k.startsWith('$'));
}

function checkDocument(doc) {
  for (const key of Object.keys(doc)) {
    if (key.startsWith('$')) {
      throw new CommandError(2, 'BadValue', `Document can't have $ prefixed field names: ${key}`);
    }
  }
}

function sameId(a, b) {
  return mingo.find([{ _id: a }], { _id: b }).all().length === 1;
}

function findIndex(docs, id) {
  return docs.findIndex((d) => sameId(d._id, id));
}

const handlers = {
  hello: () => helloReply(),
  ismaster: () => helloReply(),
  isMaster: () => helloReply(),
  ping: () => ({ ok: 1 }),
  buildInfo: () => ({ version: '6.0.0-standin', versionArray: [6, 0, 0, 0], maxBsonObjectSize: MAX_BSON, ok: 1 }),
  buildinfo: () => handlers.buildInfo(),
  getLastError: () => ({ ok: 1, err: null }),
  endSessions: () => ({ ok: 1 }),
  standinCommandLog: () => ({ log: commandLog.map((e) => JSON.stringify(e)), ok: 1 }),

  listCollections: (cmd, db) => {
    const collections = databases.get(db) ?? new Map();
    const all = [...collections.keys()].map((name) => ({ name, type: 'collection', options: {}, info: { readOnly: false } }));
    return cursorReply(`${db}.$cmd.listCollections`, query(all, cmd.filter).all(), cmd.cursor?.batchSize, true);
  },

  listIndexes: (cmd, db) => {
    const collection = collectionOf(db, cmd.listIndexes, false);
    if (!collection) throw new CommandError(26, 'NamespaceNotFound', `ns does not exist: ${db}.${cmd.listIndexes}`);
    return cursorReply(`${db}.${cmd.listIndexes}`, collection.indexes.map(clone), cmd.cursor?.batchSize, true);
  },

  createIndexes: (cmd, db) => {
    const existed = collectionOf(db, cmd.createIndexes, false) !== undefined;
    const collection = collectionOf(db, cmd.createIndexes, true);
    const before = collection.indexes.length;
    for (const index of cmd.indexes ?? []) {
      const same = collection.indexes.find((i) => i.name === index.name);
      if (same) continue;
      collection.indexes.push({ v: 2, ...index });
    }
    return { createdCollectionAutomatically: !existed, numIndexesBefore: before, numIndexesAfter: collection.indexes.length, ok: 1 };
  },

  drop: (cmd, db) => {
    const collections = databases.get(db);
    if (!collections || !collections.delete(cmd.drop)) {
      throw new CommandError(26, 'NamespaceNotFound', 'ns not found');
    }
    return { ns: `${db}.${cmd.drop}`, nIndexesWas: 1, ok: 1 };
  },

  dropDatabase: (cmd, db) => {
    databases.delete(db);
    return { ok: 1 };
  },

  find: (cmd, db) => {
    const collection = collectionOf(db, cmd.find, false);
    const ns = `${db}.${cmd.find}`;
    if (!collection) return cursorReply(ns, [], 0, true);
    let cursor = query(collection.docs, cmd.filter, cmd.projection);
    if (cmd.sort && Object.keys(cmd.sort).length > 0) cursor = cursor.sort(cmd.sort);
    if (cmd.skip) cursor = cursor.skip(Number(cmd.skip));
    const limit = Math.abs(Number(cmd.limit ?? 0));
    if (limit) cursor = cursor.limit(limit);
    const docs = cursor.all().map(clone);
    if (cmd.singleBatch || Number(cmd.limit ?? 0) < 0) {
      return { cursor: { id: Long.fromNumber(0), ns, firstBatch: docs }, ok: 1 };
    }
    return cursorReply(ns, docs, Number(cmd.batchSize ?? 0), true);
  },

  getMore: (cmd, db) => {
    const key = BigInt(cmd.getMore.toString()).toString();
    const open = cursors.get(key);
    if (!open) throw new CommandError(43, 'CursorNotFound', `cursor id ${key} not found`);
    cursors.delete(key);
    return cursorReply(open.ns, open.docs, Number(cmd.batchSize ?? 0), false);
  },

  killCursors: (cmd) => {
    const killed = [];
    for (const id of cmd.cursors ?? []) {
      const key = BigInt(id.toString()).toString();
      if (cursors.delete(key)) killed.push(id);
    }
    return { cursorsKilled: killed, cursorsNotFound: [], cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  },

  insert: (cmd, db) => {
    const collection = collectionOf(db, cmd.insert, true);
    const writeErrors = [];
    let n = 0;
    (cmd.documents ?? []).forEach((doc, index) => {
      try {
        checkDocument(doc);
        if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
        if (findIndex(collection.docs, doc._id) >= 0) {
          throw new CommandError(11000, 'DuplicateKey',
            `E11000 duplicate key error collection: ${db}.${cmd.insert} index: _id_ dup key: { _id: ${EJSON.stringify(doc._id)} }`);
        }
        collection.docs.push(clone(doc));
        n++;
      } catch (e) {
        writeErrors.push({ index, code: e.code ?? 1, errmsg: e.message });
      }
    });
    return writeErrors.length > 0 ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
  },

  update: (cmd, db) => {
    const collection = collectionOf(db, cmd.update, true);
    let n = 0;
    let nModified = 0;
    const upserted = [];
    const writeErrors = [];
    (cmd.updates ?? []).forEach((u, index) => {
      try {
        const matches = query(collection.docs, u.q).all();
        const targets = u.multi ? matches : matches.slice(0, 1);
        if (targets.length === 0 && u.upsert) {
          let doc;
          if (isOperatorUpdate(u.u)) {
            doc = {};
            mingo.update(doc, u.u);
          } else {
            checkDocument(u.u);
            doc = { ...u.u };
          }
          if (doc._id === undefined) {
            const equality = u.q?._id;
            doc = { _id: equality !== undefined && (typeof equality !== 'object' || equality instanceof ObjectId) ? equality : new ObjectId(), ...doc };
          }
          collection.docs.push(clone(doc));
          upserted.push({ index, _id: doc._id });
          n++;
          return;
        }
        for (const target of targets) {
          if (isOperatorUpdate(u.u)) {
            mingo.update(target, u.u);
          } else {
            checkDocument(u.u);
            const position = collection.docs.indexOf(target);
            const { _id, ...rest } = u.u;
            collection.docs[position] = clone({ _id: target._id, ...rest });
          }
          n++;
          nModified++;
        }
      } catch (e) {
        writeErrors.push({ index, code: e.code ?? 1, errmsg: e.message });
      }
    });
    const reply = { n, nModified, ok: 1 };
    if (upserted.length > 0) reply.upserted = upserted;
    if (writeErrors.length > 0) reply.writeErrors = writeErrors;
    return reply;
  },

  delete: (cmd, db) => {
    const collection = collectionOf(db, cmd.delete, false);
    let n = 0;
    if (collection) {
      for (const d of cmd.deletes ?? []) {
        const matches = query(collection.docs, d.q).all();
        const victims = Number(d.limit) === 1 ? matches.slice(0, 1) : matches;
        collection.docs = collection.docs.filter((doc) => !victims.includes(doc));
        n += victims.length;
      }
    }
    return { n, ok: 1 };
  },

  count: (cmd, db) => {
    const collection = collectionOf(db, cmd.count, false);
    let cursor = query(collection?.docs ?? [], cmd.query);
    if (cmd.skip) cursor = cursor.skip(Number(cmd.skip));
    if (cmd.limit) cursor = cursor.limit(Math.abs(Number(cmd.limit)));
    return { n: cursor.all().length, ok: 1 };
  },

  aggregate: (cmd, db) => {
    const pipeline = cmd.pipeline ?? [];
    if (pipeline.some((stage) => stage.$changeStream !== undefined)) {
      // What a standalone mongod answers too: change streams need a replica set.
      throw new CommandError(40573, 'Location40573', 'The $changeStream stage is only supported on replica sets');
    }
    const collection = collectionOf(db, cmd.aggregate, false);
    const docs = mingo.aggregate(collection?.docs ?? [], pipeline).map(clone);
    return cursorReply(`${db}.${cmd.aggregate}`, docs, Number(cmd.cursor?.batchSize ?? 0), true);
  },
};

function runCommand(cmd, db) {
  record(cmd, db);
  const name = Object.keys(cmd)[0];
  const handler = handlers[name];
  try {
    if (!handler) throw new CommandError(59, 'CommandNotFound', `no such command: '${name}'`);
    return handler(cmd, db);
  } catch (e) {
    if (e instanceof CommandError) return { ok: 0, errmsg: e.message, code: e.code, codeName: e.codeName };
    // mingo refuses operators it does not know or cannot run: the client sees a query error, as from mongod.
    return { ok: 0, errmsg: String(e.message ?? e), code: 2, codeName: 'BadValue' };
  }
}

// --- TTL monitor: like mongod's, removes documents whose indexed date is older than expireAfterSeconds. ---
setInterval(() => {
  const now = Date.now();
  for (const collections of databases.values()) {
    for (const collection of collections.values()) {
      for (const index of collection.indexes) {
        if (index.expireAfterSeconds === undefined) continue;
        const field = Object.keys(index.key)[0];
        const ttlMs = Number(index.expireAfterSeconds) * 1000;
        collection.docs = collection.docs.filter((d) => !(d[field] instanceof Date && d[field].getTime() + ttlMs <= now));
      }
    }
  }
}, 1000).unref();

// --- wire protocol ---

function header(length, requestId, responseTo, opCode) {
  const b = Buffer.alloc(16);
  b.writeInt32LE(length, 0);
  b.writeInt32LE(requestId, 4);
  b.writeInt32LE(responseTo, 8);
  b.writeInt32LE(opCode, 12);
  return b;
}

function opReply(responseTo, doc) {
  const body = BSON.serialize(doc);
  const fixed = Buffer.alloc(20);
  fixed.writeInt32LE(0, 0); // responseFlags
  fixed.writeBigInt64LE(0n, 4); // cursorID
  fixed.writeInt32LE(0, 12); // startingFrom
  fixed.writeInt32LE(1, 16); // numberReturned
  const length = 16 + fixed.length + body.length;
  return Buffer.concat([header(length, nextRequestId++, responseTo, OP_REPLY), fixed, body]);
}

function opMsg(responseTo, doc) {
  const body = BSON.serialize(doc);
  const flags = Buffer.alloc(5);
  flags.writeUInt32LE(0, 0);
  flags.writeUInt8(0, 4); // section kind 0
  const length = 16 + flags.length + body.length;
  return Buffer.concat([header(length, nextRequestId++, responseTo, OP_MSG), flags, body]);
}

function readCString(buffer, offset) {
  const end = buffer.indexOf(0, offset);
  return { value: buffer.toString('utf8', offset, end), next: end + 1 };
}

function deserialize(buffer, offset) {
  const size = buffer.readInt32LE(offset);
  return { doc: BSON.deserialize(buffer.subarray(offset, offset + size), { useBigInt64: true }), next: offset + size };
}

function handleMessage(socket, message) {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_QUERY) {
    let offset = 20; // header + flags
    const ns = readCString(message, offset);
    offset = ns.next + 8; // numberToSkip, numberToReturn
    const { doc } = deserialize(message, offset);
    const db = ns.value.split('.')[0];
    const cmd = doc.$query ?? doc.query ?? doc;
    socket.write(opReply(requestId, runCommand(cmd, db)));
    return;
  }

  if (opCode !== OP_MSG) {
    socket.destroy();
    return;
  }

  const flagBits = message.readUInt32LE(16);
  const end = message.length - ((flagBits & 1) !== 0 ? 4 : 0);
  let offset = 20;
  let body;
  while (offset < end) {
    const kind = message.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      const parsed = deserialize(message, offset);
      body = parsed.doc;
      offset = parsed.next;
    } else {
      const sectionEnd = offset + message.readInt32LE(offset);
      const identifier = readCString(message, offset + 4);
      const docs = [];
      let at = identifier.next;
      while (at < sectionEnd) {
        const parsed = deserialize(message, at);
        docs.push(parsed.doc);
        at = parsed.next;
      }
      body[identifier.value] = docs;
      offset = sectionEnd;
    }
  }

  const db = body.$db ?? 'admin';
  const reply = runCommand(body, db);
  if ((flagBits & 2) === 0) {
    // moreToCome unset: the client waits for an answer.
    socket.write(opMsg(requestId, reply));
  }
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readInt32LE(0);
      if (pending.length < length) break;
      const message = pending.subarray(0, length);
      pending = pending.subarray(length);
      try {
        handleMessage(socket, message);
      } catch (e) {
        process.stderr.write(`standin: dropped a connection after a bad message: ${e.stack}\n`);
        socket.destroy();
        return;
      }
    }
  });
  socket.on('error', () => socket.destroy());
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`mongo-standin listening on ${server.address().port}\n`);
});

if (args['parent-pid']) {
  const parent = Number(args['parent-pid']);
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 1000).unref();
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
