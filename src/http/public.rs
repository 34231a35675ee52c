//! What learners and employers reach without an account: the credential page behind the QR code and the
//! downloads, the JSON verification report, `/verify` to check any file, the status lists, the issuers' DID
//! documents, the achievements credentials name, and the pages' assets. People get pages in their language,
//! programs JSON and problem details ([`Reply`](super::negotiate::Reply) decides).

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, HttpSettings};

mod achievements;
mod assets;
mod credentials;
mod images;
mod issuers;
mod learners;
mod status_lists;
mod verify;

pub(super) use assets::asset;

/// The public routes, each documented in the OpenAPI description by its own annotation (the caller adds the
/// rate limit).
pub(super) fn routes(settings: &HttpSettings) -> OpenApiRouter<AppState> {
    let (schemas, paths, verify) = routes!(verify::page, verify::upload);
    // E-mailing sign-in links costs learners' inboxes and our sender's reputation: 30 an hour per client
    // address (a classroom behind one address still signs in), besides 5 an hour per e-mail address.
    let links = super::ratelimit::RateLimit::per_hour(30, 30).trusting(settings.trusted_proxies.clone());
    let (link_schemas, link_paths, sign_in) = routes!(learners::request_link);
    OpenApiRouter::new()
        .routes(routes!(learners::space))
        .routes((
            link_schemas,
            link_paths,
            sign_in.route_layer(axum::middleware::from_fn_with_state(links, super::ratelimit::limit)),
        ))
        .routes(routes!(learners::open_link))
        .routes(routes!(learners::sign_out))
        .routes(routes!(learners::wallet_confirm, learners::wallet_offer))
        .routes(routes!(issuers::did_document))
        .routes(routes!(issuers::profile))
        .routes(routes!(images::image))
        .routes(routes!(achievements::achievement))
        .routes(routes!(achievements::extension_context))
        .routes(routes!(status_lists::status_list))
        .routes(routes!(credentials::file))
        .routes(routes!(credentials::report))
        .routes((schemas, paths, verify.layer(DefaultBodyLimit::max(settings.max_upload_bytes))))
}
