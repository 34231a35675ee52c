//! Page or problem: who is asking, decided once from the `Accept` header.
//!
//! People (browsers) get pages in their language; programs get the data, and RFC 9457 problem details when
//! something fails. A public address decides with [`Reply`], so the credential page, the downloads, `/verify`,
//! the rate limit and unknown addresses all answer the same client the same way.

use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::pages;
use super::problem::{Kind, Problem};
use crate::certificate::Labels;
use crate::error::Error;

/// What a client's `Accept` header asks for first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wants {
    /// `text/html` before any JSON type: a browser.
    Html,
    /// A JSON type (`application/json`, `application/vc+ld+json`, `application/ld+json`,
    /// `application/problem+json`) before `text/html`.
    Json,
    /// Neither (no `Accept`, `*/*`, an image type…).
    Unspecified,
}

/// The JSON media types a program may ask for.
const JSON_TYPES: [&str; 4] =
    ["application/json", "application/vc+ld+json", "application/ld+json", "application/problem+json"];

impl Wants {
    /// Reads `Accept` by the position of the first HTML and the first JSON media type (quality values are
    /// not weighed: browsers list `text/html` first, programs name JSON).
    pub(super) fn of(headers: &HeaderMap) -> Self {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Self::Unspecified;
        };
        let html = accept.find("text/html");
        let json = JSON_TYPES.iter().filter_map(|t| accept.find(t)).min();
        match (html, json) {
            (_, Some(j)) if html.is_none_or(|h| j < h) => Self::Json,
            (Some(_), _) => Self::Html,
            _ => Self::Unspecified,
        }
    }
}

/// The detail of every 404 problem: the same words whatever was missing.
pub(super) const NO_RESOURCE: &str = "no resource at this address";

/// How one request is answered when it fails: a page for a person, problem details for a program.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reply<'a> {
    headers: &'a HeaderMap,
    lang: Option<&'a str>,
    person: bool,
}

impl<'a> Reply<'a> {
    /// At an address whose answer is a page (the credential page, the `/verify` form, assets): a person
    /// unless JSON is asked for.
    pub(super) fn page_first(headers: &'a HeaderMap, lang: Option<&'a str>) -> Self {
        Self { headers, lang, person: Wants::of(headers) != Wants::Json }
    }

    /// At an address whose answer is data (downloads, uploads to check, unknown addresses, the rate limit):
    /// a person only when HTML is asked for first.
    pub(super) fn data_first(headers: &'a HeaderMap, lang: Option<&'a str>) -> Self {
        Self { headers, lang, person: Wants::of(headers) == Wants::Html }
    }

    /// Whether the answer is for a person (a page).
    pub(super) fn is_person(&self) -> bool {
        self.person
    }

    /// The labels of the person's language: `?lang=`, else `Accept-Language`, else `fallback` (the
    /// credential's language), else English.
    pub(super) fn labels(&self, fallback: Option<&str>) -> &'static Labels {
        pages::labels(self.lang, self.headers, fallback)
    }

    /// 404: the same page or problem whatever the address looked like, so malformed and missing ids cannot be
    /// told apart.
    pub(super) fn not_found(&self) -> Response {
        if self.person {
            pages::not_found_page(self.labels(None))
        } else {
            Problem::new(Kind::NotFound, NO_RESOURCE).into_response()
        }
    }

    /// A failed use case: a missing resource as [`Reply::not_found`], anything else as its problem.
    pub(super) fn error(&self, e: Error) -> Response {
        match e {
            Error::NotFound { .. } => self.not_found(),
            e => e.into_response(),
        }
    }

    /// 429 with `Retry-After: seconds`: the rate-limit page or problem.
    pub(super) fn too_many_requests(&self, seconds: u64) -> Response {
        let mut response = if self.person {
            pages::rate_limited_page(self.labels(None), seconds)
        } else {
            Problem::new(
                Kind::TooManyRequests,
                "too many requests from this address; retry after the time given in Retry-After",
            )
            .into_response()
        };
        if let Ok(value) = seconds.to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Fallback for addresses no route serves: an address with a trailing slash is sent (308, method and body
/// kept) to the same address without it; anything else is the 404 page for browsers, problem details for
/// everyone else.
pub(super) async fn unknown_address(uri: Uri, headers: HeaderMap) -> Response {
    if let Some(to) = without_trailing_slash(&uri) {
        return (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, to)]).into_response();
    }
    Reply::data_first(&headers, None).not_found()
}

/// `/a/b/?q` → `/a/b?q`; `None` for an address without a trailing slash, for `/`, and for anything whose
/// trimmed form would start with `//` (a browser reads that as another host: never a redirect elsewhere).
fn without_trailing_slash(uri: &Uri) -> Option<String> {
    let path = uri.path();
    let trimmed = path.strip_suffix('/')?.trim_end_matches('/');
    if trimmed.is_empty() || trimmed.starts_with("//") {
        return None;
    }
    Some(match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        headers
    }

    #[test]
    fn browsers_programs_and_the_undecided() {
        assert_eq!(Wants::of(&accept("text/html,application/xhtml+xml,*/*;q=0.8")), Wants::Html);
        assert_eq!(Wants::of(&accept("application/json")), Wants::Json);
        assert_eq!(Wants::of(&accept("application/vc+ld+json, text/html;q=0.1")), Wants::Json);
        assert_eq!(Wants::of(&accept("text/html, application/json")), Wants::Html);
        assert_eq!(Wants::of(&accept("*/*")), Wants::Unspecified);
        assert_eq!(Wants::of(&HeaderMap::new()), Wants::Unspecified);
    }

    #[test]
    fn a_trailing_slash_leads_to_the_address_without_it_and_never_off_site() {
        let to = |uri: &str| without_trailing_slash(&uri.parse().unwrap());
        assert_eq!(to("/api/v1/credentials/").as_deref(), Some("/api/v1/credentials"));
        assert_eq!(to("/verify/?lang=bg").as_deref(), Some("/verify?lang=bg"));
        assert_eq!(to("/verify//").as_deref(), Some("/verify"));
        assert_eq!(to("/verify"), None);
        assert_eq!(to("/"), None);
        assert_eq!(to("//evil.example/"), None);
        assert_eq!(to("///evil.example//"), None);
    }

    #[test]
    fn the_undecided_get_pages_at_pages_and_problems_elsewhere() {
        let none = HeaderMap::new();
        assert!(Reply::page_first(&none, None).is_person());
        assert!(!Reply::data_first(&none, None).is_person());
        let json = accept("application/json");
        assert!(!Reply::page_first(&json, None).is_person());
    }
}
