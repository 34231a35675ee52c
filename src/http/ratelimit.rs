//! Rate limiting of the public endpoints, per client IP address: a token bucket per address (governor's
//! keyed limiter: a lock-free check on the fast path, so normal load never notices it). Over the limit,
//! 429 with `Retry-After`: a page for people, problem details for programs.
//!
//! Behind a reverse proxy or CDN every connection comes from the proxy, so the client's address is read from
//! `X-Forwarded-For`, but only when the connection comes from a proxy the operator listed as trusted
//! (`--trusted-proxies`); otherwise the header could be forged to dodge the limit or to exhaust someone
//! else's budget.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

/// A per-address limiter, or none when limiting is switched off.
#[derive(Debug, Clone, Default)]
pub(super) struct RateLimit {
    limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    trusted: Arc<[IpNet]>,
}

impl RateLimit {
    /// `per_second` requests per second per address, with bursts of `burst`; `per_second == 0` switches it off.
    pub(super) fn new(per_second: u32, burst: u32) -> Self {
        let Some(rate) = NonZeroU32::new(per_second) else { return Self::default() };
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        let limiter = Arc::new(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)));
        // Forget addresses that have been quiet, so memory stays bounded (when a runtime is there to do it).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&limiter);
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    let Some(limiter) = weak.upgrade() else { break };
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                }
            });
        }
        Self { limiter: Some(limiter), trusted: Arc::new([]) }
    }

    /// `per_hour` requests per hour per address, in bursts of at most `burst` (for actions that cost
    /// others something, such as e-mailing a sign-in link).
    pub(super) fn per_hour(per_hour: u32, burst: u32) -> Self {
        let Some(rate) = NonZeroU32::new(per_hour) else { return Self::default() };
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        Self {
            limiter: Some(Arc::new(RateLimiter::keyed(Quota::per_hour(rate).allow_burst(burst)))),
            trusted: Arc::new([]),
        }
    }

    /// Believes `X-Forwarded-For` on connections from these proxies.
    #[must_use]
    pub(super) fn trusting(self, proxies: Vec<IpNet>) -> Self {
        Self { trusted: proxies.into(), ..self }
    }
}

/// The client's address: the connection's, unless that is a trusted proxy; then the right-most address of
/// `X-Forwarded-For` (all its lines, in order) that is not a trusted proxy, since each proxy appends the address
/// it received the request from and only the entries our own proxies appended can be believed. An entry that
/// does not parse stops the walk at the last address believed.
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let lines: Vec<&str> = headers.get_all("x-forwarded-for").iter().map(|v| v.to_str().unwrap_or_default()).collect();
    for entry in lines.iter().flat_map(|line| line.split(',')).rev() {
        let entry = entry.trim();
        let Some(ip) = entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip())) else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// The middleware: lets the request through, or answers 429 with `Retry-After` (whole seconds, at least 1).
pub(super) async fn limit(State(limit): State<RateLimit>, request: Request, next: Next) -> Response {
    let Some(limiter) = &limit.limiter else { return next.run(request).await };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(a)| a.ip());
    let address = client_address(peer, request.headers(), &limit.trusted);
    match limiter.check_key(&address) {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            // People reach these addresses too (the credential page from a QR code): they get a page.
            super::negotiate::Reply::data_first(request.headers(), None).too_many_requests(seconds)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn client(peer: &str, forwarded: &[&str], trusted: &[&str]) -> String {
        let mut headers = HeaderMap::new();
        for line in forwarded {
            headers.append("x-forwarded-for", HeaderValue::from_str(line).unwrap());
        }
        let trusted: Vec<IpNet> = trusted.iter().map(|n| n.parse().unwrap()).collect();
        client_address(peer.parse().unwrap(), &headers, &trusted).to_string()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        assert_eq!(client("203.0.113.9", &["198.51.100.1"], &[]), "203.0.113.9", "nothing trusted by default");
        assert_eq!(client("203.0.113.9", &["198.51.100.1"], &["10.0.0.0/8"]), "203.0.113.9", "not from our proxy");
        assert_eq!(client("10.0.0.2", &["198.51.100.1"], &["10.0.0.0/8"]), "198.51.100.1");
        assert_eq!(client("10.0.0.2", &[], &["10.0.0.0/8"]), "10.0.0.2", "a proxy without the header is the client");
    }

    #[test]
    fn addresses_a_client_wrote_itself_are_not_believed() {
        // The client sent "X-Forwarded-For: 1.1.1.1"; our CDN node (10.1.0.5) and load balancer (10.0.0.2) appended.
        let forwarded = ["1.1.1.1, 198.51.100.7", "10.1.0.5"];
        assert_eq!(client("10.0.0.2", &forwarded, &["10.0.0.0/8"]), "198.51.100.7");
        // Only the load balancer is trusted: the CDN node is the client it sees.
        assert_eq!(client("10.0.0.2", &forwarded, &["10.0.0.2/32"]), "10.1.0.5");
    }

    #[test]
    fn ports_ipv6_and_garbage() {
        assert_eq!(client("::1", &["[2001:db8::7]:4711"], &["::1/128"]), "2001:db8::7");
        assert_eq!(client("::ffff:10.0.0.2", &["198.51.100.1:80"], &["10.0.0.0/8"]), "198.51.100.1");
        assert_eq!(client("10.0.0.2", &["198.51.100.1, not-an-ip"], &["10.0.0.0/8"]), "10.0.0.2");
        assert_eq!(client("10.0.0.2", &["10.0.0.3, 10.0.0.4"], &["10.0.0.0/8"]), "10.0.0.3", "all ours: the first");
    }
}
