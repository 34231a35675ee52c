// Shared by oid4vci.mjs and didauth.mjs: the holder's keys and DIDs, JWS signing with node:crypto, a
// JSON-LD document loader that answers only from microcred's bundled contexts (never the network), and
// Data Integrity (eddsa-rdfc-2022) presentations signed with Digital Bazaar's libraries.

import crypto from 'node:crypto';
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

// ---------- output ----------

/** Prints the one JSON line the Rust test reads, and exits (0 on success, 2 on failure). */
export function finish(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 2);
}

/** A failure thrown by these scripts, carrying the fields of the failure line. */
export class StageError extends Error {
  constructor(stage, error, errorDescription, status = null) {
    super(`${stage}: ${error}: ${errorDescription}`);
    this.stage = stage;
    this.error = error;
    this.errorDescription = errorDescription;
    this.status = status;
  }
}

/** fetch with a time limit, so a hung server fails the test instead of hanging it. */
export function timedFetch(input, init = {}) {
  return fetch(input, {...init, signal: init.signal ?? AbortSignal.timeout(20_000)});
}

// ---------- encodings ----------

const b64u = buf => Buffer.from(buf).toString('base64url');
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58btc(bytes) {
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let out = '';
  while(n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for(const b of bytes) {
    if(b !== 0) {
      break;
    }
    out = `1${out}`;
  }
  return out;
}

// ---------- keys and DIDs ----------

/**
 * A fresh holder key. `alg` is the JOSE algorithm, `publicJwk` has only the public members,
 * `didKey` is the did:key DID (multicodec ed25519-pub 0xed or p256-pub 0x1200, base58btc).
 */
export function generateHolderKey(kind) {
  let pair;
  let alg;
  let codec;
  if(kind === 'ed25519') {
    pair = crypto.generateKeyPairSync('ed25519');
    alg = 'EdDSA';
    codec = [0xed, 0x01];
  } else if(kind === 'p256') {
    pair = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
    alg = 'ES256';
    codec = [0x80, 0x24];
  } else {
    throw new StageError('args', 'invalid_argument', `--key must be ed25519 or p256, not ${kind}`);
  }
  const jwk = pair.publicKey.export({format: 'jwk'});
  const publicJwk = kind === 'ed25519' ?
    {kty: 'OKP', crv: 'Ed25519', x: jwk.x} :
    {kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y};
  let raw;
  if(kind === 'ed25519') {
    raw = Buffer.from(jwk.x, 'base64url');
  } else {
    const y = Buffer.from(jwk.y, 'base64url');
    raw = Buffer.concat([Buffer.from([0x02 | (y[y.length - 1] & 1)]), Buffer.from(jwk.x, 'base64url')]);
  }
  const fingerprint = `z${base58btc(Buffer.concat([Buffer.from(codec), raw]))}`;
  const didKey = `did:key:${fingerprint}`;
  return {
    kind,
    alg,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicJwk,
    fingerprint,
    didKey,
    didKeyUrl: `${didKey}#${fingerprint}`,
    didJwk: `did:jwk:${b64u(JSON.stringify(publicJwk))}`,
    didJwkUrl: `did:jwk:${b64u(JSON.stringify(publicJwk))}#0`
  };
}

/** Signs `header.payload` (JWS compact serialization) with node:crypto: EdDSA or ES256 (raw r||s). */
export function signJws(key, header, payload) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const signature = key.kind === 'ed25519' ?
    crypto.sign(null, Buffer.from(input), key.privateKey) :
    crypto.sign('sha256', Buffer.from(input), {key: key.privateKey, dsaEncoding: 'ieee-p1363'});
  return `${input}.${b64u(signature)}`;
}

// ---------- JSON-LD document loader (local only) ----------

const CONTEXT_DIR = fileURLToPath(new URL('../../contexts/', import.meta.url));
// URL -> file, as src/vc/contexts.rs maps them.
const CONTEXT_FILES = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://www.w3.org/2018/credentials/v1': 'credentials-v1.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json': 'ob-v3p0-context-3.0.2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json': 'ob-v3p0-context-3.0.1.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context.json': 'ob-v3p0-context-3.0.0.json',
  'https://www.w3.org/ns/credentials/status/v1': 'credentials-status-v1.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
  'https://w3id.org/microcred/v1': 'microcredential-v1.jsonld',
  'https://w3id.org/security/suites/ed25519-2020/v1': 'ed25519-signature-2020-v1.jsonld'
};
const contextCache = new Map();

/** The did:key DID document of an Ed25519 or P-256 key (Multikey verification method). */
function didKeyDocument(did) {
  const fingerprint = did.slice('did:key:'.length);
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

/** jsonld.js document loader: bundled contexts and did:key documents, nothing fetched. */
export async function documentLoader(url) {
  if(CONTEXT_FILES[url]) {
    if(!contextCache.has(url)) {
      contextCache.set(url, JSON.parse(readFileSync(CONTEXT_DIR + CONTEXT_FILES[url], 'utf8')));
    }
    return {contextUrl: null, documentUrl: url, document: structuredClone(contextCache.get(url))};
  }
  if(url.startsWith('did:key:')) {
    const [did, fragment] = url.split('#');
    const doc = didKeyDocument(did);
    if(!fragment) {
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
  throw new Error(`document loader: refusing to load ${url} (only bundled contexts and did:key)`);
}

// ---------- Data Integrity presentations ----------

/**
 * A VerifiablePresentation (VCDM 2.0 context only) with `holder` = the key's did:key, secured by an
 * eddsa-rdfc-2022 DataIntegrityProof with proofPurpose `authentication`, `challenge` and `domain`.
 */
export async function signDidAuthPresentation(key, {challenge, domain}) {
  if(key.kind !== 'ed25519') {
    throw new StageError('args', 'invalid_argument', 'Data Integrity presentations need --key ed25519');
  }
  const privateJwk = key.privateKey.export({format: 'jwk'});
  const keyPair = await Ed25519Multikey.fromJwk({
    jwk: privateJwk, secretKey: true, id: key.didKeyUrl, controller: key.didKey
  });
  if(keyPair.publicKeyMultibase !== key.fingerprint) {
    throw new Error('Ed25519Multikey disagrees with the did:key fingerprint computed here');
  }
  const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite: eddsaRdfc2022});
  const presentation = vc.createPresentation({holder: key.didKey, version: 2.0});
  return vc.signPresentation({presentation, suite, challenge, domain, documentLoader});
}
