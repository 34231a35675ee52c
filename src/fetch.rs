//! The one place microcred fetches documents from other hosts (`did:web` DID documents, other issuers'
//! status lists), and only when the operator switched it on (`--did-web-resolution true`).
//!
//! A verifier that fetches URLs named by untrusted credentials is a classic server-side request forgery
//! vector: a credential could make the server call its own admin ports or a cloud metadata service. So
//! every fetch is guarded: HTTPS only, no proxy, and never to a private, loopback, link-local or otherwise
//! non-public address — checked on the address each host name resolves to (so DNS cannot smuggle one in)
//! and again on every redirect; with a time limit and a size limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use url::Url;

/// Why a document could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// Limits of a [`GuardedClient`].
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Longest wait for the whole answer.
    pub timeout: Duration,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Addresses allowed even though they are not public, with plain HTTP allowed to them. Empty in
    /// production; tests name the loopback address of their own server here.
    pub allowed_private: Vec<IpAddr>,
}

impl FetchPolicy {
    /// HTTPS to public addresses only, each fetch within `timeout`.
    pub fn public(timeout: Duration) -> Self {
        Self { timeout, max_redirects: 3, allowed_private: Vec::new() }
    }
}

/// An HTTP client that fetches only from public addresses, over HTTPS, within a policy's limits.
#[derive(Debug, Clone)]
pub struct GuardedClient {
    http: reqwest::Client,
    policy: Arc<FetchPolicy>,
}

impl GuardedClient {
    /// A client for `policy`.
    ///
    /// Errors: the TLS back-end cannot be set up (a startup error, never a silently weaker client).
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        let policy = Arc::new(policy);
        let for_redirects = Arc::clone(&policy);
        let http = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            // A proxy would resolve names itself, out of the guard's sight.
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly { policy: Arc::clone(&policy) }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > for_redirects.max_redirects {
                    return attempt.error(FetchError("too many redirects".into()));
                }
                match check_url(attempt.url(), &for_redirects) {
                    Ok(()) => attempt.follow(),
                    Err(e) => attempt.error(e),
                }
            }))
            .build()
            .map_err(|e| FetchError(format!("cannot set up the HTTPS client: {e}")))?;
        Ok(Self { http, policy })
    }

    /// Fetches `url` and returns its body, refusing non-public addresses, answers other than 2xx, and
    /// bodies over `limit` bytes.
    pub async fn get(&self, url: &Url, accept: &str, limit: usize) -> Result<Vec<u8>, FetchError> {
        check_url(url, &self.policy)?;
        let error = |what: &str, e: &dyn std::fmt::Display| FetchError(format!("{what} {url}: {e}"));
        let mut response = self
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .map_err(|e| error("fetching", &error_chain(&e)))?;
        if !response.status().is_success() {
            return Err(error("fetching", &format!("HTTP {}", response.status())));
        }
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(FetchError(format!("{url} is larger than {limit} bytes")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| error("reading", &error_chain(&e)))? {
            body.extend_from_slice(&chunk);
            if body.len() > limit {
                return Err(FetchError(format!("{url} is larger than {limit} bytes")));
            }
        }
        Ok(body)
    }
}

/// reqwest's own message is only the outermost layer ("error sending request"); the cause says why.
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The scheme and, for an address written in the URL, the address itself.
fn check_url(url: &Url, policy: &FetchPolicy) -> Result<(), FetchError> {
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => None,
        None => return Err(FetchError(format!("{url} has no host"))),
    };
    let allowed_private = literal.is_some_and(|ip| policy.allowed_private.contains(&ip));
    if let Some(ip) = literal
        && !allowed_private
        && !is_public(ip)
    {
        return Err(FetchError(format!("{url}: {ip} is not a public address, so it is not fetched")));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if allowed_private => Ok(()),
        other => Err(FetchError(format!("{url}: only https URLs are fetched, not {other}"))),
    }
}

/// Resolves host names, keeping only public addresses (and those the policy allows).
#[derive(Debug)]
struct PublicOnly {
    policy: Arc<FetchPolicy>,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()) || policy.allowed_private.contains(&a.ip()))
                .collect();
            if public.is_empty() {
                let error = FetchError(format!("{host} resolves to no public address, so it is not fetched"));
                return Err(Box::new(error) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Address blocks that are not reachable public Internet hosts: "this network", private (RFC 1918, unique
/// local), shared (CGNAT), loopback, link-local (cloud metadata services live there), documentation,
/// benchmarking, multicast and reserved ranges, and the IPv6 forms that embed an IPv4 address (IPv4-compatible
/// `::/96`, IPv4-translated `::ffff:0:0:0/96`, 6to4, Teredo `2001::/32`).
///
/// See: <https://www.iana.org/assignments/iana-ipv4-special-registry/> and
/// <https://www.iana.org/assignments/iana-ipv6-special-registry/>.
const NOT_PUBLIC: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/96",
    "::ffff:0:0:0/96",
    "2001::/32",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

/// Whether `ip` is a public unicast address. IPv4-mapped and NAT64 IPv6 addresses are judged by the IPv4
/// address they carry.
pub fn is_public(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None if v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] => {
                let [.., a, b] = v6.segments();
                IpAddr::V4(std::net::Ipv4Addr::from((u32::from(a) << 16) | u32::from(b)))
            }
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    };
    !NOT_PUBLIC.iter().filter_map(|block| block.parse::<IpNet>().ok()).any(|block| block.contains(&ip))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    #[test]
    fn only_public_unicast_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
            "::7f00:1",
            "::ffff:0:7f00:1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "8.8.8.8", "193.0.6.139", "2a00:1450:4001:80e::200e", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    /// A server on 127.0.0.1 that answers every request with `answer` and counts the connections it got.
    async fn server(answer: String) -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        (addr, hits)
    }

    fn ok(body: &str) -> String {
        format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
    }

    fn policy(allowed: &[&str]) -> FetchPolicy {
        FetchPolicy {
            allowed_private: allowed.iter().map(|a| a.parse().unwrap()).collect(),
            ..FetchPolicy::public(Duration::from_secs(2))
        }
    }

    #[tokio::test]
    async fn loopback_and_private_addresses_are_never_contacted() {
        let (addr, hits) = server(ok("{}")).await;
        let client = GuardedClient::new(policy(&[])).unwrap();
        let port = addr.port();
        for url in [
            format!("https://127.0.0.1:{port}/list"),
            format!("http://127.0.0.1:{port}/list"),
            format!("https://localhost:{port}/list"),
            format!("https://[::ffff:127.0.0.1]:{port}/list"),
            "https://169.254.169.254/latest/meta-data/".to_owned(),
            "https://10.0.0.1/list".to_owned(),
        ] {
            let e = client.get(&url.parse().unwrap(), "application/json", 1024).await.unwrap_err();
            assert!(e.0.contains("not a public address") || e.0.contains("no public address"), "{url}: {e}");
        }
        assert_eq!(hits.load(Ordering::SeqCst), 0, "a guarded fetch reached a loopback server");
    }

    #[tokio::test]
    async fn a_redirect_to_a_private_address_is_not_followed() {
        let (target, target_hits) = server(ok("secret")).await;
        // 127.0.0.2 is loopback too, and not the one address this policy allows.
        let location = format!("http://127.0.0.2:{}/", target.port());
        let (first, _) =
            server(format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n")).await;
        let client = GuardedClient::new(policy(&["127.0.0.1"])).unwrap();
        let e = client.get(&format!("http://{first}/").parse().unwrap(), "*/*", 1024).await.unwrap_err();
        assert!(e.0.contains("not a public address"), "{e}");
        assert_eq!(target_hits.load(Ordering::SeqCst), 0);

        let https_to_http =
            server("HTTP/1.1 302 Found\r\nlocation: http://example.org/\r\ncontent-length: 0\r\n\r\n".to_owned()).await;
        let e = client.get(&format!("http://{}/", https_to_http.0).parse().unwrap(), "*/*", 1024).await.unwrap_err();
        assert!(e.0.contains("only https"), "{e}");
    }

    #[tokio::test]
    async fn size_and_time_limits_hold() {
        let client = GuardedClient::new(policy(&["127.0.0.1"])).unwrap();
        let (small, _) = server(ok("{\"a\":1}")).await;
        assert_eq!(client.get(&format!("http://{small}/").parse().unwrap(), "*/*", 1024).await.unwrap(), b"{\"a\":1}");

        let (big, _) = server(ok(&"x".repeat(4096))).await;
        let e = client.get(&format!("http://{big}/").parse().unwrap(), "*/*", 1024).await.unwrap_err();
        assert!(e.0.contains("larger than 1024 bytes"), "{e}");
        // Without a Content-Length the limit is enforced while reading.
        let (chunked, _) = server(format!("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{}", "y".repeat(4096))).await;
        let e = client.get(&format!("http://{chunked}/").parse().unwrap(), "*/*", 1024).await.unwrap_err();
        assert!(e.0.contains("larger than 1024 bytes"), "{e}");

        // A server that accepts and never answers.
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_addr = silent.local_addr().unwrap();
        let hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                held.push(socket);
            }
        });
        let started = std::time::Instant::now();
        let e = client.get(&format!("http://{silent_addr}/").parse().unwrap(), "*/*", 1024).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "the time limit did not hold: {e}");
        hold.abort();
    }
}
