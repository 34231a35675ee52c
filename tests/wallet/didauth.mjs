// An independent VCALM (W3C VC API) exchange client, run by the Rust integration tests: it answers a
// DIDAuthentication verifiable presentation request with a did:key holder's eddsa-rdfc-2022
// presentation (Digital Bazaar's @digitalbazaar/vc) and prints one JSON line on stdout (see README.md).
//
//   node tests/wallet/didauth.mjs --interaction '<interaction URL with ?iuv=1>'
//   node tests/wallet/didauth.mjs --exchange '<exchange URL>'

import {parseArgs} from 'node:util';

import {finish, generateHolderKey, signDidAuthPresentation, StageError, timedFetch} from './holder.mjs';

let stage = 'args';

/** Sends one request and returns its JSON body, or throws a StageError carrying status and error body. */
async function json(url, init) {
  const response = await timedFetch(url, init);
  const text = await response.text();
  let body;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if(!response.ok) {
    const error = typeof body?.error === 'string' ? body.error : body?.name ?? 'http_error';
    const description = body?.error_description ?? body?.message ?? text.slice(0, 1000);
    throw new StageError(stage, error, description, response.status);
  }
  if(body === undefined || !(response.headers.get('content-type') ?? '').includes('json')) {
    throw new StageError(stage, 'not_json',
      `expected a JSON body, got ${response.headers.get('content-type')}: ${text.slice(0, 200)}`,
      response.status);
  }
  return body;
}

const postJson = (url, body) => json(url, {
  method: 'POST',
  headers: {'Content-Type': 'application/json', Accept: 'application/json'},
  body: JSON.stringify(body)
});

async function main() {
  const {values: args} = parseArgs({
    options: {interaction: {type: 'string'}, exchange: {type: 'string'}},
    strict: true
  });
  if(!args.interaction === !args.exchange) {
    throw new StageError('args', 'invalid_argument', 'give exactly one of --interaction or --exchange');
  }

  let protocols = null;
  let exchangeUrl = args.exchange;
  if(args.interaction) {
    stage = 'interaction';
    const interaction = await json(args.interaction, {headers: {Accept: 'application/json'}});
    protocols = interaction?.protocols ?? null;
    exchangeUrl = protocols?.vcapi;
    if(typeof exchangeUrl !== 'string') {
      throw new StageError(stage, 'no_vcapi_protocol',
        `the interaction response has no protocols.vcapi: ${JSON.stringify(interaction)}`);
    }
  }

  stage = 'exchange';
  const started = await postJson(exchangeUrl, {});
  const vpr = started?.verifiablePresentationRequest;
  if(!vpr) {
    throw new StageError(stage, 'no_vpr', `expected a verifiablePresentationRequest: ${JSON.stringify(started)}`);
  }
  const queries = [].concat(vpr.query ?? []);
  const didAuth = queries.find(q => q?.type === 'DIDAuthentication');
  if(!didAuth) {
    throw new StageError(stage, 'no_didauth_query', `the VPR has no DIDAuthentication query: ${JSON.stringify(vpr)}`);
  }
  const methods = [].concat(didAuth.acceptedMethods ?? []).map(m => m?.method);
  if(!methods.includes('key')) {
    throw new StageError(stage, 'did_key_not_accepted', `acceptedMethods ${JSON.stringify(methods)} lacks key`);
  }
  const suites = [].concat(didAuth.acceptedCryptosuites ?? []).map(s => s?.cryptosuite);
  if(suites.length > 0 && !suites.includes('eddsa-rdfc-2022')) {
    throw new StageError(stage, 'cryptosuite_not_accepted',
      `acceptedCryptosuites ${JSON.stringify(suites)} lacks eddsa-rdfc-2022`);
  }
  if(typeof vpr.challenge !== 'string' || typeof vpr.domain !== 'string') {
    throw new StageError(stage, 'no_challenge_or_domain', `the VPR needs a challenge and a domain: ${JSON.stringify(vpr)}`);
  }

  stage = 'presentation';
  const key = generateHolderKey('ed25519');
  const verifiablePresentation = await signDidAuthPresentation(key, {challenge: vpr.challenge, domain: vpr.domain});

  stage = 'credential';
  const answer = await postJson(exchangeUrl, {verifiablePresentation});
  const vp = answer?.verifiablePresentation;
  const credential = vp ? [].concat(vp.verifiableCredential ?? [])[0] : undefined;
  if(credential === undefined) {
    throw new StageError(stage, 'no_credential', `expected a verifiablePresentation with a credential: ${JSON.stringify(answer)}`);
  }

  finish({ok: true, holder_did: key.didKey, credential, protocols, presentation: vp});
}

main().catch(e => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  finish(e instanceof StageError ?
    {ok: false, status: e.status, error: e.error, error_description: e.errorDescription, stage: e.stage} :
    {ok: false, status: null, error: 'client_error', error_description: e?.message ?? String(e), stage});
});
