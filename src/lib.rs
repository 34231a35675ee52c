//! microcred: a micro-credential certification service.
//!
//! Assessors award modules through an authenticated API; each award is a W3C Verifiable Credential 2.0 of
//! type `OpenBadgeCredential` (Open Badges 3.0) with a Data Integrity proof; learners download it; employers
//! verify it. The modules, in the order a request meets them:

/// Learners' downloads: the PDF certificate and the baked badge, and reading them back.
pub mod certificate;
/// Command-line interface: every subcommand and how it runs.
pub mod cli;
/// Settings from flags, environment and a TOML file.
pub mod config;
/// Pure domain types (no I/O).
pub mod domain;
/// The service layer's error type.
pub mod error;
/// Fetching from other hosts, guarded against requests to private addresses.
pub mod fetch;
/// Entry points for fuzzing and corpus replay.
pub mod fuzzing;
/// HTTP routing, extractors and problem details.
pub mod http;
/// Private key files: the only module that touches private keys.
pub mod keys;
/// E-mail: SMTP or .eml files, and the messages learners receive.
pub mod mail;
/// Prometheus metrics.
pub mod metrics;
/// Resolving verification methods (did:key, own and remote did:web).
pub mod resolver;
/// Start-up, serving and shutdown.
pub mod server;
/// Use cases.
pub mod service;
/// Persistence on SQLite and PostgreSQL.
pub mod store;
/// Logging.
pub mod telemetry;
/// Verifiable credentials: canonicalization, proofs, the Open Badges model, verification.
pub mod vc;
