// The "Add to wallet" round trip as a wallet makes it, timed per step: GET the credential offer, POST /token,
// POST /nonce, POST /credential with an Ed25519 jwt key proof (the credential re-signed for the holder,
// eddsa-rdfc-2022). Each round takes a new offer minted through the API beforehand (not part of the round
// trip; timed apart). One keep-alive client, requests one after another: latency, not throughput.
// Usage: node scripts/bench-wallet.mjs BASE ASSESSOR_TOKEN CREDENTIAL_ID [ROUNDS]
import { generateKeyPairSync, sign } from 'node:crypto';

const [base, token, credentialId, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 300);
const warmup = 20;
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const x = publicKey.export({ format: 'jwk' }).x;
const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

async function json(response, expected) {
  if (response.status !== expected) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return response.json();
}

const steps = { mint: [], offer: [], token: [], nonce: [], credential: [], round: [] };
for (let i = 0; i < rounds + warmup; i++) {
  let t = performance.now();
  const minted = await json(await fetch(`${base}/api/v1/credentials/${credentialId}/offers`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}',
  }), 201);
  const times = { mint: performance.now() - t };
  const start = performance.now();
  t = start;
  const offer = await json(await fetch(minted.credential_offer_uri), 200);
  times.offer = performance.now() - t; t = performance.now();
  const code = offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code']['pre-authorized_code'];
  const grant = await json(await fetch(`${base}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': code }),
  }), 200);
  times.token = performance.now() - t; t = performance.now();
  const { c_nonce } = await json(await fetch(`${base}/nonce`, { method: 'POST' }), 200);
  times.nonce = performance.now() - t; t = performance.now();
  const input = `${b64({ typ: 'openid4vci-proof+jwt', alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', x } })}.${b64({ aud: offer.credential_issuer, iat: Math.floor(Date.now() / 1000), nonce: c_nonce })}`;
  const jwt = `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
  const issued = await json(await fetch(`${base}/credential`, {
    method: 'POST', headers: { authorization: `Bearer ${grant.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ credential_configuration_id: 'OpenBadgeCredential_ldp_vc', proofs: { jwt: [jwt] } }),
  }), 200);
  times.credential = performance.now() - t;
  times.round = performance.now() - start;
  if (!issued.credentials[0].credential.credentialSubject.id.startsWith('did:jwk:')) throw new Error('not bound');
  if (i >= warmup) for (const [k, v] of Object.entries(times)) steps[k].push(v);
}
const pick = (list, q) => { const s = [...list].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
for (const [name, list] of Object.entries(steps)) {
  console.log(`${name.padEnd(10)} p50 ${pick(list, 0.5).toFixed(1)} ms, p99 ${pick(list, 0.99).toFixed(1)} ms (${list.length} rounds)`);
}
