// Reference W3C VC-API server on Digital Bazaar's JavaScript libraries, ONLY for benchmarking microcred
// against (scripts/bench-vcapi.sh); not part of microcred, never for production. See README.md.
//
//   npm ci --prefix benches/reference && node benches/reference/server.mjs 18094
//
// Port: argv[2], else env PORT, else 18094. Workers: env WORKERS, else os.availableParallelism().
// Bind address: env HOST, else 127.0.0.1.
//
//   POST /credentials/issue   {"credential": {...}, "options": {}}  -> 201 {"verifiableCredential": {...}}
//   POST /credentials/verify  {"verifiableCredential": {...}}       -> 200 / 422 {"verified", "checks", ...}
//   GET  /healthz                                                    -> 200
//
// The primary process generates one Ed25519 key at start-up and hands it to every worker, so all workers
// sign as the same did:key issuer. Every JSON-LD context comes from the files in the repository's
// contexts/ directory and did:key documents are built locally: nothing is ever fetched from the network.

import cluster from 'node:cluster';
import http from 'node:http';
import os from 'node:os';
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const port = Number(process.argv[2] ?? process.env.PORT ?? 18094);
const host = process.env.HOST ?? '127.0.0.1';
const workers = Number(process.env.WORKERS ?? os.availableParallelism());
const MAX_BODY = 1 << 20; // 1 MiB, like a sane reverse proxy would allow

if(!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`reference: bad port ${process.argv[2] ?? process.env.PORT}`);
  process.exit(2);
}
if(!Number.isInteger(workers) || workers < 1) {
  console.error(`reference: bad WORKERS ${process.env.WORKERS}`);
  process.exit(2);
}

// ---------- primary: one key for all, fork the workers, stop them all together ----------

async function primary() {
  const key = await Ed25519Multikey.generate();
  const exported = await key.export({publicKey: true, secretKey: true, includeContext: false});
  const did = `did:key:${key.publicKeyMultibase}`;
  const env = {
    REFERENCE_PUBLIC_KEY: exported.publicKeyMultibase,
    REFERENCE_SECRET_KEY: exported.secretKeyMultibase
  };
  let ready = 0;
  let stopping = false;
  const stop = code => {
    stopping = true;
    for(const w of Object.values(cluster.workers)) {
      w.kill();
    }
    process.exitCode = code;
  };
  cluster.on('message', (worker, message) => {
    // Workers warm up (one issue + verify each) first; they all start listening at the same time.
    if(message === 'ready' && ++ready === workers) {
      for(const w of Object.values(cluster.workers)) {
        w.send('listen');
      }
    } else if(message === 'listening' && --ready === 0) {
      console.log(`reference: ${workers} workers listening on http://${host}:${port}, issuer ${did}`);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if(!stopping) {
      console.error(`reference: worker ${worker.process.pid} died (${signal ?? code}); stopping`);
      stop(1);
    }
  });
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  for(let i = 0; i < workers; i++) {
    cluster.fork(env);
  }
}

// ---------- worker ----------

async function worker() {
  const publicKeyMultibase = process.env.REFERENCE_PUBLIC_KEY;
  const did = `did:key:${publicKeyMultibase}`;
  const keyPair = await Ed25519Multikey.from({
    type: 'Multikey',
    id: `${did}#${publicKeyMultibase}`,
    controller: did,
    publicKeyMultibase,
    secretKeyMultibase: process.env.REFERENCE_SECRET_KEY
  });
  const signingSuite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite: eddsaRdfc2022});
  const verifyingSuite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

  async function issue(credential) {
    credential = {...credential};
    if(credential.issuer && typeof credential.issuer === 'object' && !Array.isArray(credential.issuer)) {
      credential.issuer = {...credential.issuer, id: did};
    } else {
      credential.issuer = did;
    }
    // eddsa-rdfc-2022 canonicalizes in safe mode: a term the contexts do not define is an error.
    return vc.issue({credential, suite: signingSuite, documentLoader});
  }

  async function verify(credential) {
    // No checkStatus: this reference issues no status entries (vc refuses a credential that has one).
    const result = await vc.verifyCredential({credential, suite: verifyingSuite, documentLoader});
    const errors = [...new Set([
      ...messages(result.error),
      ...(result.results ?? []).flatMap(r => messages(r.error))
    ])];
    return {verified: result.verified === true, checks: ['proof'], warnings: [], errors};
  }

  // Warm-up and self-test: sign and verify one credential before taking requests.
  const signed = await issue({
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential'],
    validFrom: '2026-01-15T09:30:00Z',
    credentialSubject: {id: 'did:example:learner', name: 'warm-up'}
  });
  const check = await verify(signed);
  if(!check.verified) {
    throw new Error(`self-test: own credential does not verify: ${check.errors.join('; ')}`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(e => {
      console.error(`reference: ${req.method} ${req.url}: ${e.stack ?? e}`);
      if(!res.headersSent) {
        send(res, 500, {error: 'internal error'});
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req, res) {
    const path = req.url.split('?')[0];
    if(path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      return send(res, 200, {ok: true});
    }
    if(path !== '/credentials/issue' && path !== '/credentials/verify') {
      return send(res, 404, {error: `no route ${req.method} ${path}`});
    }
    if(req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return send(res, 405, {error: `${path} takes POST`});
    }
    const body = await readJson(req);
    if(body.error) {
      return send(res, body.status, {error: body.error});
    }
    const request = body.value;
    if(!isObject(request)) {
      return send(res, 400, {error: 'the body must be a JSON object'});
    }
    if(path === '/credentials/issue') {
      if(!isObject(request.credential)) {
        return send(res, 400, {error: 'credential must be a JSON object'});
      }
      if(request.options !== undefined && !isObject(request.options)) {
        return send(res, 400, {error: 'options must be a JSON object'});
      }
      let verifiableCredential;
      try {
        verifiableCredential = await issue(request.credential);
      } catch(e) {
        // Every failure here comes from the credential: data model, unknown context, undefined term.
        return send(res, 400, {error: messages(e).join('; ') || 'cannot sign this credential'});
      }
      return send(res, 201, {verifiableCredential});
    }
    if(!isObject(request.verifiableCredential)) {
      return send(res, 400, {error: 'verifiableCredential must be a JSON object'});
    }
    let report;
    try {
      report = await verify(request.verifiableCredential);
    } catch(e) {
      return send(res, 400, {verified: false, checks: [], warnings: [], errors: messages(e)});
    }
    // As the VC-API and microcred: 200 when verified, 422 with the errors when not.
    return send(res, report.verified ? 200 : 422, report);
  }

  process.on('message', message => {
    if(message === 'listen') {
      server.listen(port, host, () => process.send('listening'));
    }
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.send('ready');
}

// ---------- HTTP helpers ----------

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function send(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body)
  });
  res.end(body);
}

function readJson(req) {
  return new Promise(resolve => {
    const chunks = [];
    let size = 0;
    let done = false;
    const finish = result => {
      if(!done) {
        done = true;
        resolve(result);
      }
    };
    req.on('data', chunk => {
      size += chunk.length;
      if(size > MAX_BODY) {
        finish({status: 413, error: `body larger than ${MAX_BODY} bytes`});
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', e => finish({status: 400, error: e.message}));
    req.on('end', () => {
      try {
        finish({value: JSON.parse(Buffer.concat(chunks).toString('utf8'))});
      } catch(e) {
        finish({status: 400, error: `the body is not JSON: ${e.message}`});
      }
    });
  });
}

// Flattens the libraries' nested errors (jsonld-signatures wraps per-proof errors) into messages.
function messages(error) {
  if(!error) {
    return [];
  }
  if(Array.isArray(error)) {
    return error.flatMap(messages);
  }
  if(Array.isArray(error.errors) && error.errors.length) {
    return error.errors.flatMap(messages);
  }
  // jsonld.js wraps a document loader's refusal in a generic "Dereferencing a URL did not result in a
  // valid JSON-LD object" error; the loader's own message (which URL, why) is its cause.
  const cause = error.details?.cause ?? error.cause;
  if(cause) {
    return messages(cause);
  }
  // A safe-mode refusal (e.g. a term no context defines) names the offending term in its event.
  const event = error.details?.event;
  if(event?.message) {
    return [`${error.message} ${event.message} ${JSON.stringify(event.details ?? {})}`];
  }
  return [error.message ?? String(error)];
}

// ---------- JSON-LD document loader: bundled files and did:key only, never the network ----------

const CONTEXT_DIR = fileURLToPath(new URL('../../contexts/', import.meta.url));
const CONTEXT_FILES = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json'
};
// Read once at start-up (a missing file fails here, not on the first request); deep-frozen, so no
// caller can change what the next one gets.
const CONTEXTS = new Map(Object.entries(CONTEXT_FILES).map(
  ([url, file]) => [url, deepFreeze(JSON.parse(readFileSync(CONTEXT_DIR + file, 'utf8')))]));

function deepFreeze(value) {
  if(value && typeof value === 'object') {
    for(const v of Object.values(value)) {
      deepFreeze(v);
    }
    Object.freeze(value);
  }
  return value;
}

// did:key of an Ed25519 key: multibase base58btc of 0xed01 + 32 bytes, which always starts "z6Mk".
const DID_KEY_ED25519 = /^did:key:(z6Mk[1-9A-HJ-NP-Za-km-z]{44})$/;

/** The did:key DID document of an Ed25519 key (one Multikey verification method). */
function didKeyDocument(did, fingerprint) {
  const vmId = `${did}#${fingerprint}`;
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [{id: vmId, type: 'Multikey', controller: did, publicKeyMultibase: fingerprint}],
    authentication: [vmId],
    assertionMethod: [vmId],
    capabilityInvocation: [vmId],
    capabilityDelegation: [vmId]
  };
}

async function documentLoader(url) {
  const context = CONTEXTS.get(url);
  if(context) {
    return {contextUrl: null, documentUrl: url, document: context};
  }
  if(url.startsWith('did:key:')) {
    const [did, fragment] = url.split('#');
    const match = DID_KEY_ED25519.exec(did);
    if(match) {
      const doc = didKeyDocument(did, match[1]);
      if(fragment === undefined) {
        return {contextUrl: null, documentUrl: url, document: doc};
      }
      const vm = doc.verificationMethod.find(m => m.id === url);
      if(vm) {
        return {
          contextUrl: null, documentUrl: url,
          document: {'@context': 'https://w3id.org/security/multikey/v1', ...vm}
        };
      }
    }
  }
  throw new Error(`document loader: refusing to load ${url} (only bundled contexts and Ed25519 did:key)`);
}

// ---------- start (last, so every constant above is initialized before a worker uses it) ----------

if(cluster.isPrimary) {
  await primary();
} else {
  await worker();
}
