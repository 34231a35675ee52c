//! Delivering an award to its learner by e-mail: the states of a delivery and the retry rules, as pure
//! data. The outbox rows live in `store`, the sending in `service/deliveries.rs`, SMTP in `mail.rs`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where an award's e-mail to its learner stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting to be sent, or being retried after a temporary failure.
    Pending,
    /// The mail server accepted the message.
    Sent,
    /// The mail server refused the message for good (5xx), or every retry failed.
    Failed,
    /// Not sent: the award asked for `notify: false` (the issuer delivers itself).
    Skipped,
}

impl DeliveryStatus {
    /// Its name in the API and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    /// Every status, for metrics.
    pub const ALL: [DeliveryStatus; 4] = [Self::Pending, Self::Sent, Self::Failed, Self::Skipped];
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|d| d.as_str() == s).ok_or_else(|| format!("unknown delivery status {s:?}"))
    }
}

/// An award's delivery, as the assessor sees it (`delivery` in `GET /api/v1/credentials/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    /// Where the e-mail stands.
    pub status: DeliveryStatus,
    /// Sending attempts made so far.
    pub attempts: u32,
    /// The last failure, as the mail server or the connection reported it.
    pub last_error: Option<String>,
    /// When the mail server accepted the message.
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// When the learner first opened the credential from the e-mail or their space (Credly's "accepted").
    #[serde(with = "time::serde::rfc3339::option")]
    pub claimed_at: Option<OffsetDateTime>,
}

/// Why one sending attempt failed, by what can be done about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// Try again later: a 4xx reply, a refused or broken connection, a timeout.
    Temporary(String),
    /// Trying again will not help: a 5xx reply (no such mailbox, refused), or a message that cannot be built.
    Permanent(String),
}

impl SendFailure {
    /// The failure's text, as kept in `last_error`.
    pub fn message(&self) -> &str {
        match self {
            Self::Temporary(m) | Self::Permanent(m) => m,
        }
    }
}

/// How failed attempts are retried: exponential backoff from `base`, capped at `max_delay`, with ±50 %
/// jitter so that messages refused together are not retried together; `max_attempts` in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay between two attempts.
    pub max_delay: Duration,
    /// Attempts in all before a temporary failure becomes permanent.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min … capped at 1 h, ten attempts: about six hours of trying, as mail servers do.
    fn default() -> Self {
        Self { base: Duration::from_secs(30), max_delay: Duration::from_secs(3_600), max_attempts: 10 }
    }
}

/// What to do with a delivery after an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this delay.
    RetryIn(Duration),
    /// Give up: the delivery is `failed`.
    GiveUp,
}

impl RetryPolicy {
    /// The decision after attempt number `attempts` (counted from 1) failed with `failure`; `jitter` is a
    /// random number in `[0, 1)`.
    pub fn after(&self, attempts: u32, failure: &SendFailure, jitter: f64) -> AfterFailure {
        if matches!(failure, SendFailure::Permanent(_)) || attempts >= self.max_attempts {
            return AfterFailure::GiveUp;
        }
        let doubled = self.base.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
        let delay = doubled.min(self.max_delay);
        AfterFailure::RetryIn(delay.mul_f64(0.5 + jitter.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_failures_back_off_exponentially_with_jitter_then_give_up() {
        let policy = RetryPolicy::default();
        let temporary = SendFailure::Temporary("451 try later".into());
        assert_eq!(policy.after(1, &temporary, 0.5), AfterFailure::RetryIn(Duration::from_secs(30)));
        assert_eq!(policy.after(2, &temporary, 0.5), AfterFailure::RetryIn(Duration::from_secs(60)));
        assert_eq!(policy.after(3, &temporary, 0.0), AfterFailure::RetryIn(Duration::from_secs(60)));
        assert_eq!(
            policy.after(3, &temporary, 0.999_999),
            AfterFailure::RetryIn(Duration::from_secs(120).mul_f64(1.499_999))
        );
        assert_eq!(policy.after(9, &temporary, 0.5), AfterFailure::RetryIn(Duration::from_secs(3_600)));
        assert_eq!(policy.after(10, &temporary, 0.5), AfterFailure::GiveUp);
    }

    #[test]
    fn permanent_failures_are_not_retried() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.after(1, &SendFailure::Permanent("550 no such user".into()), 0.5), AfterFailure::GiveUp);
    }

    #[test]
    fn statuses_read_back_as_written() {
        for status in DeliveryStatus::ALL {
            assert_eq!(status.as_str().parse::<DeliveryStatus>(), Ok(status));
        }
        assert!("sending".parse::<DeliveryStatus>().is_err());
    }
}
