//! Conditional requests: one rule for `ETag`, `If-None-Match` and `Cache-Control` on every cached document
//! (downloads, status lists).
//!
//! See: <https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2>

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A document's validator and how long caches may keep it.
#[derive(Debug, Clone)]
pub(super) struct Validators {
    /// The entity tag, quoted (`"…"`).
    etag: String,
    /// The `Cache-Control` value.
    cache_control: String,
}

impl Validators {
    /// `etag` is a quoted entity tag; `cache_control` the header's value (`public, max-age=3600`).
    pub(super) fn new(etag: impl Into<String>, cache_control: impl Into<String>) -> Self {
        Self { etag: etag.into(), cache_control: cache_control.into() }
    }

    /// Whether the request's `If-None-Match` already names this version (`*`, or one tag of its list, by
    /// the weak comparison RFC 9110 §13.1.2 prescribes for `If-None-Match`).
    pub(super) fn matches(&self, request: &HeaderMap) -> bool {
        let ours = opaque(&self.etag);
        request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|tag| tag == "*" || opaque(tag) == ours)
    }

    /// 304 Not Modified, with the validators.
    pub(super) fn not_modified(&self) -> Response {
        self.apply(StatusCode::NOT_MODIFIED.into_response())
    }

    /// Adds `ETag` and `Cache-Control` to a response.
    pub(super) fn apply(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        if let Ok(etag) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, etag);
        }
        if let Ok(cache) = HeaderValue::from_str(&self.cache_control) {
            headers.insert(header::CACHE_CONTROL, cache);
        }
        response
    }
}

/// An entity tag without its weakness indicator.
fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn if_none_match(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, value.parse().unwrap());
        headers
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison_over_a_list() {
        let v = Validators::new("\"abc\"", "no-cache");
        assert!(v.matches(&if_none_match("\"abc\"")));
        assert!(v.matches(&if_none_match("\"x\", W/\"abc\"")));
        assert!(v.matches(&if_none_match("*")));
        assert!(!v.matches(&if_none_match("\"abcd\"")));
        assert!(!v.matches(&if_none_match("abc")));
        assert!(!v.matches(&HeaderMap::new()));
    }

    #[test]
    fn not_modified_carries_the_validators() {
        let response = Validators::new("\"v1\"", "public, max-age=1").not_modified();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(response.headers()[header::ETAG], "\"v1\"");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "public, max-age=1");
    }
}
