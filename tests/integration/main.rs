//! Integration tests, built into one binary: the store conformance story (SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set), the HTTP API over real sockets, and the command line.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
// A test binary has no public API: `pub` in its modules only shares helpers between them.
#![allow(unreachable_pub)]

mod access;
mod achievements;
mod altered;
mod api;
mod attacks;
mod awards;
mod batch;
mod browser;
mod caching;
mod certificates;
mod cli;
mod context_cache;
mod conventions;
mod crash;
mod credentials;
mod deliveries;
mod fastpath;
mod fuzz_corpus;
mod images;
mod issuers;
mod learners;
mod lifecycle;
mod lossless;
mod observability;
mod pages;
mod peer_edge_cases;
mod readme;
mod replicas;
mod smtp;
mod status;
mod status_checks;
mod store;
mod support;
mod vcapi;
mod vectors;
mod wallet;
