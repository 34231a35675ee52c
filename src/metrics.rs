//! Prometheus metrics, served at `GET /metrics` on their own address (`--metrics-bind`, loopback by default,
//! so they are not public): requests by route and status with latency histograms, awards issued, status
//! changes, signing and PDF rendering times, status-list re-signing time and the age of the status-version
//! snapshot verdicts are checked against, and database pool usage.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The process-wide recorder (installed once; later calls reuse it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match builder.install_recorder() {
            Ok(handle) => {
                describe();
                handle
            }
            // Another recorder is installed (only possible in tests embedding several apps): keep a private one.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// Every metric microcred records, with its unit and what it means (Prometheus `# HELP` lines), so an
/// operator reading `/metrics` needs no other document.
fn describe() {
    use metrics::Unit;
    let counters = [
        ("microcred_http_requests_total", "Requests answered, by matched route, method and status"),
        ("microcred_credentials_issued_total", "Credentials issued, by path (award, batch, vc-api)"),
        ("microcred_status_changes_total", "Revocations, suspensions and reinstatements, by action"),
        ("microcred_mail_sent_total", "Learners' e-mails the mail server accepted"),
        ("microcred_wallet_credentials_total", "Credentials handed to wallets, by protocol (oid4vci, vcapi)"),
        ("microcred_mail_failures_total", "Failed sending attempts, by kind (temporary: retried; permanent: not)"),
    ];
    for (name, help) in counters {
        metrics::describe_counter!(name, Unit::Count, help);
    }
    let histograms = [
        ("microcred_http_request_duration_seconds", "Time to answer a request, by matched route and method"),
        ("microcred_signature_seconds", "Time to sign one credential (canonicalization, hashing, Ed25519)"),
        ("microcred_pdf_render_seconds", "Time to render one PDF certificate"),
        ("microcred_status_list_sign_seconds", "Time to re-sign a status list after a change (publication lag)"),
        ("microcred_mail_send_seconds", "Time to build and send one learner's e-mail, failures included"),
        ("microcred_mail_smtp_seconds", "Time the mail server (or the outbox folder) took to take one built message"),
    ];
    for (name, help) in histograms {
        metrics::describe_histogram!(name, Unit::Seconds, help);
    }
    metrics::describe_histogram!(
        "microcred_group_commit_credentials",
        Unit::Count,
        "Single awards stored by one transaction (group commit: awards arriving together share one commit)"
    );
    metrics::describe_gauge!(
        "microcred_db_pool_connections",
        Unit::Count,
        "Database pool connections, open and idle (sampled at each scrape)"
    );
    metrics::describe_gauge!(
        "microcred_status_snapshot_age_seconds",
        Unit::Seconds,
        "Age of the status-list versions verdicts are checked against: how late another replica's revocation can show"
    );
    metrics::describe_gauge!("microcred_verdict_cache_entries", Unit::Count, "Verification verdicts cached");
    metrics::describe_gauge!(
        "microcred_mail_deliveries",
        Unit::Count,
        "Learners' e-mails in the outbox, by status (pending, sent, failed, skipped), shared by every replica"
    );
    metrics::describe_gauge!(
        "microcred_mail_oldest_pending_seconds",
        Unit::Seconds,
        "Age of the oldest e-mail still waiting to be sent (0 when none is): how far behind delivery is"
    );
    metrics::describe_gauge!(
        "microcred_verdict_cache_bytes",
        Unit::Bytes,
        "Estimated memory of the cached verdicts and their rendered pages (bounded by --verdict-cache-mb)"
    );
}

/// Middleware counting every request by matched route, method and status, with its duration.
pub async fn track(request: Request, next: Next) -> Response {
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("microcred_http_requests_total", &labels).increment(1);
    metrics::histogram!("microcred_http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}

/// Times `work` into the histogram `name` (in seconds).
pub fn timed<T>(name: &'static str, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = work();
    metrics::histogram!(name).record(started.elapsed().as_secs_f64());
    result
}
