//! The lifecycle job: what happens because time passes. One process at a time runs it (a lease in the
//! database, so with several replicas exactly one works and another takes over within a lease if it dies):
//! - suspensions whose deadline passed become revocations ("withdrawn"), audited;
//! - learners are reminded before their credentials expire (default 90 and 30 days, per issuer), once each;
//! - each issuer's contact address gets a weekly digest of what expires in the next 90 days.
//!
//! Reminders and digests are queued in the `notice` outbox under a key naming what they are about, so each is
//! queued once whichever process finds it due, and sent by the lease holder with retries. A process that was
//! down catches up at its first round: a deadline that passed meanwhile is applied then.
//!
//! Business time comes from the application's clock ([`super::clock`]); the lease runs on the system clock.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use super::deliveries::MailSetup;
use super::{Microcred, now};
use crate::certificate::{Facts, Labels};
use crate::domain::audit::AuditEntry;
use crate::domain::award::CredentialId;
use crate::domain::delivery::{AfterFailure, SendFailure};
use crate::domain::issuer::Issuer;
use crate::domain::lifecycle::{DIGEST_HORIZON_DAYS, WITHDRAWN_REASON, due_reminder, iso_week};
use crate::domain::wallet::at_ms;
use crate::error::{Error, Result};
use crate::mail::compose::{self, Notice};
use crate::store::lifecycle::{NewNotice, TakenNotice};
use crate::store::unix_ms;

/// The job's name in the lease table.
const JOB: &str = "lifecycle";
/// Credentials examined for reminders per page, and pages per round (the rest at the next round).
const REMINDER_BATCH: u32 = 5_000;
const REMINDER_PAGES: usize = 20;
/// How long a taken notice is this process's: well over the time one send may take.
const NOTICE_LEASE: Duration = Duration::from_secs(120);
/// The longest one send may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Notices sent per round.
const SEND_BATCH: u32 = 100;

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RoundReport {
    /// Suspensions withdrawn (revoked at their deadline).
    pub withdrawn: Vec<CredentialId>,
    /// Reminders and digests newly queued.
    pub queued: u64,
    /// Notices sent.
    pub sent: u32,
}

impl Microcred {
    /// Runs the lifecycle job every `interval` until `stop` completes, whenever this process holds the lease
    /// (lease: three intervals, at least 5 minutes, so a round of sends fits in it), and gives the lease up
    /// when stopping.
    pub async fn run_lifecycle(self, interval: Duration, stop: impl Future<Output = ()>) {
        let holder = uuid::Uuid::new_v4().to_string();
        let lease = (interval * 3).max(Duration::from_secs(300));
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = tick.tick() => {}
            }
            match self.lifecycle_round(&holder, lease).await {
                Ok(Some(report)) if report != RoundReport::default() => {
                    tracing::info!(
                        withdrawn = report.withdrawn.len(),
                        queued = report.queued,
                        sent = report.sent,
                        "lifecycle round"
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %crate::error::error_chain(&e), "the lifecycle round failed; retrying at the next")
                }
            }
        }
        if let Err(e) = self.store.release_job_lease(JOB, &holder).await {
            tracing::warn!(error = %e, "could not give up the lifecycle lease; it ends by itself");
        }
    }

    /// One round, if `holder` holds (or can take) the lease: `None` when another process has it.
    pub async fn lifecycle_round(&self, holder: &str, lease: Duration) -> Result<Option<RoundReport>> {
        let started = unix_ms(now());
        let until = started + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        if !self.store.take_job_lease(JOB, holder, started, until).await? {
            return Ok(None);
        }
        let filled = self.store.backfill_valid_until_ms().await?;
        if filled > 0 {
            tracing::info!(
                rows = filled,
                "filled in the expiry (valid_until_ms) of credentials an older version stored"
            );
        }
        let mut report = RoundReport { withdrawn: self.withdraw_due_suspensions().await?, ..RoundReport::default() };
        let issuers = self.store.issuers().await?;
        report.queued = self.queue_reminders(&issuers).await? + self.queue_digests(&issuers).await?;
        report.sent = self.send_notices(until).await?;
        Ok(Some(report))
    }

    /// Revokes suspensions whose deadline passed ("withdrawn"), each audited, exactly once across replicas.
    async fn withdraw_due_suspensions(&self) -> Result<Vec<CredentialId>> {
        let at = self.clock_now();
        let template = AuditEntry {
            at,
            api_key_id: None,
            issuer_id: None,
            action: "credential.withdraw",
            subject: String::new(),
            reason: Some("the suspension was not lifted by its deadline".into()),
        };
        let withdrawn = self.store.withdraw_due_suspensions(unix_ms(at), WITHDRAWN_REASON, &template).await?;
        for (id, _) in &withdrawn {
            tracing::info!(credential.id = %id, "withdrew credential {id}: its suspension deadline passed");
            metrics::counter!("microcred_status_changes_total", "action" => "credential.withdraw").increment(1);
        }
        let lists: Vec<_> = withdrawn.iter().filter_map(|(_, list)| *list).collect();
        self.note_status_changes(lists).await;
        Ok(withdrawn.into_iter().map(|(id, _)| id).collect())
    }

    /// Queues the reminders now due: for each current credential, the nearest threshold passed (the ones
    /// passed before it recorded as skipped, so a learner gets one reminder, not two at once), and records when
    /// to look at it next, so that a round reads only credentials with something due, page by page.
    async fn queue_reminders(&self, issuers: &[Issuer]) -> Result<u64> {
        let Some(horizon) = issuers.iter().flat_map(|i| i.mail.expiry_reminder_days.iter().copied()).max() else {
            return Ok(0);
        };
        let at = self.clock_now();
        let to = at + time::Duration::days(i64::from(horizon));
        let mut queued = 0;
        for _page in 0..REMINDER_PAGES {
            let candidates = self.store.reminder_candidates(unix_ms(at), unix_ms(to), REMINDER_BATCH).await?;
            let mut notices = Vec::new();
            let mut next = Vec::with_capacity(candidates.len());
            for e in &candidates {
                let days: &[u32] =
                    issuers.iter().find(|i| i.id == e.issuer_id).map_or(&[], |i| &i.mail.expiry_reminder_days);
                let until = at_ms(e.valid_until_ms);
                let due = due_reminder(until, at, days);
                // The next threshold after the one sent now (or the first, if none is due yet); after the last,
                // not before the credential expires (when it leaves the window).
                let after = due.as_ref().map_or(u32::MAX, |(send, _)| *send);
                let coming = days.iter().copied().filter(|d| *d < after).max();
                let look = coming.map_or(e.valid_until_ms, |d| e.valid_until_ms - i64::from(d) * 86_400_000);
                next.push((e.id, look.max(unix_ms(at) + 1)));
                let Some((send, skip)) = due else { continue };
                if e.reminded.is_some_and(|r| r <= send) {
                    continue;
                }
                let notice = |days: u32, status: &'static str| NewNotice {
                    key: format!("reminder:{}:{days}", e.id),
                    kind: "expiry_reminder",
                    issuer_id: e.issuer_id,
                    credential_id: Some(e.id),
                    recipient_email: e.email.clone(),
                    days_before: Some(days),
                    status,
                    created_at: at,
                    due_ms: unix_ms(now()),
                };
                notices.push(notice(send, "pending"));
                notices.extend(skip.into_iter().map(|d| notice(d, "skipped")));
            }
            queued += self.store.insert_notices(&notices).await?;
            self.store.set_next_reminders(&next).await?;
            if candidates.len() < REMINDER_BATCH as usize {
                break;
            }
        }
        Ok(queued)
    }

    /// Queues this ISO week's digest for each issuer with a contact address, once something expires in the
    /// next 90 days (looked at again each round of the week until then).
    async fn queue_digests(&self, issuers: &[Issuer]) -> Result<u64> {
        let at = self.clock_now();
        let week = iso_week(at);
        let to = at + time::Duration::days(DIGEST_HORIZON_DAYS);
        let mut queued = 0;
        for issuer in issuers {
            let Some(email) = issuer.email.as_ref() else { continue };
            let key = format!("digest:{}:{week}", issuer.id);
            if self.store.notice_exists(&key).await? {
                continue;
            }
            if self.store.expiring_credentials(unix_ms(at), unix_ms(to), Some(issuer.id), 1).await?.is_empty() {
                continue;
            }
            queued += self
                .store
                .insert_notices(&[NewNotice {
                    key,
                    kind: "expiry_digest",
                    issuer_id: issuer.id,
                    credential_id: None,
                    recipient_email: email.as_str().to_owned(),
                    days_before: None,
                    status: "pending",
                    created_at: at,
                    due_ms: unix_ms(now()),
                }])
                .await?;
        }
        Ok(queued)
    }

    /// Sends due notices, each taken under a lease of its own (so a slow mail server cannot outlast it) and
    /// its outcome recorded fenced by that lease; none without mail set up. Stops taking more once the job's
    /// lease (until `job_lease_until_ms`) is near its end.
    async fn send_notices(&self, job_lease_until_ms: i64) -> Result<u32> {
        let Some(setup) = self.mail.clone() else { return Ok(0) };
        let lease_ms = i64::try_from(NOTICE_LEASE.as_millis()).unwrap_or(i64::MAX / 2);
        let started = unix_ms(now());
        let taken = self.store.take_notices(started, started + lease_ms, SEND_BATCH).await?;
        let mut sent = 0;
        for notice in taken {
            if unix_ms(now()) + i64::try_from(SEND_TIMEOUT.as_millis()).unwrap_or(0) > job_lease_until_ms {
                // The rest go back when their leases end; the next holder sends them.
                break;
            }
            let send = async {
                match self.notice_message(&setup, &notice).await? {
                    Some(message) => setup.mailer.send(message).await.map(|()| true),
                    None => Ok(false),
                }
            };
            let result = tokio::time::timeout(SEND_TIMEOUT, send).await.unwrap_or_else(|_| {
                Err(SendFailure::Temporary(format!("sending took longer than {} s", SEND_TIMEOUT.as_secs())))
            });
            let at = now();
            match result {
                Ok(true) => {
                    sent += 1;
                    metrics::counter!("microcred_mail_sent_total").increment(1);
                    self.store.record_notice(&notice, "sent", None, unix_ms(at), Some(at)).await?;
                }
                Ok(false) => {
                    let why = "not sent: the credential is no longer current (revoked, suspended or renewed)";
                    self.store.record_notice(&notice, "skipped", Some(why), unix_ms(at), None).await?;
                }
                Err(failure) => {
                    let (status, next) = match setup.retry.after(notice.attempts, &failure, 0.5) {
                        AfterFailure::RetryIn(delay) => {
                            ("pending", unix_ms(at) + i64::try_from(delay.as_millis()).unwrap_or(0))
                        }
                        AfterFailure::GiveUp => ("failed", unix_ms(at)),
                    };
                    tracing::warn!(notice = %notice.key, %status, "notice {} failed: {}", notice.key, failure.message());
                    self.store.record_notice(&notice, status, Some(failure.message()), next, None).await?;
                }
            }
        }
        Ok(sent)
    }

    /// The message of a notice; `None` when it is no longer to be sent.
    async fn notice_message(
        &self,
        setup: &MailSetup,
        notice: &TakenNotice,
    ) -> std::result::Result<Option<crate::mail::Message>, SendFailure> {
        let temporary = |e: Error| SendFailure::Temporary(e.to_string());
        let issuer = self
            .store
            .issuer_by_id(notice.issuer_id)
            .await
            .map_err(|e| temporary(e.into()))?
            .ok_or_else(|| SendFailure::Permanent("the issuer no longer exists".into()))?;
        let envelope = super::deliveries::envelope(setup, &issuer, &notice.recipient_email);
        match notice.credential_id {
            Some(id) => {
                let credential = self.issued_credential(id).await.map_err(temporary)?;
                let current = credential.revoked_at.is_none()
                    && credential.suspended_at.is_none()
                    && credential.superseded_by.is_none()
                    && credential.valid_until.is_some_and(|u| u > self.clock_now());
                if !current {
                    return Ok(None);
                }
                let document: Value = serde_json::from_str(credential.document.get()).unwrap_or(Value::Null);
                let labels = Labels::for_tag(credential.language.as_deref().unwrap_or("en"));
                let facts = Facts::of(&document, labels.lang);
                let date = facts.valid_until.map(|t| labels.date(t.date())).unwrap_or_default();
                let achievement = facts.achievement.as_str();
                let contact = issuer.mail.reply_to.as_ref().or(issuer.email.as_ref()).map(|e| e.as_str().to_owned());
                let renew = match &contact {
                    Some(contact) => {
                        labels.format("reminder_renew", &[("issuer", &facts.issuer), ("contact", contact)])
                    }
                    None => labels.format("reminder_renew_no_contact", &[("issuer", &facts.issuer)]),
                };
                let message = Notice {
                    subject: labels.format("reminder_subject", &[("achievement", achievement), ("date", &date)]),
                    greeting: Some(labels.format("mail_greeting", &[("name", &facts.learner)])),
                    paragraphs: vec![
                        labels.format(
                            "reminder_text",
                            &[("achievement", achievement), ("issuer", &facts.issuer), ("date", &date)],
                        ),
                        renew,
                    ],
                    items: Vec::new(),
                    button: Some((
                        labels.get("mail_view").to_owned(),
                        format!("{}?lang={}", self.urls.credential(id), labels.lang),
                    )),
                    footer: labels.format("reminder_footer", &[("issuer", &facts.issuer)]),
                };
                compose::notice(&envelope, labels.lang, &message).map(Some)
            }
            None => {
                let labels = Labels::for_tag("en");
                let at = self.clock_now();
                let to = at + time::Duration::days(DIGEST_HORIZON_DAYS);
                let expiring = self
                    .store
                    .expiring_credentials(unix_ms(at), unix_ms(to), Some(issuer.id), REMINDER_BATCH)
                    .await
                    .map_err(|e| temporary(e.into()))?;
                if expiring.is_empty() {
                    return Ok(None);
                }
                let shown = expiring.len().min(200);
                let mut items = Vec::with_capacity(shown);
                for e in &expiring[..shown] {
                    let credential = self.issued_credential(e.id).await.map_err(temporary)?;
                    let document: Value = serde_json::from_str(credential.document.get()).unwrap_or(Value::Null);
                    let facts = Facts::of(&document, labels.lang);
                    let date = labels.date(at_ms(e.valid_until_ms).date());
                    items.push((
                        format!("{date}: {} — {} ({})", facts.learner, facts.achievement, e.id),
                        self.urls.credential(e.id),
                    ));
                }
                let mut paragraphs = vec![labels.format("digest_text", &[("issuer", &issuer.name)])];
                if expiring.len() > shown {
                    paragraphs.push(labels.format("digest_more", &[("count", &(expiring.len() - shown).to_string())]));
                }
                let message = Notice {
                    subject: labels.format("digest_subject", &[("count", &expiring.len().to_string())]),
                    greeting: None,
                    paragraphs,
                    items,
                    button: None,
                    footer: format!("microcred, {}", self.urls.base()),
                };
                compose::notice(&envelope, labels.lang, &message).map(Some)
            }
        }
    }

    /// Reminders and digests queued about a credential: (days before expiry, status).
    pub async fn notices_of(&self, id: CredentialId) -> Result<Vec<(Option<u32>, String)>> {
        Ok(self.store.notices_of(id).await?)
    }
}
