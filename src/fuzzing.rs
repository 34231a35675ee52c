//! Entry points for fuzzing (`fuzz/`, cargo-fuzz) and for replaying the fuzz corpus as ordinary tests
//! (`tests/integration/fuzz_corpus.rs`): each takes arbitrary bytes, runs one parser on them the way the
//! service does, and must return without panicking whatever the bytes are.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::vc::resolve::resolve_did_key;
use crate::vc::verify::{KeyResolver, NoStatusLists, ResolveError, ResolvedKey, Verifier};

/// Resolves `did:key` only (no network, no database), as an offline verifier would.
struct DidKeys;

#[async_trait]
impl KeyResolver for DidKeys {
    async fn resolve(&self, method: &str) -> Result<ResolvedKey, ResolveError> {
        resolve_did_key(method)
    }
}

static RUNTIME: LazyLock<Option<tokio::runtime::Runtime>> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().build().ok());

/// Verifies `bytes` as a credential (JSON, then every check of the verifier).
pub fn verify_json(bytes: &[u8]) {
    let Ok(credential) = serde_json::from_slice::<serde_json::Value>(bytes) else { return };
    let Some(runtime) = RUNTIME.as_ref() else { return };
    let verifier = Verifier { keys: &DidKeys, status: &NoStatusLists, now: time::OffsetDateTime::UNIX_EPOCH };
    let _ = runtime.block_on(verifier.verify(&credential));
}

/// Parses `bytes` as a CSV batch upload.
pub fn csv_batch(bytes: &[u8]) {
    let _ = crate::domain::batch_csv::parse_csv(bytes);
}

/// Reads `bytes` as a certificate PDF (embedded credential and printed text).
pub fn pdf(bytes: &[u8]) {
    if let Ok(contents) = crate::certificate::extract::read_pdf(bytes)
        && let Ok(credential) = serde_json::from_slice(&contents.credential)
    {
        let _ = crate::certificate::printed_mismatches(&contents.text, &credential);
    }
}

/// Reads `bytes` as a baked badge PNG.
pub fn png(bytes: &[u8]) {
    let _ = crate::certificate::badge::extract(bytes);
}

/// Renders problem details from arbitrary text, as error paths do with input echoed in `detail`.
pub fn problem(bytes: &[u8]) {
    use axum::response::IntoResponse as _;
    let text = String::from_utf8_lossy(bytes);
    let (kind, detail) = text.split_at(text.char_indices().nth(1).map_or(text.len(), |(i, _)| i));
    let kinds = crate::http::problem::Kind::all();
    let kind = kinds[kind.bytes().next().map_or(0, usize::from) % kinds.len()];
    let _ = crate::http::problem::Problem::new(kind, detail.to_owned()).into_response();
    let _ = crate::domain::validation::ValidationErrors::single("field", detail.to_owned()).to_string();
}
