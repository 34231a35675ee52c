//! Domain types: pure data and parsing, no I/O.
//!
//! Everything that comes from outside (HTTP bodies, command-line flags, database rows) is parsed into these
//! types once, at the edge, so the rest of the code can trust them.

pub mod achievement;
pub mod api_key;
pub mod audit;
pub mod award;
pub mod batch_csv;
pub mod delivery;
pub mod did;
pub mod image;
pub mod issuer;
pub mod lifecycle;
pub mod public_urls;
pub mod status;
pub mod validation;
pub mod wallet;
pub mod xsd;
