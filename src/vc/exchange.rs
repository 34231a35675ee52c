//! W3C VCALM (VC-API) exchanges, as data: the DIDAuthentication request a wallet is asked to answer, and
//! the presentation that carries the credential back. Pure; the exchange itself is `service/wallet.rs`.
//!
//! See: <https://w3c.github.io/vcalm/#workflows-and-exchanges>

use serde_json::{Value, json};

use super::contexts::CREDENTIALS_V2;

/// The `verifiablePresentationRequest` asking the holder to authenticate with a DID (`did:key`, signed with
/// `eddsa-rdfc-2022`) over `challenge` and `domain`, answered at `service_endpoint` (the exchange URL).
///
/// See: <https://w3c.github.io/vcalm/#the-did-authentication-query-format>,
/// <https://w3c-ccg.github.io/vp-request-spec/#did-authentication>
pub fn did_auth_request(challenge: &str, domain: &str, service_endpoint: &str) -> Value {
    json!({
        "query": [{
            "type": "DIDAuthentication",
            "acceptedMethods": [{"method": "key"}],
            // The older suite last: the Learner Credential Wallet still signs with it.
            "acceptedCryptosuites": [{"cryptosuite": "eddsa-rdfc-2022"}, {"cryptosuite": "Ed25519Signature2020"}],
        }],
        "challenge": challenge,
        "domain": domain,
        "interact": {"service": [{"type": "UnmediatedPresentationService2021", "serviceEndpoint": service_endpoint}]},
    })
}

/// The unsigned presentation an exchange answers with: `{"@context", "type", "verifiableCredential": [credential]}`
/// (an array: the Learner Credential Wallet reads its first item).
///
/// See: <https://w3c.github.io/vcalm/#participate-in-an-exchange>
pub fn presentation_of(credential: &Value) -> Value {
    json!({
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential],
    })
}

/// The (first) proof of a secured document: `proof` is an object or an array of them.
pub fn first_proof(document: &Value) -> Option<&Value> {
    match document.get("proof")? {
        Value::Array(items) => items.first(),
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_asks_for_did_authentication_over_the_challenge_and_domain() {
        let request = did_auth_request("c-1", "https://certs.example.eu", "https://certs.example.eu/x");
        assert_eq!(request["query"][0]["type"], "DIDAuthentication");
        assert_eq!(request["challenge"], "c-1");
        assert_eq!(request["domain"], "https://certs.example.eu");
        assert_eq!(request["interact"]["service"][0]["serviceEndpoint"], "https://certs.example.eu/x");
        assert_eq!(presentation_of(&json!({"id": "x"}))["verifiableCredential"][0]["id"], "x");
        assert_eq!(first_proof(&json!({"proof": [{"a": 1}]})), Some(&json!({"a": 1})));
        assert_eq!(first_proof(&json!({"proof": {"a": 1}})), Some(&json!({"a": 1})));
    }
}
