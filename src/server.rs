//! Start-up and shutdown of the service: open the store, migrate, create the default issuer, check the
//! keys, then serve until a signal, draining for a bounded time.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::fetch::{FetchPolicy, GuardedClient};
use crate::keys::KeyStore;
use crate::service::Microcred;
use crate::store::{self, PoolSettings};

/// Opens the store named in `config` and applies migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn store::Store>> {
    let settings = PoolSettings { max_connections: config.db_max_connections, ..PoolSettings::default() };
    let store = store::connect(config.database_url.expose(), &settings)
        .await
        .with_context(|| format!("cannot open database {}", config.database_url))?;
    store
        .migrate()
        .await
        .map_err(|e| anyhow::anyhow!(crate::http::problem::error_chain(&e)))
        .with_context(|| format!("cannot prepare database {}", config.database_url))?;
    Ok(store)
}

/// Builds the application from `config` for a command-line use (no bootstrap, no key check).
pub async fn open_app(config: &Config) -> anyhow::Result<Microcred> {
    let store = open_store(config).await?;
    let templates = crate::certificate::Templates::load(&config.templates_dir)?;
    let remote = if config.did_web_resolution {
        let policy = FetchPolicy::public(crate::resolver::DID_FETCH_TIMEOUT);
        Some(GuardedClient::new(policy).context("cannot set up fetching from other hosts")?)
    } else {
        None
    };
    Ok(Microcred::new(store, KeyStore::new(&config.keys_dir), config.public_url.clone())
        .with_remote_fetching(remote)
        .with_verdict_cache_bytes(config.verdict_cache_mb * 1024 * 1024)
        .with_templates(templates)
        .with_fonts(fonts(config))
        .with_wallet_offer_ttl(config.wallet_offer_ttl))
}

/// The certificate fonts: the bundled Noto Sans, the operator's `--fonts-dir`, the system's Noto fonts.
fn fonts(config: &Config) -> crate::certificate::FontChain {
    let chain = crate::certificate::FontChain::discover(config.fonts_dir.as_deref());
    tracing::debug!(
        fonts = chain.fallback_count(),
        "certificate fonts: Noto Sans and {} fallback families",
        chain.fallback_count()
    );
    chain
}

/// Everything `serve` does before accepting connections: open and migrate the database, create the default
/// issuer on first start, and refuse to start with unreadable, missing or too-open key files.
pub async fn prepare(config: &Config) -> anyhow::Result<Microcred> {
    let app = open_app(config).await?;
    if let Some(issuer) = app
        .ensure_default_issuer(&config.issuer_name, &config.issuer_slug, config.issuer_country.clone())
        .await
        .context("cannot create the default issuer")?
    {
        tracing::info!(issuer.did = %issuer.did, "first start: created default issuer {}", issuer.slug);
    }
    app.check_keys().await.context("issuer keys are not usable")?;
    let filled = app.backfill_lookups().await.context("cannot index learners' credentials")?;
    if filled > 0 {
        tracing::info!("indexed {filled} credentials for their learners' space");
    }
    // Cached verdicts are checked against status-list versions polled from the database.
    app.refresh_status_versions().await.context("cannot read status lists")?;
    app.spawn_status_poller();
    Ok(app)
}

/// How `config` says e-mail goes: over SMTP, or as `.eml` files (the log says which).
pub fn mail_setup(config: &Config) -> anyhow::Result<crate::service::deliveries::MailSetup> {
    let mailer = match &config.smtp_url {
        // A reply slower than half the lease is a temporary failure, well before another replica may
        // take the message.
        Some(url) => crate::mail::Mailer::smtp(url, config.mail_lease / 2, config.mail_concurrency.max(1))?,
        None => {
            let mailer = crate::mail::Mailer::files(&config.mail_outbox_dir)?;
            tracing::info!(
                "no SMTP server configured (--smtp-url): learners' e-mails are written as .eml files to {}",
                config.mail_outbox_dir.display()
            );
            mailer
        }
    };
    Ok(crate::service::deliveries::MailSetup {
        mailer,
        from: config.mail_from.clone(),
        retry: config.mail_retry,
        lease: config.mail_lease,
        concurrency: config.mail_concurrency,
    })
}

/// The router for `app` with the HTTP limits of `config`.
pub fn router(app: Microcred, config: &Config) -> Router {
    let settings = crate::http::HttpSettings {
        max_body_bytes: config.max_body_bytes,
        max_batch_bytes: config.max_batch_bytes,
        request_timeout: config.request_timeout,
        max_upload_bytes: config.max_upload_bytes,
        rate_limit_per_second: config.rate_limit_per_second,
        rate_limit_burst: config.rate_limit_burst,
        trusted_proxies: config.trusted_proxies.clone(),
    };
    crate::http::router(Arc::new(app), &settings)
}

/// Serves `router` on `listener` until `shutdown` completes, then lets in-flight requests finish for at
/// most `drain`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> std::io::Result<()> {
    let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
    // Connection info gives the rate limiter each client's address.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: draining requests for at most {} s", drain.as_secs());
        let _ = stopping_tx.send(true);
    });
    tokio::select! {
        result = server => result,
        () = async {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(drain).await;
        } => {
            tracing::warn!("drain time exceeded: closing remaining connections");
            Ok(())
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
