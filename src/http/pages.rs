//! The public pages: the credential page behind the QR code (HTML for people, the credential or the
//! verification report as JSON for machines), `/verify` to check any file, and the 404 page.
//!
//! Pages are server-rendered with askama templates (`templates/pages/`), escaped everywhere, readable
//! without JavaScript, and served with a strict Content-Security-Policy (see [`security_headers`]).

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::certificate::{Facts, Labels, i18n};
use crate::domain::award::IssuedCredential;
use crate::domain::public_urls::{Download, PublicUrls};
use crate::error::Error;
use crate::service::downloads::FileReport;
use crate::service::issuers::PublicProfile;
use crate::vc::verify::{CheckStatus, Outcome, VerificationReport};

/// The page language: `?lang=`, else the browser's `Accept-Language`, else `fallback`, else English.
pub(super) fn labels(query: Option<&str>, headers: &HeaderMap, fallback: Option<&str>) -> &'static Labels {
    query
        .filter(|l| Labels::supports(l))
        .map(Labels::for_tag)
        .or_else(|| {
            headers.get(header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()).and_then(Labels::from_accept_language)
        })
        .or_else(|| fallback.filter(|l| Labels::supports(l)).map(Labels::for_tag))
        .unwrap_or_else(|| Labels::for_tag("en"))
}

/// A link to the same page in another language.
struct Language {
    code: &'static str,
    name: &'static str,
    href: String,
}

fn languages(path: &str) -> Vec<Language> {
    i18n::LANGUAGES
        .iter()
        .map(|code| Language {
            code,
            name: Labels::for_tag(code).get("language_name"),
            href: format!("{path}?lang={code}"),
        })
        .collect()
}

/// The verdict banner.
struct VerdictView {
    class: &'static str,
    label: String,
    explanation: String,
    reason: Option<String>,
    /// The newer credential (a renewal or a correction): the link's text and address.
    successor: Option<(String, String)>,
}

/// One line of the checks list.
struct CheckView {
    status: &'static str,
    mark: &'static str,
    label: String,
    sentence: String,
}

/// The download buttons of one of our credentials.
struct Downloads {
    page: String,
    pdf: String,
    json: String,
    png: String,
    svg: String,
    /// Only for a current credential: adding a revoked or expired one to a profile would present it as held.
    linkedin: Option<String>,
    /// For a credential that is not current: the files are records, not a certificate to present.
    record_note: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/credential.html")]
struct CredentialPage<'a> {
    l: &'a Labels,
    lang: &'a str,
    title: String,
    description: String,
    page_url: Option<String>,
    og_image: Option<String>,
    languages: Vec<Language>,
    verdict: VerdictView,
    printed: Vec<String>,
    /// Above the claims: that they are not verified (a forged credential), or that they are the signed ones
    /// (an altered certificate).
    card_note: Option<String>,
    trusted: bool,
    kicker: String,
    completed: String,
    facts: Facts,
    rows: Vec<(String, String)>,
    checks: Vec<CheckView>,
    downloads: Option<Downloads>,
    upload: bool,
    /// The issuer's logo, when the credential names one of our images (the CSP allows no other).
    logo: Option<String>,
    logo_alt: String,
}

#[derive(Template)]
#[template(path = "pages/message.html")]
struct MessagePage<'a> {
    l: &'a Labels,
    lang: &'a str,
    title: String,
    heading: String,
    text: String,
    languages: Vec<Language>,
}

#[derive(Template)]
#[template(path = "pages/verify.html")]
struct VerifyPage<'a> {
    l: &'a Labels,
    lang: &'a str,
    title: String,
    error: Option<String>,
    languages: Vec<Language>,
}

#[derive(Template)]
#[template(path = "pages/issuer.html")]
struct IssuerPage<'a> {
    l: &'a Labels,
    lang: &'a str,
    title: String,
    description: String,
    page_url: String,
    languages: Vec<Language>,
    name: String,
    about: Option<String>,
    /// Only an image served from our own origin (the page's CSP allows no other).
    logo: Option<String>,
    country: Option<String>,
    website: Option<String>,
    email: Option<String>,
    did: String,
    did_document: String,
    /// `(multibase key, when it signed)`.
    keys: Vec<(String, String)>,
    /// `(achievement URL, name, kind)`.
    achievements: Vec<(String, String, Option<String>)>,
}

/// An issuer's public profile page: who they are, their DID and keys (current and retired, with dates),
/// and the achievements they award.
pub(super) fn issuer_page(l: &'static Labels, profile: &PublicProfile, urls: &PublicUrls) -> Response {
    let issuer = &profile.issuer;
    let date = |t: time::OffsetDateTime| l.date(t.date());
    let keys = profile
        .keys
        .iter()
        .rev()
        .map(|key| {
            let when = match key.retired_at {
                None => l.format("key_current", &[("date", &date(key.created_at))]),
                Some(retired) => l.format("key_retired", &[("from", &date(key.created_at)), ("until", &date(retired))]),
            };
            (key.key_id.clone(), when)
        })
        .collect();
    let achievements = profile
        .achievements
        .iter()
        .map(|a| {
            let kind = (a.spec.achievement_type == "MicroCredential").then(|| l.get("micro_credential").to_owned());
            (urls.achievement(a.id), a.spec.name.clone(), kind)
        })
        .collect();
    let page = IssuerPage {
        l,
        lang: l.lang,
        title: format!("{} — {}", issuer.name, l.get("issuer_profile")),
        description: issuer.description.clone().unwrap_or_else(|| issuer.name.clone()),
        page_url: urls.issuer_profile(&issuer.slug),
        languages: languages(&format!("/issuers/{}", issuer.slug)),
        name: issuer.name.clone(),
        about: issuer.description.clone(),
        logo: issuer.logo_url.as_ref().and_then(|u| PublicUrls::image_file(u.as_str())).map(|f| urls.image(f)),
        country: issuer.country.as_ref().map(|c| l.country(c.as_str())),
        website: issuer.url.as_ref().map(ToString::to_string),
        email: issuer.email.as_ref().map(|e| e.as_str().to_owned()),
        did: issuer.did.clone(),
        did_document: urls.did_document(&issuer.slug),
        keys,
        achievements,
    };
    html(StatusCode::OK, &page)
}

fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => Error::Internal(format!("page template: {e}")).into_response(),
    }
}

/// The page people get when their address is over the rate limit (429; the caller adds `Retry-After`).
pub(super) fn rate_limited_page(l: &'static Labels, seconds: u64) -> Response {
    let text = l.format("rate_limited_text", &[("seconds", &seconds.to_string())]);
    message_page(l, StatusCode::TOO_MANY_REQUESTS, "rate_limited_title", text)
}

/// The 404 page.
pub(super) fn not_found_page(l: &'static Labels) -> Response {
    message_page(l, StatusCode::NOT_FOUND, "not_found_title", l.get("not_found_text").to_owned())
}

/// A page with a heading (the label `title_key`) and one paragraph.
fn message_page(l: &'static Labels, status: StatusCode, title_key: &str, text: String) -> Response {
    let title = l.get(title_key).to_owned();
    html(status, &MessagePage { l, lang: l.lang, heading: title.clone(), title, text, languages: languages("/verify") })
}

fn verdict_view(
    report: &VerificationReport,
    credential: Option<&IssuedCredential>,
    facts: &Facts,
    l: &Labels,
) -> VerdictView {
    let date = |at: Option<time::OffsetDateTime>| at.map(|t| l.date(t.date())).unwrap_or_default();
    // A correction's original is revoked, and its page says why in so many words, with the correction.
    let replaced = report.outcome == Outcome::Revoked && report.replaced_by.is_some();
    let (class, key) = match report.outcome {
        Outcome::Valid => ("valid", "valid"),
        Outcome::Revoked if replaced => ("replaced", "replaced"),
        Outcome::Revoked => ("revoked", "revoked"),
        Outcome::Superseded => ("superseded", "superseded"),
        Outcome::Suspended => ("suspended", "suspended"),
        Outcome::Expired => ("expired", "expired"),
        Outcome::NotYetValid => ("not-yet-valid", "not_yet_valid"),
        Outcome::StatusUnknown => ("status-unknown", "status_unknown"),
        Outcome::Invalid => ("invalid", "invalid"),
        Outcome::Altered => ("altered", "altered"),
    };
    let when = match report.outcome {
        Outcome::Revoked => date(credential.and_then(|c| c.revoked_at)),
        Outcome::Suspended => date(credential.and_then(|c| c.suspended_at)),
        Outcome::Expired => date(facts.valid_until),
        Outcome::NotYetValid => date(facts.valid_from),
        _ => String::new(),
    };
    let until = credential.and_then(|c| c.suspended_until).filter(|_| report.outcome == Outcome::Suspended);
    let mut explanation = match until {
        Some(until) => l.format("explain_suspended_until", &[("date", &when), ("until", &date(Some(until)))]),
        None => l.format(&format!("explain_{key}"), &[("date", &when)]),
    };
    if when.is_empty() && matches!(report.outcome, Outcome::Revoked | Outcome::Suspended) {
        // Another issuer's credential: the list says so, but the date is not known here.
        explanation = l.get(&format!("verdict_{key}")).to_owned();
    }
    let reason = match report.outcome {
        // Only what the assessor wrote for the public: their note is for the issuer's records.
        Outcome::Revoked => credential.and_then(|c| c.revocation_public_reason.clone()),
        Outcome::Suspended => credential.and_then(|c| c.suspension_public_reason.clone()),
        _ => None,
    }
    .filter(|r| !r.is_empty())
    // The replaced verdict says it already.
    .filter(|r| !(replaced && r == crate::domain::lifecycle::CORRECTED_REASON))
    // The lifecycle job's own reason, in the reader's language.
    .map(|r| if r == crate::domain::lifecycle::WITHDRAWN_REASON { l.get("reason_withdrawn").to_owned() } else { r })
    .map(|r| l.format("reason", &[("reason", &r)]));
    // The link goes to the latest version, however many renewals and corrections followed.
    let latest = |next: &String| report.current_version.clone().unwrap_or_else(|| next.clone());
    let successor = match (&report.superseded_by, &report.replaced_by) {
        (Some(next), _) if report.outcome == Outcome::Superseded => {
            Some((l.get("successor_renewal").to_owned(), latest(next)))
        }
        (_, Some(next)) if replaced => Some((l.get("successor_correction").to_owned(), latest(next))),
        _ => None,
    };
    let label = match until {
        Some(until) => l.format("verdict_suspended_until", &[("until", &date(Some(until)))]),
        None => l.get(&format!("verdict_{key}")).to_owned(),
    };
    VerdictView { class, label, explanation, reason, successor }
}

fn check_views(report: &VerificationReport, l: &Labels) -> Vec<CheckView> {
    report
        .checks
        .iter()
        .map(|check| {
            let (status, mark, word) = match check.status {
                CheckStatus::Pass => ("pass", "✓", "pass"),
                CheckStatus::Fail => ("fail", "✗", "fail"),
                CheckStatus::Warn => ("warn", "!", "warn"),
                CheckStatus::Skip => ("skip", "–", "skip"),
            };
            // A status check that failed because the status could not be established says so, not "revoked".
            let unknown = check.name == "status"
                && check.status == CheckStatus::Fail
                && report.errors.iter().any(|e| e.kind.starts_with(crate::vc::status::STATUS_ERRORS));
            let specific = if unknown { "fail_status_unknown".to_owned() } else { format!("{word}_{}", check.name) };
            let generic = format!("{word}_generic");
            let sentence = if l.get(&specific) != specific { l.get(&specific) } else { l.get(&generic) }.to_owned();
            let name_key = format!("check_{}", check.name);
            CheckView { status, mark, label: l.get(&name_key).to_owned(), sentence }
        })
        .collect()
}

/// LinkedIn's add-to-profile link for a certification.
fn linkedin(facts: &Facts, url: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("startTask", "CERTIFICATION_NAME");
    q.append_pair("name", &facts.achievement);
    q.append_pair("organizationName", &facts.issuer);
    if let Some(from) = facts.valid_from {
        q.append_pair("issueYear", &from.year().to_string());
        q.append_pair("issueMonth", &u8::from(from.month()).to_string());
    }
    if let Some(until) = facts.valid_until {
        q.append_pair("expirationYear", &until.year().to_string());
        q.append_pair("expirationMonth", &u8::from(until.month()).to_string());
    }
    q.append_pair("certUrl", url);
    q.append_pair("certId", &facts.credential_id);
    format!("https://www.linkedin.com/profile/add?{}", q.finish())
}

/// What a credential page shows: a signed credential, its verification report, and whether it is one of ours.
pub(super) struct Shown<'a> {
    /// The signed credential.
    pub(super) document: &'a Value,
    /// Its verification report.
    pub(super) report: &'a VerificationReport,
    /// One of ours: the stored credential (dates and reasons of its status) and our addresses (downloads).
    pub(super) ours: Option<(&'a IssuedCredential, &'a PublicUrls)>,
    /// The certificate's printed facts that differ from the signed ones, in words (uploads of a PDF).
    pub(super) printed: Vec<String>,
    /// Shown after an upload to `/verify` (rather than at the credential's own address).
    pub(super) upload: bool,
}

/// The credential page, rendered.
pub(super) fn credential_page(l: &Labels, shown: Shown<'_>) -> Result<String, Error> {
    let Shown { document, report, ours, printed, upload } = shown;
    let credential = ours.map(|(c, _)| c);
    let page_url = ours.map(|(c, urls)| urls.credential(c.id));
    let path = match ours {
        Some((c, _)) if !upload => PublicUrls::credential_path(c.id),
        _ => "/verify".to_owned(),
    };
    let facts = Facts::of(document, l.lang);
    let verdict = verdict_view(report, credential, &facts, l);
    // A credential whose signature fails is not presented like a genuine one.
    let trusted = report.outcome != Outcome::Invalid;
    let card_note = match report.outcome {
        Outcome::Invalid => Some(l.get("untrusted_claims").to_owned()),
        Outcome::Altered => Some(l.get("signed_facts").to_owned()),
        _ => None,
    };
    let rows = crate::certificate::template::FACT_ROWS
        .iter()
        .filter_map(|key| Some((l.get(key).to_owned(), facts.row(key, l)?)))
        .collect();
    // Only a credential that passed every check is presented as one the learner holds now; any other
    // (revoked, suspended, expired, not yet valid, status unknown) is described without the present tense.
    let current = report.outcome == Outcome::Valid;
    let downloads = ours.map(|(c, urls)| {
        let page = urls.credential(c.id);
        Downloads {
            pdf: format!("{}?lang={}", urls.credential_download(c.id, Download::Pdf), l.lang),
            json: urls.credential_download(c.id, Download::Json),
            png: urls.credential_download(c.id, Download::Png),
            svg: urls.credential_download(c.id, Download::Svg),
            linkedin: current.then(|| linkedin(&facts, &page)),
            record_note: match report.outcome {
                Outcome::Valid => None,
                // Not known to be revoked or expired: only not confirmed current.
                Outcome::StatusUnknown => Some(l.get("downloads_unknown_note").to_owned()),
                _ => Some(l.get("downloads_record_note").to_owned()),
            },
            page,
        }
    });
    let completed = if current {
        facts.placeholder("completed", l).unwrap_or_default()
    } else {
        l.get(if facts.micro_credential { "completed_record_micro" } else { "completed_record" }).to_owned()
    };
    // Served from this origin whatever the credential's URL says (the CSP allows no other; the name is the
    // image's digest, so it is the same picture).
    let logo = ours.and_then(|(_, urls)| Some(urls.image(PublicUrls::image_file(facts.issuer_image.as_deref()?)?)));
    let logo_alt = l.format("logo_of", &[("issuer", &facts.issuer)]);
    let title = if facts.learner.is_empty() {
        facts.achievement.clone()
    } else {
        format!("{} — {}", facts.achievement, facts.learner)
    };
    let page = CredentialPage {
        l,
        lang: l.lang,
        description: format!("{}: {} ({})", verdict.label, facts.achievement, facts.issuer),
        title,
        og_image: ours.map(|(c, urls)| urls.credential_download(c.id, Download::Png)),
        page_url,
        languages: languages(&path),
        printed,
        card_note,
        trusted,
        kicker: facts.placeholder("kicker", l).unwrap_or_default(),
        completed,
        checks: check_views(report, l),
        rows,
        verdict,
        facts,
        downloads,
        upload,
        logo,
        logo_alt,
    };
    page.render().map_err(|e| Error::Internal(format!("page template: {e}")))
}

/// The `/verify` form, with what went wrong if anything did.
pub(super) fn verify_form(l: &'static Labels, status: StatusCode, error: Option<String>) -> Response {
    html(
        status,
        &VerifyPage {
            l,
            lang: l.lang,
            title: l.get("verify_title").to_owned(),
            error,
            languages: languages("/verify"),
        },
    )
}

/// The report on an uploaded file; `stored` is our record when the credential is one of ours.
pub(super) fn upload_page(
    l: &Labels,
    report: &FileReport,
    stored: Option<(&IssuedCredential, &PublicUrls)>,
) -> Response {
    let printed = match &report.printed_mismatches {
        None => Vec::new(),
        Some(m) if m.is_empty() => vec![l.get("printed_match").to_owned()],
        Some(m) => m.iter().map(|m| printed_fact(m, l)).collect(),
    };
    let shown = Shown { document: &report.credential, report: &report.report, ours: stored, printed, upload: true };
    match credential_page(l, shown) {
        Ok(page) => Html(page).into_response(),
        Err(e) => e.into_response(),
    }
}

/// One differing fact of an altered certificate, in the person's language: printed versus signed.
fn printed_fact(m: &crate::certificate::Mismatch, l: &Labels) -> String {
    let name_key = match m.fact {
        "learner" | "achievement" | "issuer" | "url" | "learning_outcome" => format!("fact_{}", m.fact),
        row => row.to_owned(),
    };
    let fact = l.get(&name_key);
    match &m.printed {
        Some(printed) => l.format("printed_fact", &[("fact", fact), ("printed", printed), ("signed", &m.expected)]),
        None => l.format("printed_fact_missing", &[("fact", fact), ("signed", &m.expected)]),
    }
}

#[derive(Template)]
#[template(path = "pages/me.html")]
struct MePage<'a> {
    l: &'a Labels,
    lang: &'a str,
    title: String,
    languages: Vec<Language>,
    view: MeView,
}

/// What the learner's space shows.
pub(super) enum MeView {
    /// The sign-in form, with what went wrong and the address typed.
    SignIn { error: Option<String>, email: String },
    /// "Check your e-mail".
    LinkSent { heading: String, text: String },
    /// The signed-in learner's credentials.
    Credentials { signed_in_as: String, csrf: String, credentials: Vec<HeldCredential> },
}

/// One credential in the learner's space.
pub(super) struct HeldCredential {
    verdict_class: &'static str,
    verdict: String,
    achievement: String,
    issued: String,
    page: String,
    pdf: String,
    json: String,
    linkedin: Option<String>,
    /// Where the "Add to wallet" form posts (with the session's form token); none for a credential that is
    /// not valid now (revoked, suspended, expired: it cannot be added).
    wallet: Option<String>,
    /// The versions it renews or corrects, newest first.
    earlier: Vec<HeldCredential>,
}

impl HeldCredential {
    /// A credential of the learner with its verdict; `claim` goes into the page link so opening it from
    /// the space marks it claimed.
    pub(super) fn new(
        l: &Labels,
        verdict: &crate::service::verification::Verdict,
        urls: &PublicUrls,
        claim: &str,
    ) -> Self {
        let facts = Facts::of(&verdict.document, l.lang);
        let view = verdict_view(&verdict.report, Some(&verdict.credential), &facts, l);
        let id = verdict.credential.id;
        let page = urls.credential(id);
        let issued = l.format(
            "me_issued_on",
            &[("date", &l.date(verdict.credential.issued_at.date())), ("issuer", &facts.issuer)],
        );
        HeldCredential {
            verdict_class: view.class,
            verdict: view.label,
            achievement: facts.achievement.clone(),
            issued,
            linkedin: (verdict.report.outcome == Outcome::Valid).then(|| linkedin(&facts, &page)),
            page: format!("{page}?lang={}&claim={claim}", l.lang),
            pdf: format!("{}?lang={}", urls.credential_download(id, Download::Pdf), l.lang),
            json: urls.credential_download(id, Download::Json),
            wallet: (verdict.report.outcome == Outcome::Valid)
                .then(|| format!("{}?lang={}", PublicUrls::wallet_path(id), l.lang)),
            earlier: Vec::new(),
        }
    }

    /// With the versions it renews or corrects.
    pub(super) fn with_earlier(mut self, earlier: Vec<HeldCredential>) -> Self {
        self.earlier = earlier;
        self
    }
}

#[derive(Template)]
#[template(path = "pages/wallet.html")]
struct WalletPage<'a> {
    l: &'a Labels,
    lang: &'a str,
    title: String,
    languages: Vec<Language>,
    view: WalletView,
}

/// What an "Add to wallet" page shows.
pub(super) enum WalletView {
    /// From the e-mail's link, signed in: a button that mints an offer (a POST, so mail scanners mint none).
    Confirm { achievement: String, action: String, csrf: String },
    /// From the e-mail's link, not signed in: sign in to the space first.
    SignInFirst,
    /// A minted offer: the QR code of its interaction URL and the same-device links.
    Offer {
        achievement: String,
        qr_svg: String,
        offer_url: String,
        lcw_url: Option<String>,
        expires: String,
        again: String,
        csrf: String,
    },
    /// The interaction URL opened in a browser: which wallets to use.
    Interaction { offer_url: String, lcw_url: Option<String> },
    /// A revoked, suspended or expired credential: it cannot be added.
    NotCurrent,
    /// A used or expired offer, or an unknown credential.
    Gone,
}

/// An "Add to wallet" page in the learner's language; never cached (an offer is one person's, once).
pub(super) fn wallet_page(l: &'static Labels, status: StatusCode, path: &str, view: WalletView) -> Response {
    let page =
        WalletPage { l, lang: l.lang, title: l.get("wallet_title").to_owned(), languages: languages(path), view };
    let mut response = html(status, &page);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The learner's space, `/me`, showing `view`; never cached (it is one person's).
pub(super) fn me_page(l: &'static Labels, status: StatusCode, view: MeView) -> Response {
    let page = MePage { l, lang: l.lang, title: l.get("me_title").to_owned(), languages: languages("/me"), view };
    let mut response = html(status, &page);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The Content-Security-Policy of images served on their own (uploaded SVGs, baked SVG badges): nothing is
/// loaded or run, even when the file is opened directly; its own inline styles and embedded raster images
/// are drawn.
pub(super) const IMAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/// Security headers: on every response `X-Content-Type-Options: nosniff` and `Referrer-Policy`; on HTML a
/// strict Content-Security-Policy (own scripts and styles only, no framing, forms only to ourselves).
pub(super) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    let is_html =
        headers.get(header::CONTENT_TYPE).and_then(|c| c.to_str().ok()).is_some_and(|c| c.starts_with("text/html"));
    if is_html {
        // A page that set its own policy (the API reference's) keeps it.
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
                ),
            );
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    }
    response
}
