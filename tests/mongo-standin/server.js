#!/usr/bin/env node
// TEST INFRASTRUCTURE ONLY — NOT A DATABASE.
//
// A MongoDB wire-protocol stand-in for the bridge's tests (see shared/specs/platform.md: no MongoDB server is
// installable on the build machines). It keeps data in memory, speaks just enough of the protocol for the
// official drivers (OP_MSG, plus the legacy OP_QUERY handshake answered with OP_REPLY), and takes all query
// semantics from the npm packages `mingo` (query/aggregation language) and `bson` (MongoDB's BSON), not from
// code of its own. Every command it receives is appended as one JSON line to the command log
// (--command-log FILE) and can also be read back with the admin command {standinCommandLog: 1}, so tests can
// prove what did (and did not) reach the server.
//
// Change streams: by default it answers `hello` as the primary of a one-member replica set and serves
// `aggregate` with a leading $changeStream (resumeAfter, startAfter, startAtOperationTime, fullDocument
// updateLookup) and `getMore` that waits up to maxTimeMS, with postBatchResumeToken. Inserts, updates,
// replacements, deletes and TTL removals are events; drops are not (the bridge's tests never drop a
// collection they watch). With --standalone it answers as a standalone mongod does (no setName, and
// $changeStream refused with code 40573). With --data-file FILE its writes are journalled to FILE and replayed
// at start, so a restart keeps data and change history (and resume tokens stay valid), as a mongod does.
//
// Usage: node server.js --port N [--command-log FILE] [--data-file FILE] [--standalone] [--parent-pid PID]
// With --parent-pid it exits when that process is gone, so a crashed test run leaves no server behind.
// Set BRIDGE_TEST_MONGO_URI to run the same tests against a real mongod instead.
'use strict';

const net = require('node:net');
const fs = require('node:fs');
const BSON = require('bson');
const mingo = require('mingo');

const { Long, ObjectId, EJSON, Timestamp } = BSON;

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const MAX_BSON = 16 * 1024 * 1024;

const args = parseArgs(process.argv.slice(2));
const port = Number(args.port ?? 27017);
const commandLogPath = args['command-log'];
const dataFile = args['data-file'];
const standalone = args.standalone === true;
const replicaSetName = 'standin';
const address = `127.0.0.1:${port}`;

/** db name -> collection name -> { docs: object[], indexes: object[] } */
const databases = new Map();
/** cursor id (string) -> { ns, docs, position } */
const cursors = new Map();
const commandLog = [];
let nextCursorId = 1n;
let nextRequestId = 1;

// --- change history: one event per write, as the oplog would give them ---
/** Identifies this data's history: tokens of another history (a restart without --data-file) are unknown. */
let epoch = new ObjectId().toHexString();
/** Every change event, oldest first; seq is its position (1-based). */
const events = [];
/** Resolvers of getMore calls waiting for the next event. */
let waiters = [];
let lastClusterSeconds = 0;
let clusterIncrement = 0;

function parseArgs(argv) {
  const parsed = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        parsed[argv[i].slice(2)] = true;
      } else {
        parsed[argv[i].slice(2)] = value;
        i++;
      }
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
    collection = { db, name, docs: [], indexes: [{ v: 2, key: { _id: 1 }, name: '_id_' }] };
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
  const replicaSet = standalone ? {} : {
    setName: replicaSetName,
    setVersion: 1,
    hosts: [address],
    primary: address,
    me: address,
    electionId: new ObjectId('7fffffff0000000000000001'),
  };
  return {
    ...replicaSet,
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

function nextClusterTime() {
  const seconds = Math.floor(Date.now() / 1000);
  if (seconds > lastClusterSeconds) {
    lastClusterSeconds = seconds;
    clusterIncrement = 0;
  }
  clusterIncrement++;
  return new Timestamp({ t: lastClusterSeconds, i: clusterIncrement });
}

function currentClusterTime() {
  return new Timestamp({ t: lastClusterSeconds || Math.floor(Date.now() / 1000), i: clusterIncrement });
}

function tokenFor(seq) {
  return { _data: `${epoch}${seq.toString(16).padStart(16, '0')}` };
}

/** The position a token stands for, or undefined when it is not one of this history's. */
function positionOf(token) {
  const data = token?._data;
  if (typeof data !== 'string' || data.length !== 40 || !data.startsWith(epoch)) return undefined;
  const seq = Number.parseInt(data.slice(24), 16);
  return Number.isSafeInteger(seq) && seq <= events.length ? seq : undefined;
}

function journal(entry) {
  if (dataFile) fs.appendFileSync(dataFile, EJSON.stringify(entry, { relaxed: false }) + '\n');
}

/** Records a change (and journals it with the document as it now is, so a restart can replay it). */
function emit(db, coll, operationType, documentKey, fullDocument, updateDescription) {
  const event = {
    seq: events.length + 1,
    clusterTime: nextClusterTime(),
    wallTime: new Date(),
    operationType,
    db,
    coll,
    documentKey: clone(documentKey),
    fullDocument: fullDocument === undefined ? undefined : clone(fullDocument),
    updateDescription,
  };
  events.push(event);
  journal({ event });
  const ready = waiters;
  waiters = [];
  for (const wake of ready) wake();
}

function describeUpdate(before, after) {
  const updatedFields = {};
  const removedFields = [];
  for (const [key, value] of Object.entries(after)) {
    if (key === '_id') continue;
    if (!(key in before) || EJSON.stringify(before[key]) !== EJSON.stringify(value)) updatedFields[key] = value;
  }
  for (const key of Object.keys(before)) {
    if (!(key in after)) removedFields.push(key);
  }
  return { updatedFields, removedFields, truncatedArrays: [] };
}

/** The event as a change stream delivers it. */
function changeDocument(event, stream) {
  const change = {
    _id: tokenFor(event.seq),
    operationType: event.operationType,
    clusterTime: event.clusterTime,
    wallTime: event.wallTime,
    ns: { db: event.db, coll: event.coll },
    documentKey: event.documentKey,
  };
  if (event.operationType === 'insert' || event.operationType === 'replace') {
    change.fullDocument = event.fullDocument;
  } else if (event.operationType === 'update') {
    change.updateDescription = event.updateDescription;
    if (stream.fullDocument === 'updateLookup') {
      // As mongod does: the document as it is now (null when it has gone since).
      const current = collectionOf(event.db, event.coll, false)?.docs.find((d) => sameId(d._id, event.documentKey._id));
      change.fullDocument = current ? clone(current) : null;
    }
  }
  return change;
}

/** Events after the stream's position, through its own pipeline stages; advances the position. */
function drainStream(stream, limit) {
  const batch = [];
  while (stream.position < events.length && batch.length < limit) {
    const event = events[stream.position];
    stream.position++;
    if (event.db !== stream.db || (stream.coll !== undefined && event.coll !== stream.coll)) continue;
    if (stream.startAtOperationTime && event.clusterTime.compare(stream.startAtOperationTime) < 0) continue;
    const change = changeDocument(event, stream);
    const kept = stream.stages.length > 0 ? mingo.aggregate([change], stream.stages) : [change];
    batch.push(...kept.map(clone));
  }
  return batch;
}

function streamReply(id, stream, batch, first) {
  return {
    cursor: {
      id: Long.fromBigInt(id),
      ns: stream.ns,
      [first ? 'firstBatch' : 'nextBatch']: batch,
      postBatchResumeToken: tokenFor(stream.position),
    },
    operationTime: currentClusterTime(),
    ok: 1,
  };
}

function openChangeStream(cmd, db) {
  if (standalone) {
    // What a standalone mongod answers: change streams need a replica set.
    throw new CommandError(40573, 'Location40573', 'The $changeStream stage is only supported on replica sets');
  }
  const [first, ...stages] = cmd.pipeline;
  const options = first.$changeStream ?? {};
  const token = options.resumeAfter ?? options.startAfter;
  let position = events.length;
  if (token !== undefined) {
    position = positionOf(token);
    if (position === undefined) {
      throw new CommandError(286, 'ChangeStreamHistoryLost',
        'Resume of change stream was not possible, as the resume point may no longer be in the oplog.');
    }
  }
  const coll = cmd.aggregate === 1 ? undefined : cmd.aggregate;
  const stream = {
    ns: `${db}.${coll ?? '$cmd.aggregate'}`,
    db,
    coll,
    position,
    stages,
    fullDocument: options.fullDocument ?? 'default',
    startAtOperationTime: undefined,
  };
  if (token === undefined && options.startAtOperationTime !== undefined) {
    stream.position = 0;
    stream.startAtOperationTime = options.startAtOperationTime;
  }
  const id = nextCursorId++;
  cursors.set(id.toString(), { stream });
  return streamReply(id, stream, drainStream(stream, Number(cmd.cursor?.batchSize ?? 101) || 101), true);
}

async function changeStreamGetMore(id, open, cmd) {
  const limit = Number(cmd.batchSize ?? 0) || 1000;
  let batch = drainStream(open.stream, limit);
  const deadline = Date.now() + Number(cmd.maxTimeMS ?? 1000);
  while (batch.length === 0 && Date.now() < deadline && cursors.has(id)) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, deadline - Date.now());
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    batch = drainStream(open.stream, limit);
  }
  if (!cursors.has(id)) throw new CommandError(43, 'CursorNotFound', `cursor id ${id} not found`);
  return streamReply(BigInt(id), open.stream, batch, false);
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
      journal({ index: { db, coll: cmd.createIndexes, spec: { v: 2, ...index } } });
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
    if (open.stream) return changeStreamGetMore(key, open, cmd);
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
        emit(db, cmd.insert, 'insert', { _id: doc._id }, doc);
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
          emit(db, cmd.update, 'insert', { _id: doc._id }, doc);
          upserted.push({ index, _id: doc._id });
          n++;
          return;
        }
        for (const target of targets) {
          if (isOperatorUpdate(u.u)) {
            const before = clone(target);
            mingo.update(target, u.u);
            emit(db, cmd.update, 'update', { _id: target._id }, target, describeUpdate(before, target));
          } else {
            checkDocument(u.u);
            const position = collection.docs.indexOf(target);
            const { _id, ...rest } = u.u;
            collection.docs[position] = clone({ _id: target._id, ...rest });
            emit(db, cmd.update, 'replace', { _id: target._id }, collection.docs[position]);
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
        for (const victim of victims) emit(db, cmd.delete, 'delete', { _id: victim._id });
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
    if (pipeline[0]?.$changeStream !== undefined) return openChangeStream(cmd, db);
    if (pipeline.some((stage) => stage.$changeStream !== undefined)) {
      throw new CommandError(40602, 'Location40602', '$changeStream is only valid as the first stage in a pipeline');
    }
    const collection = collectionOf(db, cmd.aggregate, false);
    const docs = mingo.aggregate(collection?.docs ?? [], pipeline).map(clone);
    return cursorReply(`${db}.${cmd.aggregate}`, docs, Number(cmd.cursor?.batchSize ?? 0), true);
  },
};

async function runCommand(cmd, db) {
  record(cmd, db);
  const name = Object.keys(cmd)[0];
  const handler = handlers[name];
  try {
    if (!handler) throw new CommandError(59, 'CommandNotFound', `no such command: '${name}'`);
    return await handler(cmd, db);
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
      for (const index of [...collection.indexes]) {
        if (index.expireAfterSeconds === undefined) continue;
        const field = Object.keys(index.key)[0];
        const ttlMs = Number(index.expireAfterSeconds) * 1000;
        const expired = collection.docs.filter((d) => d[field] instanceof Date && d[field].getTime() + ttlMs <= now);
        if (expired.length === 0) continue;
        collection.docs = collection.docs.filter((d) => !expired.includes(d));
        for (const victim of expired) emit(collection.db, collection.name, 'delete', { _id: victim._id });
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

async function handleMessage(socket, message) {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_QUERY) {
    let offset = 20; // header + flags
    const ns = readCString(message, offset);
    offset = ns.next + 8; // numberToSkip, numberToReturn
    const { doc } = deserialize(message, offset);
    const db = ns.value.split('.')[0];
    const cmd = doc.$query ?? doc.query ?? doc;
    socket.write(opReply(requestId, await runCommand(cmd, db)));
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
  const reply = await runCommand(body, db);
  if ((flagBits & 2) === 0) {
    // moreToCome unset: the client waits for an answer.
    socket.write(opMsg(requestId, reply));
  }
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let pending = Buffer.alloc(0);
  // Messages of one connection are answered in order, even when one waits (a change stream's getMore).
  let queue = Promise.resolve();
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readInt32LE(0);
      if (pending.length < length) break;
      const message = pending.subarray(0, length);
      pending = pending.subarray(length);
      queue = queue.then(() => handleMessage(socket, message)).catch((e) => {
        process.stderr.write(`standin: dropped a connection after a bad message: ${e.stack}\n`);
        socket.destroy();
      });
    }
  });
  socket.on('error', () => socket.destroy());
});

// --- replay of the journal (--data-file): data, indexes and change history as they were ---
if (dataFile && fs.existsSync(dataFile)) {
  for (const line of fs.readFileSync(dataFile, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    const entry = EJSON.parse(line, { relaxed: false });
    if (entry.epoch) {
      epoch = entry.epoch;
    } else if (entry.index) {
      const collection = collectionOf(entry.index.db, entry.index.coll, true);
      if (!collection.indexes.some((i) => i.name === entry.index.spec.name)) collection.indexes.push(entry.index.spec);
    } else if (entry.event) {
      const event = entry.event;
      const collection = collectionOf(event.db, event.coll, true);
      const at = findIndex(collection.docs, event.documentKey._id);
      if (event.operationType === 'delete') {
        if (at >= 0) collection.docs.splice(at, 1);
      } else if (at >= 0) {
        collection.docs[at] = clone(event.fullDocument);
      } else {
        collection.docs.push(clone(event.fullDocument));
      }
      events.push(event);
      if (event.clusterTime.t >= lastClusterSeconds) {
        clusterIncrement = event.clusterTime.t > lastClusterSeconds ? event.clusterTime.i : Math.max(clusterIncrement, event.clusterTime.i);
        lastClusterSeconds = event.clusterTime.t;
      }
    }
  }
} else if (dataFile) {
  journal({ epoch });
}

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
