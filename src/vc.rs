//! Verifiable credentials: canonicalization, Data Integrity proofs, the Open Badges 3.0 credential model,
//! and verification.
//!
//! The signing pipeline (W3C Data Integrity EdDSA Cryptosuites v1.0):
//! 1. the unsecured document and the proof options are canonicalized — RDFC-1.0 N-Quads of their JSON-LD
//!    meaning (`eddsa-rdfc-2022`) or RFC 8785 JCS (`eddsa-jcs-2022`) — in [`canon`];
//! 2. `hashData = SHA-256(canonical proof config) || SHA-256(canonical document)`;
//! 3. the 64 bytes are signed with Ed25519 and attached as `proofValue` (`z` + base58btc), in [`proof`].
//!
//! Verification ([`verify`]) runs the same steps and reports each check; a bad credential is a verdict,
//! not an error.

pub mod canon;
pub mod contexts;
pub mod credential;
pub mod exchange;
pub mod fastpath;
pub mod holder;
pub mod model;
pub mod oid4vci;
pub mod proof;
pub mod resolve;
pub mod schema;
pub mod status;
pub mod verify;
