//! Holder binding: the keys a wallet proves it controls, the DIDs that name them (`did:key` with an
//! Ed25519 or P-256 key, `did:jwk`), and the OpenID4VCI `jwt` key proof. Pure: the caller checks that the
//! proof's `nonce` is a fresh `c_nonce`.
//!
//! See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-jwt-proof-type>

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The `typ` a `jwt` key proof's header must carry.
pub const PROOF_JWT_TYP: &str = "openid4vci-proof+jwt";
/// The JWS algorithms accepted in `jwt` key proofs (and listed in the metadata's
/// `proof_signing_alg_values_supported`): Ed25519 (`EdDSA`) and P-256 with SHA-256 (`ES256`), which most phone
/// wallets' secure keys are.
pub const PROOF_ALGORITHMS: [&str; 2] = ["EdDSA", "ES256"];
/// How far a proof's `iat` may lie in the future (clock skew between phone and server), in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 60;
/// How old a proof's `iat` may be, in seconds: a proof is made just before it is sent.
pub const MAX_PROOF_AGE_SECS: i64 = 300;

/// A public key a holder proved it controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderKey {
    /// An Ed25519 key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A P-256 (secp256r1) key.
    P256(p256::ecdsa::VerifyingKey),
}

/// Why a holder key, DID or proof was refused: said to the wallet as `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyProofError(pub String);

fn refuse<T>(reason: impl Into<String>) -> Result<T, KeyProofError> {
    Err(KeyProofError(reason.into()))
}

/// The multicodec prefixes of `did:key` public keys (varint-encoded `ed25519-pub` 0xed and `p256-pub` 0x1200).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const P256_PUB: [u8; 2] = [0x80, 0x24];

impl HolderKey {
    /// The key of a `did:key` DID or DID URL (`did:key:z6Mk…`, `did:key:zDn…#zDn…`).
    ///
    /// See: <https://w3c-ccg.github.io/did-key-spec/#format>
    pub fn from_did_key(did: &str) -> Result<Self, KeyProofError> {
        let did = did.split('#').next().unwrap_or(did);
        let Some(multibase) = did.strip_prefix("did:key:z") else {
            return refuse("a did:key must be base58-btc multibase (did:key:z…)");
        };
        let bytes =
            bs58::decode(multibase).into_vec().map_err(|e| KeyProofError(format!("the did:key is not base58: {e}")))?;
        let (prefix, key) = bytes.split_at_checked(2).unwrap_or((&[], &[]));
        match prefix {
            p if p == ED25519_PUB => {
                let key: [u8; 32] =
                    key.try_into().map_err(|_| KeyProofError("an Ed25519 did:key has 32 key bytes".into()))?;
                ed25519_dalek::VerifyingKey::from_bytes(&key)
                    .map(Self::Ed25519)
                    .map_err(|_| KeyProofError("the did:key's Ed25519 key is not a valid point".into()))
            }
            // did:key names a P-256 key by its compressed point only (33 bytes), so one key has one DID.
            p if p == P256_PUB && key.len() != 33 => refuse("a P-256 did:key holds the 33-byte compressed point"),
            p if p == P256_PUB => p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map(Self::P256)
                .map_err(|_| KeyProofError("the did:key's P-256 key is not a valid point".into())),
            _ => refuse("only Ed25519 and P-256 did:key keys are accepted"),
        }
    }

    /// The key of a public JWK (`{"kty":"OKP","crv":"Ed25519","x":…}` or `{"kty":"EC","crv":"P-256","x":…,"y":…}`).
    /// A JWK with private members (`d`) is refused: a wallet must never send its private key.
    ///
    /// See: <https://www.rfc-editor.org/rfc/rfc8037#section-2>, <https://www.rfc-editor.org/rfc/rfc7518#section-6.2.1>
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyProofError> {
        let Some(jwk) = jwk.as_object() else { return refuse("the jwk must be an object") };
        if jwk.contains_key("d") {
            return refuse("the jwk contains a private key (d)");
        }
        let member = |name: &str| -> Result<Vec<u8>, KeyProofError> {
            let text =
                jwk.get(name).and_then(Value::as_str).ok_or_else(|| KeyProofError(format!("the jwk has no {name}")))?;
            URL_SAFE_NO_PAD.decode(text).map_err(|_| KeyProofError(format!("the jwk's {name} is not base64url")))
        };
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        match (text("kty"), text("crv")) {
            (Some("OKP"), Some("Ed25519")) => {
                let x: [u8; 32] =
                    member("x")?.try_into().map_err(|_| KeyProofError("an Ed25519 x has 32 bytes".into()))?;
                ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map(Self::Ed25519)
                    .map_err(|_| KeyProofError("the jwk's Ed25519 key is not a valid point".into()))
            }
            (Some("EC"), Some("P-256")) => {
                let (x, y) = (member("x")?, member("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return refuse("P-256 x and y have 32 bytes each");
                }
                let point =
                    p256::EncodedPoint::from_affine_coordinates(x.as_slice().into(), y.as_slice().into(), false);
                p256::ecdsa::VerifyingKey::from_encoded_point(&point)
                    .map(Self::P256)
                    .map_err(|_| KeyProofError("the jwk's P-256 key is not on the curve".into()))
            }
            _ => refuse("only Ed25519 (OKP) and P-256 (EC) keys are accepted"),
        }
    }

    /// The public JWK of this key, members in lexicographic order (RFC 7638's required members).
    pub fn to_jwk(&self) -> Value {
        match self {
            Self::Ed25519(key) => serde_json::json!({
                "crv": "Ed25519", "kty": "OKP", "x": URL_SAFE_NO_PAD.encode(key.as_bytes()),
            }),
            Self::P256(key) => {
                let point = key.to_encoded_point(false);
                let (x, y) = (point.x().map(|x| x.to_vec()), point.y().map(|y| y.to_vec()));
                serde_json::json!({
                    "crv": "P-256", "kty": "EC",
                    "x": URL_SAFE_NO_PAD.encode(x.unwrap_or_default()),
                    "y": URL_SAFE_NO_PAD.encode(y.unwrap_or_default()),
                })
            }
        }
    }

    /// The `did:jwk` naming this key: the base64url of its public JWK (members sorted, so one key has one
    /// DID). Used as `credentialSubject.id` when a wallet proves a bare `jwk` rather than a DID.
    ///
    /// See: <https://github.com/quartzjer/did-jwk/blob/main/spec.md>
    pub fn did_jwk(&self) -> String {
        format!("did:jwk:{}", URL_SAFE_NO_PAD.encode(self.to_jwk().to_string()))
    }

    /// Checks a JWS signature over `signing_input` with this key, for JWS algorithm `alg`.
    fn verify_jws(&self, alg: &str, signing_input: &[u8], signature: &[u8]) -> Result<(), KeyProofError> {
        match (self, alg) {
            (Self::Ed25519(key), "EdDSA") => {
                let signature = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| KeyProofError("an EdDSA signature has 64 bytes".into()))?;
                key.verify_strict(signing_input, &signature)
                    .map_err(|_| KeyProofError("the proof's signature does not verify with its key".into()))
            }
            (Self::P256(key), "ES256") => {
                use p256::ecdsa::signature::Verifier as _;
                // JWS carries R || S (64 bytes), not DER.
                let signature = p256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| KeyProofError("an ES256 signature is R || S, 64 bytes".into()))?;
                key.verify(signing_input, &signature)
                    .map_err(|_| KeyProofError("the proof's signature does not verify with its key".into()))
            }
            (Self::Ed25519(_), _) => refuse(format!("alg {alg} does not match the Ed25519 key (EdDSA)")),
            (Self::P256(_), _) => refuse(format!("alg {alg} does not match the P-256 key (ES256)")),
        }
    }
}

/// The holder a key proof names: the DID the credential is bound to and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// `did:key:…` or `did:jwk:…`: becomes the credential's `credentialSubject.id`.
    pub did: String,
    /// The key that signed the proof.
    pub key: HolderKey,
}

/// Resolves a holder's DID URL (`kid`): `did:key` (Ed25519 or P-256) with its one verification method
/// (`did:key:z…#z…`), or `did:jwk` with its one, `#0`. Other methods are refused: resolving them would mean
/// fetching documents for a stranger's request.
///
/// See: <https://w3c-ccg.github.io/did-key-spec/#document-creation-algorithm>,
/// <https://github.com/quartzjer/did-jwk/blob/main/spec.md#read>
pub fn resolve_holder(did_url: &str) -> Result<Holder, KeyProofError> {
    let Some((did, fragment)) = did_url.split_once('#') else {
        return refuse("the kid must be a DID URL naming a verification method (did:…#…)");
    };
    let did = did.to_owned();
    if let Some(multibase) = did.strip_prefix("did:key:") {
        if fragment != multibase {
            return refuse("a did:key's verification method is did:key:<key>#<key>");
        }
        let key = HolderKey::from_did_key(&did)?;
        return Ok(Holder { did, key });
    }
    if let Some(encoded) = did.strip_prefix("did:jwk:") {
        if fragment != "0" {
            return refuse("a did:jwk's verification method is #0");
        }
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| KeyProofError("a did:jwk is base64url".into()))?;
        let jwk: Value =
            serde_json::from_slice(&bytes).map_err(|_| KeyProofError("a did:jwk holds a JSON JWK".into()))?;
        let key = HolderKey::from_jwk(&jwk)?;
        return Ok(Holder { did, key });
    }
    refuse("the key must be a did:key or did:jwk DID URL")
}

/// What a verified `jwt` key proof says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProof {
    /// The holder the credential is bound to.
    pub holder: Holder,
    /// The proof's `nonce`: must be a `c_nonce` this issuer handed out and has not yet accepted.
    pub nonce: Option<String>,
}

/// Verifies a `jwt` key proof (OpenID4VCI Appendix F.1) for Credential Issuer `audience` at `now`: its
/// `typ`, `alg` (EdDSA or ES256, matching the key), exactly one of `kid` (a `did:key`/`did:jwk` DID URL) or
/// `jwk`, `aud`, `iat` (no more than [`MAX_PROOF_AGE_SECS`] old nor [`MAX_CLOCK_SKEW_SECS`] ahead) and the
/// signature. Errors are `invalid_proof` descriptions.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-jwt-proof-type>
pub fn verify_proof_jwt(jwt: &str, audience: &str, now: OffsetDateTime) -> Result<KeyProof, KeyProofError> {
    let mut parts = jwt.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return refuse("the proof is not a compact JWS (header.payload.signature)");
    };
    let decode_json = |part: &str, what: &str| -> Result<Map<String, Value>, KeyProofError> {
        let bytes =
            URL_SAFE_NO_PAD.decode(part).map_err(|_| KeyProofError(format!("the proof's {what} is not base64url")))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => refuse(format!("the proof's {what} is not a JSON object")),
        }
    };
    let header = decode_json(header_b64, "header")?;
    let claims = decode_json(payload_b64, "payload")?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| KeyProofError("the proof's signature is not base64url".into()))?;

    if header.get("typ").and_then(Value::as_str) != Some(PROOF_JWT_TYP) {
        return refuse(format!("the proof's typ must be {PROOF_JWT_TYP}"));
    }
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    if !PROOF_ALGORITHMS.contains(&alg) {
        return refuse(format!("alg {alg:?} is not accepted (EdDSA or ES256)"));
    }
    // RFC 7515 §4.1.11: extensions the recipient does not understand must make the JWS invalid.
    if header.contains_key("crit") {
        return refuse("the proof's header has crit extensions this issuer does not support");
    }
    if header.contains_key("x5c") || header.contains_key("trust_chain") {
        return refuse("keys in x5c or trust_chain are not accepted: use kid (did:key, did:jwk) or jwk");
    }
    let holder = match (header.get("kid"), header.get("jwk")) {
        (Some(Value::String(kid)), None) => resolve_holder(kid)?,
        (None, Some(jwk)) => {
            let key = HolderKey::from_jwk(jwk)?;
            Holder { did: key.did_jwk(), key }
        }
        (Some(_), Some(_)) => return refuse("the proof's header must carry kid or jwk, not both"),
        _ => return refuse("the proof's header must carry kid (a DID URL) or jwk"),
    };

    let audience_matches = |aud: &str| aud == audience || aud.trim_end_matches('/') == audience;
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => audience_matches(aud),
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(audience_matches),
        _ => false,
    };
    if !aud_ok {
        return refuse(format!("the proof's aud must be this Credential Issuer, {audience}"));
    }
    let Some(iat) = claims.get("iat").and_then(Value::as_i64) else {
        return refuse("the proof has no iat (seconds since 1970)");
    };
    let now_secs = now.unix_timestamp();
    if iat > now_secs + MAX_CLOCK_SKEW_SECS {
        return refuse("the proof's iat is in the future");
    }
    if iat < now_secs - MAX_PROOF_AGE_SECS {
        return refuse(format!("the proof's iat is more than {MAX_PROOF_AGE_SECS} seconds old"));
    }
    let signing_input = format!("{header_b64}.{payload_b64}");
    holder.key.verify_jws(alg, signing_input.as_bytes(), &signature)?;
    let nonce = claims.get("nonce").and_then(Value::as_str).map(str::to_owned);
    Ok(KeyProof { holder, nonce })
}

/// Whether an issued credential can be bound to a holder: an `OpenBadgeCredential` with one subject object
/// that names no DID yet (binding it to another would change whom it is about). `Err` says why not.
pub fn check_bindable(credential: &Value) -> Result<(), String> {
    let is_open_badge = match credential.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t.as_str() == Some("OpenBadgeCredential")),
        Some(Value::String(t)) => t == "OpenBadgeCredential",
        _ => false,
    };
    if !is_open_badge {
        return Err("only Open Badges credentials (OpenBadgeCredential) are offered to wallets".into());
    }
    match credential.get("credentialSubject") {
        Some(Value::Object(subject)) if subject.get("id").is_none() => Ok(()),
        Some(Value::Object(_)) => {
            Err("the credential's subject already has an id: it cannot be bound to another".into())
        }
        _ => Err("the credential must have exactly one subject to be bound to a holder".into()),
    }
}

/// The unsecured credential bound to `holder_did`: `credential` without its proofs, with
/// `credentialSubject.id` = the holder's DID and everything else (its `id`, status entries, claims) as it
/// was. The caller signs it.
pub fn bind_to_holder(credential: &Value, holder_did: &str) -> Result<Value, String> {
    check_bindable(credential)?;
    let mut bound = credential.clone();
    if let Some(map) = bound.as_object_mut() {
        map.remove("proof");
        if let Some(Value::Object(subject)) = map.get_mut("credentialSubject") {
            subject.insert("id".into(), holder_did.into());
        }
    }
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer as _;

    const AUD: &str = "https://certs.example.eu";

    #[allow(clippy::needless_pass_by_value)] // the cases build their header and claims inline
    fn jwt(header: Value, claims: Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let c = URL_SAFE_NO_PAD.encode(claims.to_string());
        let input = format!("{h}.{c}");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sign(input.as_bytes())))
    }

    fn ed_key() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
    }

    fn ed_did() -> String {
        crate::domain::did::did_key(ed_key().verifying_key().as_bytes())
    }

    fn p256_key() -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap()
    }

    fn p256_did() -> String {
        let point = p256_key().verifying_key().to_encoded_point(true);
        let mut bytes = P256_PUB.to_vec();
        bytes.extend_from_slice(point.as_bytes());
        format!("did:key:z{}", bs58::encode(bytes).into_string())
    }

    fn claims(now: i64) -> Value {
        serde_json::json!({"aud": AUD, "iat": now, "nonce": "n-1"})
    }

    fn sign_ed(input: &[u8]) -> Vec<u8> {
        ed_key().sign(input).to_bytes().to_vec()
    }

    fn sign_p256(input: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer as _;
        let signature: p256::ecdsa::Signature = p256_key().sign(input);
        signature.to_bytes().to_vec()
    }

    #[test]
    fn an_ed25519_did_key_proof_verifies_and_names_its_holder() {
        let now = OffsetDateTime::now_utc();
        let did = ed_did();
        let header = serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "EdDSA", "kid": format!("{did}#{}", &did[8..])});
        let proof = verify_proof_jwt(&jwt(header, claims(now.unix_timestamp()), sign_ed), AUD, now).unwrap();
        assert_eq!(proof.holder.did, did);
        assert_eq!(proof.nonce.as_deref(), Some("n-1"));
    }

    #[test]
    fn a_p256_did_key_and_a_p256_jwk_proof_verify() {
        let now = OffsetDateTime::now_utc();
        let did = p256_did();
        assert!(did.starts_with("did:key:zDn"), "{did}");
        let header = serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "ES256", "kid": format!("{did}#{}", &did[8..])});
        let proof = verify_proof_jwt(&jwt(header, claims(now.unix_timestamp()), sign_p256), AUD, now).unwrap();
        assert_eq!(proof.holder.did, did);

        let jwk = HolderKey::P256(*p256_key().verifying_key()).to_jwk();
        let header = serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "ES256", "jwk": jwk});
        let proof = verify_proof_jwt(&jwt(header, claims(now.unix_timestamp()), sign_p256), AUD, now).unwrap();
        assert!(proof.holder.did.starts_with("did:jwk:"));
        // The did:jwk names the same key when resolved back.
        assert_eq!(resolve_holder(&format!("{}#0", proof.holder.did)).unwrap().key, proof.holder.key);
    }

    #[test]
    fn a_proof_is_refused_for_each_broken_rule() {
        let now = OffsetDateTime::now_utc();
        let t = now.unix_timestamp();
        let did = ed_did();
        let kid = format!("{did}#{}", &did[8..]);
        let good = serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "EdDSA", "kid": kid});
        let cases: Vec<(Value, Value, &str)> = vec![
            (serde_json::json!({"typ": "JWT", "alg": "EdDSA", "kid": kid}), claims(t), "typ"),
            (serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "none", "kid": kid}), claims(t), "alg"),
            (serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "ES256", "kid": kid}), claims(t), "does not match"),
            (serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "EdDSA"}), claims(t), "kid"),
            (
                serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "EdDSA", "kid": "did:web:evil.example#k"}),
                claims(t),
                "did:key or did:jwk",
            ),
            (good.clone(), serde_json::json!({"aud": "https://other.example", "iat": t, "nonce": "n"}), "aud"),
            (good.clone(), serde_json::json!({"aud": AUD, "nonce": "n"}), "iat"),
            (good.clone(), serde_json::json!({"aud": AUD, "iat": t - 3600, "nonce": "n"}), "old"),
            (good.clone(), serde_json::json!({"aud": AUD, "iat": t + 3600, "nonce": "n"}), "future"),
        ];
        for (header, claims, expected) in cases {
            let error = verify_proof_jwt(&jwt(header.clone(), claims, sign_ed), AUD, now).unwrap_err();
            assert!(error.0.contains(expected), "{header}: {error} (expected {expected})");
        }
        // Signed by another key than the one kid names.
        let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
        let forged = jwt(good, claims(t), |input| other.sign(input).to_bytes().to_vec());
        assert!(verify_proof_jwt(&forged, AUD, now).unwrap_err().0.contains("does not verify"));
        // A JWK carrying its private key.
        let mut jwk = HolderKey::Ed25519(ed_key().verifying_key()).to_jwk();
        jwk["d"] = "AAAA".into();
        let header = serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "EdDSA", "jwk": jwk});
        assert!(verify_proof_jwt(&jwt(header, claims(t), sign_ed), AUD, now).unwrap_err().0.contains("private"));
        assert!(verify_proof_jwt("not.a-jwt", AUD, now).is_err());
        // A kid without a fragment, or with another one; crit extensions.
        for kid in [did.clone(), format!("{did}#key-1")] {
            let header = serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "EdDSA", "kid": kid});
            assert!(
                verify_proof_jwt(&jwt(header, claims(t), sign_ed), AUD, now)
                    .unwrap_err()
                    .0
                    .contains("verification method")
            );
        }
        let header = serde_json::json!({"typ": PROOF_JWT_TYP, "alg": "EdDSA", "kid": kid, "crit": ["exp"]});
        assert!(verify_proof_jwt(&jwt(header, claims(t), sign_ed), AUD, now).unwrap_err().0.contains("crit"));
        let jwk_did = HolderKey::Ed25519(ed_key().verifying_key()).did_jwk();
        assert!(resolve_holder(&format!("{jwk_did}#1")).is_err());
        assert!(resolve_holder(&format!("{jwk_did}#0")).is_ok());
    }

    #[test]
    fn binding_sets_the_subject_id_and_keeps_everything_else() {
        let award = serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"], "id": "https://c.example/credentials/1",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialStatus": {"id": "https://c.example/status/1#5", "type": "BitstringStatusListEntry"},
            "credentialSubject": {"type": ["AchievementSubject"], "name": "Ана"},
            "proof": [{"type": "DataIntegrityProof"}],
        });
        let bound = bind_to_holder(&award, "did:key:z6Mk").unwrap();
        assert_eq!(bound["credentialSubject"]["id"], "did:key:z6Mk");
        assert_eq!(bound["credentialSubject"]["name"], "Ана");
        assert_eq!(bound["credentialStatus"], award["credentialStatus"]);
        assert_eq!(bound["id"], award["id"]);
        assert!(bound.get("proof").is_none());
        let mut named = award.clone();
        named["credentialSubject"]["id"] = "did:example:someone".into();
        assert!(bind_to_holder(&named, "did:key:z6Mk").unwrap_err().contains("already"));
        let mut two = award.clone();
        two["credentialSubject"] = serde_json::json!([{}, {}]);
        assert!(check_bindable(&two).is_err());
        let mut other = award;
        other["type"] = serde_json::json!(["VerifiableCredential"]);
        assert!(check_bindable(&other).is_err());
    }
}
