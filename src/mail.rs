//! E-mail: the one place that knows SMTP. [`Mailer`] sends a built message over SMTP (lettre: STARTTLS or
//! implicit TLS, optional authentication, pooled connections), or, with no SMTP server configured, writes
//! it as an `.eml` file so a fresh `serve` still does the whole job. [`compose`] builds the messages.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;

use crate::domain::delivery::SendFailure;

pub mod compose;

/// A built message, and a name with an address (`"Name <address>"`), as the rest of microcred handles them.
pub use lettre::Message;
pub use lettre::message::Mailbox;

/// An SMTP server URL as lettre reads it: `smtp://host:port` (plain; add `?tls=required` for STARTTLS),
/// `smtps://user:pass@host:465` (implicit TLS). `Debug` and `Display` hide the password, so it can be
/// logged.
///
/// See: <https://docs.rs/lettre/0.11/lettre/transport/smtp/struct.AsyncSmtpTransport.html#method.from_url>
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    /// The full URL, password included: only for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Checks it is usable; the message never repeats the URL (it may hold a password). A URL with a user
    /// and password must encrypt the connection (`smtps://`, or `?tls=required` for STARTTLS), except to
    /// this machine: lettre's plain `smtp://` would send the password in the clear.
    pub fn check(&self) -> Result<(), String> {
        let url = url::Url::parse(&self.0).map_err(|_| "must be a URL such as smtp://127.0.0.1:2525".to_owned())?;
        if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none_or(str::is_empty) {
            return Err("must be an smtp:// or smtps:// URL with a host".into());
        }
        let encrypted = url.scheme() == "smtps"
            || url.query_pairs().any(|(k, v)| k == "tls" && matches!(v.as_ref(), "required" | "opportunistic"));
        let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if url.password().is_some() && !encrypted && !local {
            return Err(
                "would send its password unencrypted: use smtps://… (port 465) or add ?tls=required (STARTTLS)".into(),
            );
        }
        Ok(())
    }
}

/// Any text: [`SmtpUrl::check`] says what is wrong with it, without repeating it (a parse error printed by
/// the command line would show the password).
impl FromStr for SmtpUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl<'de> Deserialize<'de> for SmtpUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                f.write_str(url.as_str())
            }
            Err(_) => f.write_str("(invalid SMTP URL)"),
        }
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    /// A real SMTP server.
    Smtp {
        /// The pooled transport.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// Its URL, for logs (password hidden).
        url: SmtpUrl,
    },
    /// `.eml` files in a folder (no SMTP server configured).
    Files {
        /// The transport.
        transport: AsyncFileTransport<Tokio1Executor>,
        /// The folder.
        dir: PathBuf,
    },
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why a mailer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    /// lettre refused the URL (its message never contains the password).
    #[error("cannot use SMTP server {url}: {reason}")]
    Smtp {
        /// The URL, password hidden.
        url: SmtpUrl,
        /// Why.
        reason: String,
    },
    /// The outbox folder cannot be created.
    #[error("cannot create the mail outbox folder {}", dir.display())]
    Folder {
        /// The folder.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Mailer {
    /// A pooled SMTP transport (`connections` at most; a reply or connection taking longer than `timeout`
    /// is a temporary failure). Connects only when the first message is sent.
    pub fn smtp(url: &SmtpUrl, timeout: Duration, connections: u32) -> Result<Self, MailerError> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose()).map_err(|e| MailerError::Smtp {
            url: url.clone(),
            // lettre's URL errors name the part that is wrong, not the URL.
            reason: e.to_string(),
        })?;
        let transport = builder
            .timeout(Some(timeout))
            .pool_config(PoolConfig::new().max_size(connections.max(1)).idle_timeout(Duration::from_secs(30)))
            .build();
        Ok(Self::Smtp { transport, url: url.clone() })
    }

    /// Writes messages as `<uuid>.eml` files into `dir`, creating it.
    pub fn files(dir: &Path) -> Result<Self, MailerError> {
        std::fs::create_dir_all(dir).map_err(|source| MailerError::Folder { dir: dir.to_owned(), source })?;
        Ok(Self::Files { transport: AsyncFileTransport::new(dir), dir: dir.to_owned() })
    }

    /// Whether the SMTP server answers and accepts our greeting and credentials (files: always), so a
    /// wrong setting shows at start rather than as failing messages.
    pub async fn check(&self) -> Result<(), String> {
        match self {
            Self::Smtp { transport, .. } => match transport.test_connection().await {
                Ok(true) => Ok(()),
                Ok(false) => Err("the server did not answer".into()),
                Err(e) => Err(error_text(&e)),
            },
            Self::Files { .. } => Ok(()),
        }
    }

    /// Where messages go, for logs: `SMTP smtps://user:***@host:465` or `files in data/outbox`.
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { url, .. } => format!("SMTP {url}"),
            Self::Files { dir, .. } => format!("files in {}", dir.display()),
        }
    }

    /// Sends one message. A 5xx reply is a permanent failure; a 4xx reply, a connection that fails or a
    /// timeout is temporary. Failures keep the server's words (never the URL or the password).
    pub async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Self::Smtp { transport, .. } => match transport.send(message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(SendFailure::Permanent(error_text(&e))),
                Err(e) => Err(SendFailure::Temporary(error_text(&e))),
            },
            Self::Files { transport, .. } => match transport.send(message).await {
                Ok(_) => Ok(()),
                Err(e) => Err(SendFailure::Temporary(error_text(&e))),
            },
        }
    }
}

/// An error and its causes on one line, e.g. `permanent error (550): 5.1.1 no such user`.
fn error_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text.chars().filter(|c| !c.is_control()).take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn smtp_passwords_never_show_in_debug_or_display() {
        let url: SmtpUrl = "smtps://ucs:s3cret@mail.example.org:465".parse().unwrap();
        assert_eq!(url.to_string(), "smtps://ucs:***@mail.example.org:465");
        assert!(!format!("{url:?}").contains("s3cret"));
        let mailer = Mailer::smtp(&url, Duration::from_secs(5), 2).unwrap();
        assert!(!mailer.describe().contains("s3cret"), "{}", mailer.describe());
        assert!(!format!("{mailer:?}").contains("s3cret"));
    }

    #[test]
    fn only_smtp_urls_are_accepted_and_passwords_are_not_sent_in_the_clear() {
        let check = |s: &str| s.parse::<SmtpUrl>().unwrap().check();
        assert!(check("smtp://127.0.0.1:2525").is_ok());
        assert!(check("smtp://user:pw@localhost:2525").is_ok(), "this machine");
        assert!(check("smtps://user:pw@mail.example.org:465").is_ok());
        assert!(check("smtp://user:pw@mail.example.org:587?tls=required").is_ok());
        let clear = check("smtp://user:Secret@mail.example.org:587").unwrap_err();
        assert!(clear.contains("unencrypted") && !clear.contains("Secret"), "{clear}");
        assert!(check("http://mail.example.org").is_err());
        assert!(check("mail.example.org:25").is_err());
    }
}
