//! Configuration: defaults in code, then an optional TOML file (`--config`), then `MICROCRED_*` environment
//! variables, then command-line flags — each layer overriding the one before.
//!
//! [`Settings`] is what the layers carry (every field optional); [`Config`] is the validated result.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;
use url::Url;

use crate::domain::delivery::RetryPolicy;
use crate::domain::issuer::{CountryCode, Slug};
use crate::mail::Mailbox;
pub use crate::mail::SmtpUrl;

/// A database URL. `Debug` and `Display` hide the password, so the URL can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The full URL, password included: only for opening the connection.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The file of a SQLite database (`sqlite://data/microcred.db` → `data/microcred.db`); `None` for
    /// PostgreSQL and in-memory SQLite.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let rest = self.0.strip_prefix("sqlite://").or_else(|| self.0.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
    }
}

/// The database when none is configured: a SQLite file in the current folder (or the config file's).
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/microcred.db";
/// The keys folder when none is configured.
pub const DEFAULT_KEYS_DIR: &str = "keys";
/// Where e-mails are written when no SMTP server is configured.
pub const DEFAULT_MAIL_OUTBOX_DIR: &str = "data/outbox";
/// The operator's templates folder when none is configured.
pub const DEFAULT_TEMPLATES_DIR: &str = "templates";

/// The configuration file read when neither `--config` nor `MICROCRED_CONFIG` names one, if it exists in
/// the current folder: so `serve` and the other commands run there share one configuration.
pub const DEFAULT_CONFIG_FILE: &str = "microcred.toml";

impl FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                f.write_str(url.as_str())
            }
            Ok(_) => f.write_str(&self.0),
            // Not a URL we can take apart: show only the scheme rather than risk printing a secret.
            Err(_) => write!(f, "{}:***", self.0.split(':').next().unwrap_or("?")),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// A trusted proxy: one address (`10.0.0.7`, `::1`) or a CIDR network (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedNet(pub IpNet);

impl FromStr for TrustedNet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
            .map(Self)
            .map_err(|_| format!("{s:?} is neither an IP address nor a CIDR network such as 10.0.0.0/8"))
    }
}

impl<'de> Deserialize<'de> for TrustedNet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// One layer of settings. Every field is optional so layers can be merged; see the table in
/// docs/operations.md, "Configuration". As command-line flags, these are `microcred serve`'s; the other
/// commands take the few they use (`cli::DatabaseArgs`, `cli::IssuerArgs`, `cli::PrintArgs`,
/// `cli::VerifyArgs`).
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://data/microcred.db]
    #[arg(long, env = "MICROCRED_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<DatabaseUrl>,
    /// Folder holding the issuers' private key files [default: keys]
    #[arg(long, env = "MICROCRED_KEYS_DIR", value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Public origin used in credential ids, QR codes and DIDs [default: http://localhost:8080]
    #[arg(long, env = "MICROCRED_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<Url>,
    /// Folder with the operator's certificate templates in certificates/*.toml (built-in ones always
    /// exist) [default: templates]
    #[arg(long, env = "MICROCRED_TEMPLATES_DIR", value_name = "DIR")]
    pub templates_dir: Option<PathBuf>,
    /// Folder with the operator's fonts (*.ttf, *.otf, *.ttc) for scripts the bundled Noto Sans lacks, tried
    /// after it and before the system's Noto fonts [default: none]
    #[arg(long, env = "MICROCRED_FONTS_DIR", value_name = "DIR")]
    pub fonts_dir: Option<PathBuf>,
    /// Address of the Prometheus metrics endpoint (GET /metrics), kept apart from the public one [default: 127.0.0.1:9464]
    #[arg(long, env = "MICROCRED_METRICS_BIND", value_name = "ADDR")]
    pub metrics_bind: Option<SocketAddr>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "MICROCRED_BIND", value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Name of the issuer created on first start [default: "microcred issuer"]
    #[arg(long, env = "MICROCRED_ISSUER_NAME", value_name = "NAME")]
    pub issuer_name: Option<String>,
    /// Slug of the issuer created on first start [default: default]
    #[arg(long, env = "MICROCRED_ISSUER_SLUG", value_name = "SLUG")]
    pub issuer_slug: Option<Slug>,
    /// ISO 3166-1 country of the issuer created on first start (e.g. BG) [default: none]
    #[arg(long, env = "MICROCRED_ISSUER_COUNTRY", value_name = "CC")]
    pub issuer_country: Option<CountryCode>,
    /// Largest accepted request body, in bytes [default: 1048576]
    #[arg(long, env = "MICROCRED_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest accepted batch upload (JSON or CSV), in bytes [default: 16777216]
    #[arg(long, env = "MICROCRED_MAX_BATCH_BYTES", value_name = "BYTES")]
    pub max_batch_bytes: Option<usize>,
    /// Largest file accepted by POST /verify (credential, certificate PDF or badge PNG), in bytes [default: 10485760]
    #[arg(long, env = "MICROCRED_MAX_UPLOAD_BYTES", value_name = "BYTES")]
    pub max_upload_bytes: Option<usize>,
    /// Requests per second each client address may make to the public pages and APIs; 0 switches the limit off [default: 20]
    #[arg(long, env = "MICROCRED_RATE_LIMIT_PER_SECOND", value_name = "N")]
    pub rate_limit_per_second: Option<u32>,
    /// Burst above that rate a client address may make [default: 100]
    #[arg(long, env = "MICROCRED_RATE_LIMIT_BURST", value_name = "N")]
    pub rate_limit_burst: Option<u32>,
    /// Reverse proxies or CDN nodes (addresses or CIDR networks, comma-separated) whose X-Forwarded-For is believed
    /// when finding a client's address for rate limiting [default: none: the connection's address]
    #[arg(long, env = "MICROCRED_TRUSTED_PROXIES", value_name = "NETS", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<TrustedNet>>,
    /// Memory for cached verification verdicts and the pages rendered from them, in MiB (estimated); 0 caches
    /// none [default: 512]
    #[arg(long, env = "MICROCRED_VERDICT_CACHE_MB", value_name = "MIB")]
    pub verdict_cache_mb: Option<u64>,
    /// Longest time a request may take, in seconds [default: 30]
    #[arg(long, env = "MICROCRED_REQUEST_TIMEOUT_SECS", value_name = "SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Longest time to drain requests on shutdown, in seconds [default: 10]
    #[arg(long, env = "MICROCRED_SHUTDOWN_TIMEOUT_SECS", value_name = "SECS")]
    pub shutdown_timeout_secs: Option<u64>,
    /// Most database connections per process [default: 10]
    #[arg(long, env = "MICROCRED_DB_MAX_CONNECTIONS", value_name = "N")]
    pub db_max_connections: Option<u32>,
    /// Resolve did:web DIDs of other hosts over HTTPS when verifying (true/false) [default: false]
    #[arg(long, env = "MICROCRED_DID_WEB_RESOLUTION", value_name = "BOOL")]
    pub did_web_resolution: Option<bool>,
    /// SMTP server for learners' e-mails: smtp://HOST:PORT (add ?tls=required for STARTTLS),
    /// smtps://USER:PASS@HOST:465 [default: none: messages are written as .eml files to mail_outbox_dir]
    #[arg(long, env = "MICROCRED_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<SmtpUrl>,
    /// The address e-mails come from, e.g. "Universal Certification Solutions <certificates@ucs.example>";
    /// each issuer's sender name replaces the name [default: microcred <certificates@HOST of public_url>]
    #[arg(long, env = "MICROCRED_MAIL_FROM", value_name = "MAILBOX")]
    pub mail_from: Option<String>,
    /// Folder the .eml files go to when no SMTP server is set [default: data/outbox]
    #[arg(long, env = "MICROCRED_MAIL_OUTBOX_DIR", value_name = "DIR")]
    pub mail_outbox_dir: Option<PathBuf>,
    /// Messages this process sends at once; 0: it sends none (another replica does) [default: 16]
    #[arg(long, env = "MICROCRED_MAIL_CONCURRENCY", value_name = "N")]
    pub mail_concurrency: Option<u32>,
    /// Wait after a message's first temporary failure, doubled after each next one up to an hour, in
    /// seconds [default: 30]
    #[arg(long, env = "MICROCRED_MAIL_RETRY_BASE_SECS", value_name = "SECS")]
    pub mail_retry_base_secs: Option<u64>,
    /// Attempts before a message that keeps failing temporarily is marked failed [default: 10]
    #[arg(long, env = "MICROCRED_MAIL_MAX_ATTEMPTS", value_name = "N")]
    pub mail_max_attempts: Option<u32>,
    /// How long a replica holds a message it is sending; one that dies meanwhile leaves it to others after
    /// this, in seconds [default: 120]
    #[arg(long, env = "MICROCRED_MAIL_LEASE_SECS", value_name = "SECS")]
    pub mail_lease_secs: Option<u64>,
    /// How often the lifecycle job runs (suspension deadlines, expiry reminders, digests), in milliseconds;
    /// one replica at a time runs it [default: 60000]
    #[arg(long, env = "MICROCRED_LIFECYCLE_INTERVAL_MS", value_name = "MS")]
    pub lifecycle_interval_ms: Option<u64>,
    /// How long an "Add to wallet" offer (QR code, pre-authorized code) works if unused, in seconds; at
    /// most 600 [default: 600]
    #[arg(long, env = "MICROCRED_WALLET_OFFER_TTL_SECS", value_name = "SECS")]
    pub wallet_offer_ttl_secs: Option<u64>,
    /// Log format [default: text] (a flag of every command: `cli::LogArgs`)
    #[arg(skip)]
    pub log_format: Option<LogFormat>,
    /// Log filter, in tracing's EnvFilter syntax [default: info] (a flag of every command: `cli::LogArgs`)
    #[arg(skip)]
    pub log_level: Option<String>,
}

/// The validated configuration every command runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// See [`Settings::database_url`].
    pub database_url: DatabaseUrl,
    /// See [`Settings::keys_dir`].
    pub keys_dir: PathBuf,
    /// See [`Settings::public_url`]; an origin without path.
    pub public_url: Url,
    /// See [`Settings::templates_dir`].
    pub templates_dir: PathBuf,
    /// See [`Settings::fonts_dir`].
    pub fonts_dir: Option<PathBuf>,
    /// See [`Settings::bind`].
    pub bind: SocketAddr,
    /// See [`Settings::metrics_bind`].
    pub metrics_bind: SocketAddr,
    /// See [`Settings::issuer_name`].
    pub issuer_name: String,
    /// See [`Settings::issuer_slug`].
    pub issuer_slug: Slug,
    /// See [`Settings::issuer_country`].
    pub issuer_country: Option<CountryCode>,
    /// See [`Settings::max_body_bytes`].
    pub max_body_bytes: usize,
    /// See [`Settings::max_batch_bytes`].
    pub max_batch_bytes: usize,
    /// See [`Settings::max_upload_bytes`].
    pub max_upload_bytes: usize,
    /// See [`Settings::rate_limit_per_second`]; 0 is off.
    pub rate_limit_per_second: u32,
    /// See [`Settings::rate_limit_burst`].
    pub rate_limit_burst: u32,
    /// See [`Settings::trusted_proxies`].
    pub trusted_proxies: Vec<IpNet>,
    /// See [`Settings::verdict_cache_mb`].
    pub verdict_cache_mb: u64,
    /// See [`Settings::request_timeout_secs`].
    pub request_timeout: Duration,
    /// See [`Settings::shutdown_timeout_secs`].
    pub shutdown_timeout: Duration,
    /// See [`Settings::db_max_connections`].
    pub db_max_connections: u32,
    /// See [`Settings::did_web_resolution`].
    pub did_web_resolution: bool,
    /// See [`Settings::smtp_url`].
    pub smtp_url: Option<SmtpUrl>,
    /// See [`Settings::mail_from`].
    pub mail_from: Mailbox,
    /// See [`Settings::mail_outbox_dir`].
    pub mail_outbox_dir: PathBuf,
    /// See [`Settings::mail_concurrency`].
    pub mail_concurrency: u32,
    /// See [`Settings::mail_retry_base_secs`] and [`Settings::mail_max_attempts`].
    pub mail_retry: RetryPolicy,
    /// See [`Settings::mail_lease_secs`].
    pub mail_lease: Duration,
    /// See [`Settings::wallet_offer_ttl_secs`].
    pub wallet_offer_ttl: Duration,
    /// See [`Settings::lifecycle_interval_ms`].
    pub lifecycle_interval: Duration,
    /// See [`Settings::log_format`].
    pub log_format: LogFormat,
    /// See [`Settings::log_level`].
    pub log_level: String,
}

/// A setting that could not be used; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting `{setting}`: {message}")]
pub struct ConfigError {
    /// The setting's name as written in the TOML file (the flag is the same with dashes).
    pub setting: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Self { setting: setting.into(), message: message.into() }
    }
}

impl Settings {
    /// Reads a TOML settings file (same names as the flags, with underscores). Relative paths in it (a
    /// SQLite database file, `keys_dir`, `templates_dir`, `fonts_dir`) are relative to the file's folder, so
    /// every command that reads the file finds the same database and keys wherever it runs.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new("config", format!("cannot read {}: {e}", path.display())))?;
        let settings: Settings = toml::from_str(&text).map_err(|e| {
            let message = e.message().to_owned();
            // toml names unknown fields and bad values in its message; keep it on one line.
            ConfigError::new(format!("config ({})", path.display()), message.replace('\n', " "))
        })?;
        let folder = path.parent().unwrap_or(Path::new(""));
        Ok(settings.relative_to(folder))
    }

    /// `self` with its relative paths, and the default ones, taken from `folder`.
    fn relative_to(mut self, folder: &Path) -> Settings {
        if folder.as_os_str().is_empty() {
            return self;
        }
        let from = |p: PathBuf| if p.is_relative() { folder.join(p) } else { p };
        // The defaults too: the file's database, keys and templates are the ones beside it.
        self.keys_dir = Some(self.keys_dir.map_or_else(|| folder.join(DEFAULT_KEYS_DIR), from));
        self.templates_dir = Some(self.templates_dir.map_or_else(|| folder.join(DEFAULT_TEMPLATES_DIR), from));
        self.fonts_dir = self.fonts_dir.map(from);
        self.mail_outbox_dir = Some(self.mail_outbox_dir.map_or_else(|| folder.join(DEFAULT_MAIL_OUTBOX_DIR), from));
        let url = self.database_url.take().unwrap_or_else(|| DatabaseUrl(DEFAULT_DATABASE_URL.to_owned()));
        self.database_url = Some(match url.sqlite_file().filter(|f| f.is_relative()) {
            Some(file) => {
                let query = url.expose().split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
                DatabaseUrl(format!("sqlite://{}{query}", folder.join(file).display()))
            }
            None => url,
        });
        self
    }

    /// Fills every unset field of `self` from `lower`.
    #[must_use]
    pub fn or(self, lower: Settings) -> Settings {
        Settings {
            database_url: self.database_url.or(lower.database_url),
            keys_dir: self.keys_dir.or(lower.keys_dir),
            public_url: self.public_url.or(lower.public_url),
            templates_dir: self.templates_dir.or(lower.templates_dir),
            fonts_dir: self.fonts_dir.or(lower.fonts_dir),
            bind: self.bind.or(lower.bind),
            metrics_bind: self.metrics_bind.or(lower.metrics_bind),
            issuer_name: self.issuer_name.or(lower.issuer_name),
            issuer_slug: self.issuer_slug.or(lower.issuer_slug),
            issuer_country: self.issuer_country.or(lower.issuer_country),
            max_body_bytes: self.max_body_bytes.or(lower.max_body_bytes),
            max_batch_bytes: self.max_batch_bytes.or(lower.max_batch_bytes),
            max_upload_bytes: self.max_upload_bytes.or(lower.max_upload_bytes),
            rate_limit_per_second: self.rate_limit_per_second.or(lower.rate_limit_per_second),
            rate_limit_burst: self.rate_limit_burst.or(lower.rate_limit_burst),
            trusted_proxies: self.trusted_proxies.or(lower.trusted_proxies),
            verdict_cache_mb: self.verdict_cache_mb.or(lower.verdict_cache_mb),
            request_timeout_secs: self.request_timeout_secs.or(lower.request_timeout_secs),
            shutdown_timeout_secs: self.shutdown_timeout_secs.or(lower.shutdown_timeout_secs),
            db_max_connections: self.db_max_connections.or(lower.db_max_connections),
            did_web_resolution: self.did_web_resolution.or(lower.did_web_resolution),
            smtp_url: self.smtp_url.or(lower.smtp_url),
            mail_from: self.mail_from.or(lower.mail_from),
            mail_outbox_dir: self.mail_outbox_dir.or(lower.mail_outbox_dir),
            mail_concurrency: self.mail_concurrency.or(lower.mail_concurrency),
            mail_retry_base_secs: self.mail_retry_base_secs.or(lower.mail_retry_base_secs),
            mail_max_attempts: self.mail_max_attempts.or(lower.mail_max_attempts),
            mail_lease_secs: self.mail_lease_secs.or(lower.mail_lease_secs),
            wallet_offer_ttl_secs: self.wallet_offer_ttl_secs.or(lower.wallet_offer_ttl_secs),
            lifecycle_interval_ms: self.lifecycle_interval_ms.or(lower.lifecycle_interval_ms),
            log_format: self.log_format.or(lower.log_format),
            log_level: self.log_level.or(lower.log_level),
        }
    }

    /// Applies defaults and validates.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let public_url = match self.public_url {
            Some(url) => url,
            None => Url::parse("http://localhost:8080").map_err(|e| ConfigError::new("public_url", e.to_string()))?,
        };
        if !matches!(public_url.scheme(), "http" | "https") || public_url.host_str().is_none() {
            return Err(ConfigError::new("public_url", "must be an http or https URL with a host"));
        }
        if public_url.path() != "/" || public_url.query().is_some() || public_url.fragment().is_some() {
            return Err(ConfigError::new(
                "public_url",
                "must be an origin without path, such as https://certs.example.eu (serve microcred at the root of its host)",
            ));
        }
        let positive = |name: &str, value: Option<u64>, default: u64| match value {
            Some(0) => Err(ConfigError::new(name, "must be greater than zero")),
            v => Ok(v.unwrap_or(default)),
        };
        let issuer_name = self.issuer_name.unwrap_or_else(|| "microcred issuer".to_owned());
        if issuer_name.trim().is_empty() {
            return Err(ConfigError::new("issuer_name", "must not be empty"));
        }
        let database_url = self.database_url.unwrap_or_else(|| DatabaseUrl(DEFAULT_DATABASE_URL.into()));
        let scheme = database_url.0.split_once(':').map_or("", |(s, _)| s);
        if !matches!(scheme, "sqlite" | "postgres" | "postgresql") {
            return Err(ConfigError::new(
                "database_url",
                format!("unsupported scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DB"),
            ));
        }
        let mail_from = match self.mail_from.as_deref() {
            Some(text) => text
                .parse::<Mailbox>()
                .map_err(|e| ConfigError::new("mail_from", format!("{e}: write an address, or \"Name <address>\"")))?,
            None => {
                // A public URL by IP address (a developer's machine) gives `localhost`: an address literal
                // (`[127.0.0.1]`) is what RFC 5321 would want, and lettre does not take it.
                let host = match public_url.host() {
                    Some(url::Host::Domain(domain)) => domain.to_owned(),
                    _ => "localhost".to_owned(),
                };
                format!("microcred <certificates@{host}>")
                    .parse::<Mailbox>()
                    .or_else(|_| "microcred <certificates@localhost>".parse())
                    .map_err(|e| ConfigError::new("mail_from", e.to_string()))?
            }
        };
        if let Some(url) = &self.smtp_url {
            url.check().map_err(|m| ConfigError::new("smtp_url", m))?;
        }
        let mail_retry = RetryPolicy {
            base: Duration::from_secs(positive("mail_retry_base_secs", self.mail_retry_base_secs, 30)?),
            max_delay: Duration::from_secs(3_600),
            max_attempts: positive("mail_max_attempts", self.mail_max_attempts.map(u64::from), 10)? as u32,
        };
        let wallet_offer_ttl = positive("wallet_offer_ttl_secs", self.wallet_offer_ttl_secs, 600)?;
        if wallet_offer_ttl > 600 {
            return Err(ConfigError::new(
                "wallet_offer_ttl_secs",
                "must be at most 600: anyone holding a pre-authorized code gets the credential (OpenID4VCI 1.0 §4.1.1)",
            ));
        }
        Ok(Config {
            wallet_offer_ttl: Duration::from_secs(wallet_offer_ttl),
            lifecycle_interval: Duration::from_millis(positive(
                "lifecycle_interval_ms",
                self.lifecycle_interval_ms,
                60_000,
            )?),
            smtp_url: self.smtp_url,
            mail_from,
            mail_outbox_dir: self.mail_outbox_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_MAIL_OUTBOX_DIR)),
            mail_concurrency: self.mail_concurrency.unwrap_or(16),
            mail_retry,
            mail_lease: Duration::from_secs(positive("mail_lease_secs", self.mail_lease_secs, 120)?),
            database_url,
            keys_dir: self.keys_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_KEYS_DIR)),
            public_url,
            templates_dir: self.templates_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_TEMPLATES_DIR)),
            fonts_dir: self.fonts_dir,
            bind: self.bind.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            metrics_bind: self.metrics_bind.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9464))),
            issuer_name,
            issuer_slug: self.issuer_slug.unwrap_or_else(default_slug),
            issuer_country: self.issuer_country,
            max_body_bytes: positive("max_body_bytes", self.max_body_bytes.map(|v| v as u64), 1024 * 1024)? as usize,
            max_batch_bytes: positive("max_batch_bytes", self.max_batch_bytes.map(|v| v as u64), 16 * 1024 * 1024)?
                as usize,
            max_upload_bytes: positive("max_upload_bytes", self.max_upload_bytes.map(|v| v as u64), 10 * 1024 * 1024)?
                as usize,
            rate_limit_per_second: self.rate_limit_per_second.unwrap_or(20),
            rate_limit_burst: self.rate_limit_burst.unwrap_or(100),
            trusted_proxies: self.trusted_proxies.unwrap_or_default().into_iter().map(|n| n.0).collect(),
            verdict_cache_mb: self.verdict_cache_mb.unwrap_or(crate::service::verification::DEFAULT_CACHE_MIB),
            request_timeout: Duration::from_secs(positive("request_timeout_secs", self.request_timeout_secs, 30)?),
            shutdown_timeout: Duration::from_secs(positive("shutdown_timeout_secs", self.shutdown_timeout_secs, 10)?),
            db_max_connections: positive("db_max_connections", self.db_max_connections.map(u64::from), 10)? as u32,
            did_web_resolution: self.did_web_resolution.unwrap_or(false),
            log_format: self.log_format.unwrap_or_default(),
            log_level: self.log_level.unwrap_or_else(|| "info".to_owned()),
        })
    }
}

fn default_slug() -> Slug {
    Slug::from_str("default").unwrap_or_else(|_| unreachable!("\"default\" is a valid slug"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_work_with_no_configuration() {
        let config = Settings::default().resolve().unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url.expose(), "sqlite://data/microcred.db");
        assert_eq!(config.public_url.as_str(), "http://localhost:8080/");
        assert_eq!(config.keys_dir, PathBuf::from("keys"));
        assert_eq!(config.issuer_slug.as_str(), "default");
        assert_eq!(config.max_body_bytes, 1024 * 1024);
        assert_eq!(config.verdict_cache_mb, 512);
    }

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("microcred.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:9000\"\nissuer_name = \"From file\"\n").unwrap();
        let file = Settings::from_file(&path).unwrap();
        let flags = Settings { bind: Some("127.0.0.1:7000".parse().unwrap()), ..Default::default() };
        let config = flags.or(file).resolve().unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:7000");
        assert_eq!(config.issuer_name, "From file");
    }

    #[test]
    fn a_bad_file_names_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "bnd = \"x\"\n").unwrap();
        let err = Settings::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("bnd"), "{err}");
        std::fs::write(&path, "bind = \"not an address\"\n").unwrap();
        let err = Settings::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("invalid socket address"), "{err}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks_from_file_or_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
        let config = Settings::from_file(&path).unwrap().resolve().unwrap();
        let nets: Vec<String> = config.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(nets, ["10.0.0.0/8", "::1/128"]);
        std::fs::write(&path, "trusted_proxies = [\"10.0.0.0/33\"]\n").unwrap();
        let err = Settings::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("CIDR"), "{err}");
        assert!(Settings::default().resolve().unwrap().trusted_proxies.is_empty(), "no header is believed by default");
    }

    #[test]
    fn an_unknown_database_scheme_is_a_configuration_error() {
        let s = Settings { database_url: Some("mysql://root@localhost/x".parse().unwrap()), ..Default::default() };
        let err = s.resolve().unwrap_err();
        assert_eq!(err.setting, "database_url");
        assert!(err.message.contains("mysql"), "{}", err.message);
    }

    #[test]
    fn public_url_must_be_an_origin() {
        let s = Settings { public_url: Some("https://x.eu/sub/".parse().unwrap()), ..Default::default() };
        let err = s.resolve().unwrap_err();
        assert_eq!(err.setting, "public_url");
    }

    #[test]
    fn database_passwords_never_show_in_debug_or_display() {
        let url: DatabaseUrl = "postgres://app:s3cret@db.internal/microcred".parse().unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db.internal/microcred");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.expose(), "postgres://app:s3cret@db.internal/microcred");
    }
}
