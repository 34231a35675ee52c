// Independent verifier: checks a microcred credential with Digital Bazaar's libraries only, so the Rust
// tests learn whether a third-party verifier agrees that it is verified, revoked or suspended.
//
//   BASE=http://127.0.0.1:PORT node tests/wallet/verify.mjs < credential.json
//
// Prints one JSON line: {"verified", "revoked", "suspended", "errors"}. `revoked` / `suspended` are null
// when the credential has no entry of that purpose or its status was never checked (e.g. a bad proof).
// Exit 0 whenever a verdict was reached (including "not verified"), 2 when it could not run.

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

import {documentLoader as bundledLoader, timedFetch} from './holder.mjs';

function finish(code, verdict) {
  process.stdout.write(`${JSON.stringify(verdict)}\n`);
  process.exit(code);
}

function cannotRun(message) {
  finish(2, {verified: false, revoked: null, suspended: null, errors: [message]});
}

// The only origin we will ever talk to: the microcred server under test. Anything else (another host,
// a context not bundled) is refused so the verdict never depends on the internet.
let base;
try {
  base = new URL(process.env.BASE);
} catch {
  cannotRun('BASE must be set to the server origin, e.g. http://127.0.0.1:8080');
}

const fetched = new Map();
async function fetchJson(url) {
  if(new URL(url).origin !== base.origin) {
    throw new Error(`document loader: refusing ${url} (only ${base.origin} may be fetched)`);
  }
  if(!fetched.has(url)) {
    const res = await timedFetch(url, {headers: {Accept: 'application/json, application/vc+ld+json'}})
      .catch(e => {
        throw new Error(`document loader: GET ${url} failed: ${e.cause?.code ?? e.message}`);
      });
    if(!res.ok) {
      throw new Error(`document loader: GET ${url} answered ${res.status}`);
    }
    fetched.set(url, await res.json());
  }
  return structuredClone(fetched.get(url));
}

// did:web read operation, except for the scheme: the spec says https, but the server under test is
// plain http on loopback, so we use BASE's scheme and insist that the DID names BASE's host and port.
function didWebUrl(did) {
  const [host, ...path] = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
  if(host !== base.host) {
    throw new Error(`document loader: refusing ${did} (its host ${host} is not ${base.host})`);
  }
  return `${base.protocol}//${host}/${path.length ? `${path.join('/')}/did.json` : '.well-known/did.json'}`;
}

async function documentLoader(url) {
  if(url.startsWith('did:web:')) {
    const [did, fragment] = url.split('#');
    const doc = await fetchJson(didWebUrl(did));
    if(doc.id !== did) {
      throw new Error(`document loader: ${didWebUrl(did)} describes ${doc.id}, not ${did}`);
    }
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: doc};
    }
    // A verification method is dereferenced out of its DID document; it must be listed there.
    const vm = (doc.verificationMethod ?? []).find(m => m.id === url || m.id === `#${fragment}`);
    if(!vm) {
      throw new Error(`document loader: ${url} is not a verification method of ${did}`);
    }
    return {
      contextUrl: null, documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...vm, id: url}
    };
  }
  if(/^https?:/.test(url) && new URL(url).origin === base.origin) {
    return {contextUrl: null, documentUrl: url, document: await fetchJson(url)};
  }
  // Contexts (and did:key) come only from the files bundled in contexts/; anything else throws.
  return bundledLoader(url);
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
  return [error.message ?? String(error)];
}

let credential;
try {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  credential = JSON.parse(Buffer.concat(chunks).toString('utf8'));
} catch(e) {
  cannotRun(`stdin is not JSON: ${e.message}`);
}
// Tells a harness mistake (an error page piped in) apart from a verdict on a real credential.
if(!(credential && typeof credential === 'object' && credential['@context'])) {
  cannotRun('stdin is not a credential (no @context)');
}

let result;
try {
  // The same suite verifies the credential and, inside checkStatus, each status list credential.
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
} catch(e) {
  // verifyCredential reports problems in its result; a throw means bad input (e.g. not a VC at all).
  finish(0, {verified: false, revoked: null, suspended: null, errors: messages(e)});
}

const errors = [
  ...messages(result.error),
  ...(result.results ?? []).flatMap(r => messages(r.error)),
  ...messages(result.statusResult?.error)
];

// checkStatus's `verified` only says the status lists were fetched and verified; the bits themselves
// are in `results[].status`, one per entry, so a set bit must be turned into "not verified" here.
const status = {revocation: null, suspension: null};
for(const r of result.statusResult?.results ?? []) {
  const {statusPurpose, statusListIndex, statusListCredential} = r.credentialStatus;
  if(statusPurpose in status) {
    status[statusPurpose] = r.status === true;
    if(r.status === true) {
      errors.push(`${statusPurpose} bit ${statusListIndex} of ${statusListCredential} is set`);
    }
  }
}

finish(0, {
  verified: result.verified === true && status.revocation !== true && status.suspension !== true,
  revoked: status.revocation,
  suspended: status.suspension,
  errors: [...new Set(errors)]
});
