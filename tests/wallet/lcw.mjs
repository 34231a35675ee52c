// The DCC Learner Credential Wallet's deep-link request, as that wallet makes it: read `challenge` and
// `vc_request_url` from an `https://lcw.app/request.html?issuer=…&auth_type=bearer&challenge=…&vc_request_url=…`
// link, sign a DIDAuth presentation (VCDM 1.1 context, holder did:key, Digital Bazaar's Ed25519Signature2020
// suite, proofPurpose authentication, that challenge, no domain), POST it bare to vc_request_url, and expect
// the bare credential back. Prints one JSON line on stdout (see README.md).
//
//   node tests/wallet/lcw.mjs --deep-link '<https://lcw.app/request.html?…>'

import {parseArgs} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';

import {documentLoader, finish, StageError, timedFetch} from './holder.mjs';

let stage = 'args';

async function main() {
  const {values: args} = parseArgs({options: {'deep-link': {type: 'string'}}, strict: true});
  if(!args['deep-link']) {
    throw new StageError('args', 'invalid_argument', 'give --deep-link');
  }
  const link = new URL(args['deep-link']);
  const params = Object.fromEntries(link.searchParams);
  if(params.auth_type !== 'bearer' || !params.issuer || !params.vc_request_url) {
    throw new StageError('args', 'bad_deep_link', `LCW needs issuer, auth_type=bearer and vc_request_url: ${link}`);
  }

  stage = 'presentation';
  const key = await Ed25519VerificationKey2020.generate();
  const did = `did:key:${key.fingerprint()}`;
  key.controller = did;
  key.id = `${did}#${key.fingerprint()}`;
  const suite = new Ed25519Signature2020({key});
  const presentation = vc.createPresentation({holder: did, version: 1.0});
  const signed = await vc.signPresentation({presentation, suite, challenge: params.challenge, documentLoader});

  stage = 'credential';
  const response = await timedFetch(params.vc_request_url, {
    method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(signed)
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if(!response.ok) {
    throw new StageError(stage, body?.title ?? 'http_error', body?.detail ?? text.slice(0, 1000), response.status);
  }
  const types = [].concat(body?.type ?? []);
  if(!types.includes('VerifiableCredential')) {
    throw new StageError(stage, 'no_credential', `expected a bare credential: ${text.slice(0, 500)}`);
  }
  finish({ok: true, holder_did: did, credential: body, presentation: signed});
}

main().catch(e => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  finish(e instanceof StageError ?
    {ok: false, status: e.status, error: e.error, error_description: e.errorDescription, stage: e.stage} :
    {ok: false, status: null, error: 'client_error', error_description: e?.message ?? String(e), stage});
});
