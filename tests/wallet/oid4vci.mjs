// An independent OpenID4VCI 1.0 wallet, run by the Rust integration tests: it takes a credential offer
// through the pre-authorized code flow with the OpenWallet Foundation's @openid4vc/openid4vci client
// and prints one JSON line on stdout (see README.md).
//
//   node tests/wallet/oid4vci.mjs --offer 'openid-credential-offer://?credential_offer_uri=...'
//        [--key ed25519|p256] [--proof jwt|di_vp|none] [--tx-code 123456] [--did key|jwk|none]

import crypto from 'node:crypto';
import {parseArgs} from 'node:util';

import {Openid4vciClient, Openid4vciRetrieveCredentialsError, Openid4vciSendNotificationError,
  Openid4vciVersion} from '@openid4vc/openid4vci';
import {clientAuthenticationAnonymous, Oauth2ClientErrorResponseError} from '@openid4vc/oauth2';
import {InvalidFetchResponseError, setGlobalConfig, ValidationError} from '@openid4vc/utils';

import {finish, generateHolderKey, signDidAuthPresentation, signJws, StageError, timedFetch}
  from './holder.mjs';

// The tests talk to http://127.0.0.1:PORT: without this the library rejects every non-https URL
// (credential_issuer, endpoints, credential_offer_uri, logo URIs) while validating.
setGlobalConfig({allowInsecureUrls: true});

let stage = 'args';

async function main() {
  const {values: args} = parseArgs({
    options: {
      offer: {type: 'string'},
      key: {type: 'string', default: 'ed25519'},
      proof: {type: 'string', default: 'jwt'},
      'tx-code': {type: 'string'},
      did: {type: 'string', default: 'key'}
    },
    strict: true
  });
  if(!args.offer) {
    throw new StageError('args', 'invalid_argument', '--offer is required');
  }
  if(!['jwt', 'di_vp', 'none'].includes(args.proof)) {
    throw new StageError('args', 'invalid_argument', '--proof must be jwt, di_vp or none');
  }
  if(!['key', 'jwk', 'none'].includes(args.did)) {
    throw new StageError('args', 'invalid_argument', '--did must be key, jwk or none');
  }
  if(args.proof === 'di_vp' && (args.key !== 'ed25519' || args.did !== 'key')) {
    throw new StageError('args', 'invalid_argument', 'di_vp needs --key ed25519 and --did key');
  }
  const key = generateHolderKey(args.key);

  const client = new Openid4vciClient({
    callbacks: {
      fetch: timedFetch,
      hash: (data, alg) => crypto.createHash(alg.replace('-', '')).update(data).digest(),
      generateRandom: n => crypto.randomBytes(n),
      // The wallet has no client credentials: pre-authorized_grant_anonymous_access_supported is
      // checked in the metadata stage below.
      clientAuthentication: clientAuthenticationAnonymous(),
      signJwt: async (signer, {header, payload}) => {
        if(signer.alg !== key.alg) {
          throw new Error(`asked to sign with ${signer.alg}, but the holder key is ${key.alg}`);
        }
        return {jwt: signJws(key, header, payload), signerJwk: key.publicJwk};
      }
    }
  });

  stage = 'offer';
  const offer = await client.resolveCredentialOffer(args.offer);

  stage = 'metadata';
  const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
  if(issuerMetadata.originalDraftVersion !== Openid4vciVersion.V1) {
    // The library guesses the version from the metadata's shape: 1.0 needs `credential_metadata` in a
    // credential configuration. Anything else makes it send a draft-14 (`format`) credential request.
    throw new StageError('metadata', 'not_openid4vci_1_0',
      `the library read the issuer metadata as ${issuerMetadata.originalDraftVersion}, not 1.0 ` +
      '(no credential configuration has credential_metadata)');
  }
  const authorizationServer = issuerMetadata.authorizationServers[0];
  if(authorizationServer?.['pre-authorized_grant_anonymous_access_supported'] !== true) {
    throw new StageError('metadata', 'anonymous_access_not_supported',
      'the authorization server metadata lacks pre-authorized_grant_anonymous_access_supported: true');
  }
  // A wallet that binds takes an offered configuration that asks for key proofs; one that cannot (--proof
  // none) takes one that does not, if the offer has one (else the first, which the issuer may refuse).
  const configurations = issuerMetadata.credentialIssuer.credential_configurations_supported ?? {};
  const wantsProofs = args.proof !== 'none';
  const credentialConfigurationId = offer.credential_configuration_ids.find(id =>
    Boolean(configurations[id]?.proof_types_supported) === wantsProofs) ?? offer.credential_configuration_ids[0];

  stage = 'token';
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer,
    issuerMetadata,
    txCode: args['tx-code']
  });
  const accessToken = accessTokenResponse.access_token;

  let proofs;
  let holderDid = args.did === 'jwk' ? key.didJwk : args.did === 'none' ? null : key.didKey;
  if(args.proof !== 'none') {
    stage = 'nonce';
    const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});

    stage = 'proof';
    if(args.proof === 'jwt') {
      const signer = args.did === 'none' ?
        {method: 'jwk', alg: key.alg, publicJwk: key.publicJwk} :
        {method: 'did', alg: key.alg, didUrl: args.did === 'jwk' ? key.didJwkUrl : key.didKeyUrl};
      const {jwt} = await client.createCredentialRequestJwtProof({
        issuerMetadata, credentialConfigurationId, signer, nonce
      });
      proofs = {jwt: [jwt]};
    } else {
      // OpenID4VCI 1.0 Appendix F.2: a VP with proofPurpose authentication, challenge = c_nonce and
      // domain = the Credential Issuer Identifier. The library has no helper to build it, but it
      // sends it: `proofs` accepts any proof type, so `proofs.di_vp` goes through retrieveCredentials.
      const vp = await signDidAuthPresentation(key, {challenge: nonce, domain: offer.credential_issuer});
      holderDid = key.didKey;
      proofs = {di_vp: [vp]};
    }
  }

  stage = 'credential';
  const {credentialResponse} = await client.retrieveCredentials({
    issuerMetadata, credentialConfigurationId, accessToken, proofs
  });
  const credentials = credentialResponse.credentials ?? [];
  const first = credentials[0];
  const credential = first && typeof first === 'object' && 'credential' in first ? first.credential : first;
  if(credential === undefined) {
    throw new StageError('credential', 'no_credential', 'the credential response has no credentials');
  }

  let notificationStatus = null;
  const notificationId = credentialResponse.notification_id ?? null;
  if(notificationId !== null) {
    stage = 'notification';
    const notification = await client.sendNotification({
      issuerMetadata, accessToken,
      notification: {notificationId, event: 'credential_accepted'}
    });
    notificationStatus = notification.response.status;
  }

  finish({
    ok: true,
    holder_did: holderDid,
    holder_jwk: key.publicJwk,
    credential,
    notification_id: notificationId,
    notification_status: notificationStatus,
    issuer_metadata: issuerMetadata.credentialIssuer,
    authorization_server_metadata: authorizationServer,
    token_response: accessTokenResponse
  });
}

/** Maps whatever was thrown to the failure line: the HTTP status and OAuth error body when there is one. */
async function failure(e) {
  let status = null;
  let error = 'client_error';
  let errorDescription = e?.message ?? String(e);
  let body;
  if(e instanceof StageError) {
    return {ok: false, status: e.status, error: e.error, error_description: e.errorDescription, stage: e.stage};
  }
  if(e instanceof Oauth2ClientErrorResponseError) {
    status = e.response?.status ?? null;
    body = e.errorResponse;
  } else if(e instanceof Openid4vciRetrieveCredentialsError) {
    status = e.response?.response?.status ?? null;
    body = e.response?.credentialErrorResponseResult?.data;
    if(!body && status >= 200 && status < 300) {
      error = 'invalid_credential_response';
    }
  } else if(e instanceof Openid4vciSendNotificationError) {
    status = e.response?.response?.status ?? null;
    body = e.response?.notificationErrorResponseResult?.data;
    if(!body) {
      body = await e.response?.response?.clone().json().catch(() => undefined);
    }
  } else if(e instanceof InvalidFetchResponseError) {
    status = e.response?.status ?? null;
    try {
      body = JSON.parse(e.textResponse);
    } catch {
      body = undefined;
    }
  } else if(e instanceof ValidationError) {
    error = 'validation_error';
  }
  if(body && typeof body.error === 'string') {
    error = body.error;
    errorDescription = body.error_description ?? errorDescription;
  }
  return {ok: false, status, error, error_description: errorDescription, stage};
}

main().catch(async e => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  finish(await failure(e));
});
