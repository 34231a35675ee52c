//! The learner's space, `/me`: a sign-in form that e-mails a one-time link, the link that opens a session,
//! the list of every credential issued to the learner's address, and signing out. Pages only (people use
//! them); state-changing forms are checked against cross-site requests.

use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::certificate::Labels;
use crate::domain::award::CredentialId;
use crate::domain::public_urls::PublicUrls;
use crate::http::AppState;
use crate::http::pages::{self, HeldCredential, MeView, WalletView};
use crate::service::learners::{Learner, SignInRequest};

/// The session cookie's name.
const COOKIE: &str = "microcred_session";

/// `?lang=` of the space's pages.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct LangQuery {
    /// Page language: en, bg, el, es or it (default: the browser's).
    lang: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct SignInForm {
    /// The address credentials were sent to.
    #[serde(default)]
    email: String,
}

/// The sign-out form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct SignOutForm {
    /// The session's form token.
    #[serde(default)]
    csrf: String,
}

/// `GET /me`: the signed-in learner's credentials, or the sign-in form.
#[utoipa::path(
    get,
    operation_id = "learner_space",
    path = "/me",
    tag = "public",
    params(LangQuery),
    responses((status = 200, description = "The learner's credentials (signed in), or the sign-in form (HTML)", content_type = "text/html"))
)]
pub(super) async fn space(State(state): State<AppState>, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let l = pages::labels(q.lang.as_deref(), &headers, None);
    match signed_in(&state, &headers).await {
        Ok(Some(learner)) => credentials_page(&state, l, &learner).await,
        Ok(None) => pages::me_page(l, StatusCode::OK, MeView::SignIn { error: None, email: String::new() }),
        Err(e) => e.into_response(),
    }
}

/// `POST /me/sign-in` (form field `email`): e-mails a one-time sign-in link if the address holds
/// credentials, and answers the same either way.
#[utoipa::path(
    post,
    operation_id = "learner_sign_in_request",
    path = "/me/sign-in",
    tag = "public",
    params(LangQuery),
    request_body(content = SignInForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "\"Check your e-mail\" (HTML), whether or not the address holds credentials", content_type = "text/html"),
        (status = 403, description = "A form sent from another site", content_type = "text/html"),
        (status = 422, description = "Not an e-mail address: the form again, saying so", content_type = "text/html"),
        (status = 429, description = "Too many links asked for", content_type = "text/html"),
    )
)]
pub(super) async fn request_link(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let l = pages::labels(q.lang.as_deref(), &headers, None);
    if !same_origin(&state, &headers) {
        return form_expired(l);
    }
    let email = form.map(|Form(f)| f.email).unwrap_or_default();
    match state.app.request_sign_in(&email, l).await {
        Ok(SignInRequest::Accepted) => {
            let text = l.format("me_link_sent", &[("email", email.trim())]);
            pages::me_page(
                l,
                StatusCode::OK,
                MeView::LinkSent { heading: l.get("me_link_sent_title").to_owned(), text },
            )
        }
        Ok(SignInRequest::TooMany) => too_many(l),
        Err(crate::error::Error::Validation(_)) => pages::me_page(
            l,
            StatusCode::UNPROCESSABLE_ENTITY,
            MeView::SignIn { error: Some(l.get("me_invalid_email").to_owned()), email },
        ),
        Err(e) => e.into_response(),
    }
}

/// `GET /me/sign-in/{token}`: the link from the e-mail. Opens a session (an `HttpOnly`, `SameSite=Lax`
/// cookie, `Secure` on https) and shows the space; a used or expired link gets the form again.
#[utoipa::path(
    get,
    operation_id = "learner_sign_in",
    path = "/me/sign-in/{token}",
    tag = "public",
    params(("token" = String, Path, description = "The one-time token from the e-mail"), LangQuery),
    responses(
        (status = 303, description = "Signed in: to /me"),
        (status = 410, description = "A used or expired link: the form to ask for another (HTML)", content_type = "text/html"),
    )
)]
pub(super) async fn open_link(
    State(state): State<AppState>,
    method: axum::http::Method,
    token: Result<Path<String>, PathRejection>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let l = pages::labels(q.lang.as_deref(), &headers, None);
    // A HEAD (link checkers, previews) must not use the link up.
    if method == axum::http::Method::HEAD {
        return pages::me_page(l, StatusCode::OK, MeView::SignIn { error: None, email: String::new() });
    }
    let token = token.map(|Path(t)| t).unwrap_or_default();
    match state.app.sign_in(&token).await {
        Ok(Some((cookie, _))) => {
            let secure = if state.app.public_url().scheme() == "https" { "; Secure" } else { "" };
            let max_age = crate::service::learners::SESSION_TTL.as_secs();
            let set = format!("{COOKIE}={cookie}; Path=/me; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
            redirect(l, Some(set))
        }
        Ok(None) => {
            let mut response = pages::me_page(
                l,
                StatusCode::GONE,
                MeView::SignIn { error: Some(l.get("me_link_expired").to_owned()), email: String::new() },
            );
            response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            response
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /me/sign-out` (form field `csrf`): ends the session.
#[utoipa::path(
    post,
    operation_id = "learner_sign_out",
    path = "/me/sign-out",
    tag = "public",
    params(LangQuery),
    request_body(content = SignOutForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed out: to /me"),
        (status = 403, description = "A form without this session's token (HTML)", content_type = "text/html"),
    )
)]
pub(super) async fn sign_out(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    form: Result<Form<SignOutForm>, FormRejection>,
) -> Response {
    let l = pages::labels(q.lang.as_deref(), &headers, None);
    let learner = match signed_in(&state, &headers).await {
        Ok(Some(learner)) => learner,
        Ok(None) => return redirect(l, None),
        Err(e) => return e.into_response(),
    };
    let token = form.map(|Form(f)| f.csrf).unwrap_or_default();
    let token_matches: bool = subtle::ConstantTimeEq::ct_eq(token.as_bytes(), learner.csrf.as_bytes()).into();
    if !token_matches || !same_origin(&state, &headers) {
        return form_expired(l);
    }
    if let Some(cookie) = cookie(&headers)
        && let Err(e) = state.app.sign_out(cookie).await
    {
        return e.into_response();
    }
    redirect(l, Some(format!("{COOKIE}=; Path=/me; HttpOnly; SameSite=Lax; Max-Age=0")))
}

/// The "Add to wallet" form: the session's form token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct WalletForm {
    /// The session's form token (CSRF).
    #[serde(default)]
    csrf: String,
}

/// The achievement's name of credential `id`, in the page's language.
async fn achievement_name(state: &AppState, id: CredentialId, l: &Labels) -> crate::error::Result<String> {
    let verdict = state.app.verdict(id).await?;
    Ok(crate::certificate::Facts::of(&verdict.document, l.lang).achievement)
}

/// `GET /me/credentials/{id}/wallet`: the e-mail's "Add to wallet" link. Signed in with the address the
/// credential was sent to: a button that shows the QR code (a POST, so mail scanners following links mint
/// nothing); otherwise, a page asking to sign in first (a wallet copy says its holder is the learner, so the
/// learner proves the address first).
#[utoipa::path(
    get,
    operation_id = "learner_wallet_confirm",
    path = "/me/credentials/{id}/wallet",
    tag = "public",
    params(("id" = uuid::Uuid, Path, description = "The credential id"), LangQuery),
    responses(
        (status = 200, description = "A button to show the QR code for a wallet, or a request to sign in first (HTML)", content_type = "text/html"),
        (status = 404, description = "No such credential among the signed-in learner's (HTML)", content_type = "text/html"),
    )
)]
pub(super) async fn wallet_confirm(
    State(state): State<AppState>,
    id: Result<Path<uuid::Uuid>, PathRejection>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let l = pages::labels(q.lang.as_deref(), &headers, None);
    let Ok(Path(id)) = id else { return gone(l, "/me") };
    let id = CredentialId(id);
    let path = PublicUrls::wallet_path(id);
    let learner = match signed_in(&state, &headers).await {
        Ok(Some(learner)) => learner,
        Ok(None) => return pages::wallet_page(l, StatusCode::OK, &path, WalletView::SignInFirst),
        Err(e) => return e.into_response(),
    };
    match state.app.learner_holds(&learner, id).await {
        Ok(true) => {}
        Ok(false) => return gone(l, &path),
        Err(e) => return e.into_response(),
    }
    match achievement_name(&state, id, l).await {
        Ok(achievement) => pages::wallet_page(
            l,
            StatusCode::OK,
            &path,
            WalletView::Confirm { achievement, action: format!("{path}?lang={}", l.lang), csrf: learner.csrf },
        ),
        Err(e) => e.into_response(),
    }
}

/// `POST /me/credentials/{id}/wallet` (form field `csrf`, signed in): mints a single-use wallet offer of one of
/// the learner's credentials and shows its QR code (the VCALM interaction URL, for OpenID4VCI and VC-API
/// wallets) and same-device links.
#[utoipa::path(
    post,
    operation_id = "learner_wallet_offer",
    path = "/me/credentials/{id}/wallet",
    tag = "public",
    params(("id" = uuid::Uuid, Path, description = "The credential id"), LangQuery),
    request_body(content = WalletForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The QR code and links for a wallet app, or a request to sign in first (HTML)", content_type = "text/html"),
        (status = 403, description = "A form sent from another site, or without the session's token", content_type = "text/html"),
        (status = 404, description = "No such credential among the learner's (HTML)", content_type = "text/html"),
        (status = 409, description = "A revoked, suspended or expired credential (HTML)", content_type = "text/html"),
    )
)]
pub(super) async fn wallet_offer(
    State(state): State<AppState>,
    id: Result<Path<uuid::Uuid>, PathRejection>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    form: Result<Form<WalletForm>, FormRejection>,
) -> Response {
    let l = pages::labels(q.lang.as_deref(), &headers, None);
    let Ok(Path(id)) = id else { return gone(l, "/me") };
    let id = CredentialId(id);
    let path = PublicUrls::wallet_path(id);
    let learner = match signed_in(&state, &headers).await {
        Ok(Some(learner)) => learner,
        Ok(None) => return pages::wallet_page(l, StatusCode::OK, &path, WalletView::SignInFirst),
        Err(e) => return e.into_response(),
    };
    let token = form.map(|Form(f)| f.csrf).unwrap_or_default();
    let token_matches: bool = subtle::ConstantTimeEq::ct_eq(token.as_bytes(), learner.csrf.as_bytes()).into();
    if !token_matches || !same_origin(&state, &headers) {
        return form_expired(l);
    }
    let offer = match state.app.mint_offer_for_learner(id, &learner).await {
        Ok(offer) => offer,
        Err(crate::error::Error::NotFound { .. }) => return gone(l, &path),
        Err(crate::error::Error::NotPossible(_)) => {
            return pages::wallet_page(l, StatusCode::CONFLICT, &path, WalletView::NotCurrent);
        }
        Err(e) => return e.into_response(),
    };
    let achievement = match achievement_name(&state, id, l).await {
        Ok(name) => name,
        Err(e) => return e.into_response(),
    };
    let Some(qr_svg) = crate::certificate::qr_svg(&offer.interaction_url, 240) else {
        return crate::error::Error::Internal("the interaction URL does not fit a QR code".into()).into_response();
    };
    let time = offer.expires_at.format(&time::macros::format_description!("[hour]:[minute]")).unwrap_or_default();
    let view = WalletView::Offer {
        achievement,
        qr_svg,
        offer_url: offer.offer_url,
        lcw_url: offer.lcw_url,
        expires: l.format("wallet_expires", &[("time", &time)]),
        again: format!("{path}?lang={}", l.lang),
        csrf: learner.csrf,
    };
    pages::wallet_page(l, StatusCode::OK, &path, view)
}

fn gone(l: &'static Labels, path: &str) -> Response {
    pages::wallet_page(l, StatusCode::NOT_FOUND, path, WalletView::Gone)
}

/// The learner's credentials, each with its verdict.
async fn credentials_page(state: &AppState, l: &'static Labels, learner: &Learner) -> Response {
    let held = match state.app.learner_credentials(learner).await {
        Ok(held) => held,
        Err(e) => return e.into_response(),
    };
    let mut credentials = Vec::with_capacity(held.len());
    for ((credential, claim), versions) in held {
        let mut earlier = Vec::with_capacity(versions.len());
        for (version, claim) in versions {
            match state.app.verdict(version.id).await {
                Ok(verdict) => earlier.push(HeldCredential::new(l, &verdict, state.app.urls(), &claim)),
                Err(e) => return e.into_response(),
            }
        }
        match state.app.verdict(credential.id).await {
            Ok(verdict) => {
                credentials.push(HeldCredential::new(l, &verdict, state.app.urls(), &claim).with_earlier(earlier));
            }
            Err(e) => return e.into_response(),
        }
    }
    let view = MeView::Credentials {
        signed_in_as: l.format("me_signed_in_as", &[("email", &learner.email)]),
        csrf: learner.csrf.clone(),
        credentials,
    };
    pages::me_page(l, StatusCode::OK, view)
}

/// The session cookie's value, if sent.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

async fn signed_in(state: &AppState, headers: &HeaderMap) -> crate::error::Result<Option<Learner>> {
    match cookie(headers) {
        Some(value) => state.app.learner(value).await,
        None => Ok(None),
    }
}

/// Whether a form was sent from our own pages: the `Origin` a browser sends with a POST is ours, or,
/// without one, `Sec-Fetch-Site` does not say another site sent it.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let ours = state.app.public_url().origin().ascii_serialization();
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) => origin == ours,
        None => headers
            .get("sec-fetch-site")
            .and_then(|s| s.to_str().ok())
            .is_none_or(|site| matches!(site, "same-origin" | "none")),
    }
}

fn form_expired(l: &'static Labels) -> Response {
    pages::me_page(
        l,
        StatusCode::FORBIDDEN,
        MeView::SignIn { error: Some(l.get("me_form_expired").to_owned()), email: String::new() },
    )
}

fn too_many(l: &'static Labels) -> Response {
    let text = l.format("me_too_many", &[("minutes", "60")]);
    let mut response =
        pages::me_page(l, StatusCode::TOO_MANY_REQUESTS, MeView::SignIn { error: Some(text), email: String::new() });
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
    response
}

/// 303 to `/me` in the page's language, setting `cookie` if given.
fn redirect(l: &Labels, cookie: Option<String>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/me?lang={}", l.lang))]).into_response();
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
