//! Delivering awards to learners by e-mail, through an outbox.
//!
//! Every award queues its message in the transaction that stores it (`store::NewDelivery`), so an award
//! the API acknowledged is never without its message, and the award's latency never depends on the mail
//! server. A worker in each `serve` process ([`Microcred::run_deliveries`]) takes due messages (a lease: a
//! replica that dies mid-send leaves them to be taken again once the lease ends), sends them with bounded
//! concurrency, and records each outcome: sent, retried later with backoff (4xx, connection failures),
//! or failed (5xx, or the last retry). A message is sent twice only if the process died after the server
//! accepted it and before the outcome was recorded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Microcred, audit, now};
use crate::certificate::{Facts, Labels, Paper};
use crate::domain::api_key::ApiKey;
use crate::domain::award::{CredentialId, IssuedCredential};
use crate::domain::delivery::{AfterFailure, Delivery, DeliveryStatus, RetryPolicy, SendFailure};
use crate::domain::issuer::Issuer;
use crate::domain::public_urls::PublicUrls;
use crate::error::{Error, Result};
use crate::mail::compose::{self, AwardLinks, Envelope};
use crate::mail::{Mailbox, Mailer, Message};
use crate::store::{DeliveryOutcome, NewDelivery, TakenDelivery, unix_ms};

/// How this process sends e-mail.
#[derive(Debug, Clone)]
pub struct MailSetup {
    /// SMTP or `.eml` files.
    pub mailer: Mailer,
    /// The deployment's sender address (each issuer's sender name replaces its name).
    pub from: Mailbox,
    /// Retries of temporary failures.
    pub retry: RetryPolicy,
    /// How long a taken message stays this process's.
    pub lease: Duration,
    /// Messages sent at once; 0: this process sends none.
    pub concurrency: u32,
}

impl Microcred {
    /// Sends e-mail with `setup` (sign-in links, and awards when [`Self::run_deliveries`] runs).
    #[must_use]
    pub fn with_mail(mut self, setup: MailSetup) -> Self {
        self.mail = Some(Arc::new(setup));
        self
    }

    /// The outbox row an award queues: pending, or skipped when the issuer delivers itself.
    pub(super) fn new_delivery(credential: &IssuedCredential, email: &str, notify: bool) -> NewDelivery {
        NewDelivery {
            credential_id: credential.id,
            recipient_email: email.to_owned(),
            status: if notify { DeliveryStatus::Pending } else { DeliveryStatus::Skipped },
            created_at: credential.issued_at,
        }
    }

    /// Tells this process's worker that messages were queued, so they leave at once rather than at the
    /// next poll — only when one of `queued` is to be sent: every wake costs the worker a transaction that
    /// claims due messages, and an award with `notify: false` (recorded as skipped) has none to claim.
    pub(super) fn wake_deliveries<'a>(&self, queued: impl IntoIterator<Item = &'a NewDelivery>) {
        if any_to_send(queued) {
            self.delivery_wake.notify_one();
        }
    }

    /// The deliveries of listed credentials.
    pub async fn deliveries_of(
        &self,
        ids: &[CredentialId],
    ) -> Result<std::collections::HashMap<CredentialId, Delivery>> {
        Ok(self.store.deliveries(ids).await?)
    }

    /// `POST /api/v1/credentials/{id}/notify`: queues the credential's e-mail again (after a failure, a
    /// changed address at the learner's mail server, or `notify: false`), audited. Refused for a credential
    /// that names no e-mail address.
    pub async fn notify_again(&self, caller: &ApiKey, id: CredentialId) -> Result<Delivery> {
        let credential = self.issued_credential_for(caller, id).await?;
        let Some(email) = credential
            .recipient_email
            .clone()
            .or_else(|| serde_json::from_str::<Value>(credential.document.get()).ok().as_ref().and_then(plain_email))
        else {
            return Err(Error::Conflict("this credential names no e-mail address to send it to".into()));
        };
        if let Some(why) = not_to_send(&credential) {
            return Err(Error::Conflict(format!("this credential is {why}: it is not e-mailed")));
        }
        let delivery = NewDelivery {
            credential_id: id,
            recipient_email: email,
            status: DeliveryStatus::Pending,
            created_at: now(),
        };
        let entry = audit(Some(caller), Some(credential.issuer_id), "credential.notify", &id.to_string(), None);
        self.store.requeue_delivery(&delivery, &entry).await?;
        self.wake_deliveries([&delivery]);
        self.store.delivery(id).await?.ok_or_else(|| Error::Internal(format!("delivery of {id} vanished")))
    }

    /// The worker: takes due messages and sends them, until the process ends. Does nothing when this
    /// process sends no mail (`mail_concurrency = 0`, or no mail set up).
    pub async fn run_deliveries(self) {
        let Some(setup) = self.mail.clone() else { return };
        if setup.concurrency == 0 {
            tracing::info!("this process sends no e-mail (mail_concurrency = 0)");
            return;
        }
        tracing::info!("sending learners' e-mail to {}", setup.mailer.describe());
        // One sending slot per message sent at once. A message is taken only when a slot is free, so each is
        // sent as soon as it is leased (well within its lease), and slots never wait for a whole round.
        let slots = Arc::new(tokio::sync::Semaphore::new(setup.concurrency.min(500) as usize));
        let (outcomes, recorded) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(Self::record_outcomes(Arc::clone(&self.store), recorded));
        loop {
            let Ok(first) = Arc::clone(&slots).acquire_owned().await else { return };
            let mut free = vec![first];
            while let Ok(more) = Arc::clone(&slots).try_acquire_owned() {
                free.push(more);
            }
            let started = now();
            let lease_until = unix_ms(started) + i64::try_from(setup.lease.as_millis()).unwrap_or(i64::MAX / 2);
            let wanted = u32::try_from(free.len()).unwrap_or(u32::MAX);
            let taken = match self.store.take_deliveries(unix_ms(started), lease_until, wanted).await {
                Ok(taken) => taken,
                Err(e) => {
                    drop(free);
                    tracing::warn!(error = %crate::error::error_chain(&e), "cannot read the outbox; retrying");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
            };
            if taken.is_empty() {
                drop(free);
                // Awards in this process wake the worker; other replicas' are found by polling.
                let _ = tokio::time::timeout(Duration::from_secs(1), self.delivery_wake.notified()).await;
                continue;
            }
            for (delivery, slot) in taken.into_iter().zip(free) {
                let (app, setup, outcomes) = (self.clone(), Arc::clone(&setup), outcomes.clone());
                tokio::spawn(async move {
                    let outcome = app.deliver(&setup, delivery).await;
                    let _ = outcomes.send(outcome);
                    drop(slot);
                });
            }
        }
    }

    /// Records outcomes as they come, as many at a time as have come: a process that dies leaves few
    /// messages sent but not recorded (those are sent again: twice rather than never).
    async fn record_outcomes(
        store: Arc<dyn crate::store::Store>,
        mut outcomes: tokio::sync::mpsc::UnboundedReceiver<DeliveryOutcome>,
    ) {
        let mut chunk = Vec::new();
        while outcomes.recv_many(&mut chunk, 256).await > 0 {
            if let Err(e) = store.record_deliveries(&chunk).await {
                tracing::error!(error = %crate::error::error_chain(&e), "cannot record {} sent messages", chunk.len());
            }
            chunk.clear();
        }
    }

    /// Sends one message and says what became of it.
    async fn deliver(&self, setup: &MailSetup, taken: TakenDelivery) -> DeliveryOutcome {
        let id = taken.credential.id;
        let fence = (taken.attempts, taken.lease_until_ms);
        let at = now();
        // Revoked or suspended between the award and now (an award made in error, corrected at once): the
        // learner is not told they hold it.
        if let Some(why) = not_to_send(&taken.credential) {
            return DeliveryOutcome {
                credential_id: id,
                taken: fence,
                status: DeliveryStatus::Skipped,
                last_error: Some(format!("not sent: the credential was {why} before it was sent")),
                next_attempt_ms: unix_ms(at),
                sent_at: None,
            };
        }
        let started = Instant::now();
        // Well within the lease, so no other replica takes the message while this one still sends it.
        let limit = setup.lease / 2;
        let send = async {
            let message = self.award_message(setup, &taken).await?;
            let built = Instant::now();
            let sent = setup.mailer.send(message).await;
            metrics::histogram!("microcred_mail_smtp_seconds").record(built.elapsed().as_secs_f64());
            sent
        };
        let result = tokio::time::timeout(limit, send)
            .await
            .unwrap_or_else(|_| Err(SendFailure::Temporary(format!("sending took longer than {} s", limit.as_secs()))));
        metrics::histogram!("microcred_mail_send_seconds").record(started.elapsed().as_secs_f64());
        let at = now();
        match result {
            Ok(()) => {
                metrics::counter!("microcred_mail_sent_total").increment(1);
                tracing::debug!(credential.id = %id, "e-mailed credential {id}");
                DeliveryOutcome {
                    credential_id: id,
                    taken: fence,
                    status: DeliveryStatus::Sent,
                    last_error: None,
                    next_attempt_ms: unix_ms(at),
                    sent_at: Some(at),
                }
            }
            Err(failure) => {
                let (status, next) = match setup.retry.after(taken.attempts, &failure, jitter()) {
                    AfterFailure::RetryIn(delay) => {
                        (DeliveryStatus::Pending, unix_ms(at) + i64::try_from(delay.as_millis()).unwrap_or(0))
                    }
                    AfterFailure::GiveUp => (DeliveryStatus::Failed, unix_ms(at)),
                };
                let kind = if matches!(failure, SendFailure::Permanent(_)) { "permanent" } else { "temporary" };
                metrics::counter!("microcred_mail_failures_total", "kind" => kind).increment(1);
                tracing::warn!(credential.id = %id, attempts = taken.attempts, %status, "e-mail of credential {id} failed: {}", failure.message());
                DeliveryOutcome {
                    credential_id: id,
                    taken: fence,
                    status,
                    last_error: Some(failure.message().to_owned()),
                    next_attempt_ms: next,
                    sent_at: None,
                }
            }
        }
    }

    /// The message delivering `taken`, from its signed credential, in its language.
    async fn award_message(
        &self,
        setup: &MailSetup,
        taken: &TakenDelivery,
    ) -> std::result::Result<Message, SendFailure> {
        let credential = &taken.credential;
        let issuer = self
            .store
            .issuer_by_id(credential.issuer_id)
            .await
            .map_err(|e| SendFailure::Temporary(format!("cannot read the issuer: {e}")))?
            .ok_or_else(|| SendFailure::Permanent("the issuer no longer exists".into()))?;
        let document: Value = serde_json::from_str(credential.document.get()).unwrap_or(Value::Null);
        let labels = Labels::for_tag(credential.language.as_deref().unwrap_or("en"));
        let facts = Facts::of(&document, labels.lang);
        let claim = self.claim_token(credential.id).await.map_err(|e| SendFailure::Temporary(e.to_string()))?;
        let page = format!("{}?lang={}&claim={claim}", self.urls.credential(credential.id), labels.lang);
        let links = AwardLinks {
            page,
            pdf: format!("{}.pdf?lang={}", self.urls.credential(credential.id), labels.lang),
            json: format!("{}.json", self.urls.credential(credential.id)),
            space: format!("{}me?lang={}", self.urls.base(), labels.lang),
            wallet: format!(
                "{}{}?lang={}",
                self.urls.credential_issuer(),
                PublicUrls::wallet_path(credential.id),
                labels.lang
            ),
        };
        let attachment = if issuer.mail.attach_pdf {
            let pdf = async {
                let prepared = self.certificate(credential.id, Some(labels.lang), Paper::default()).await?;
                let name = prepared.file_name.clone();
                Ok::<_, Error>((name, prepared.render_blocking(self).await?))
            };
            Some(pdf.await.map_err(|e| SendFailure::Temporary(format!("cannot render the certificate: {e}")))?)
        } else {
            None
        };
        let follows = self
            .store
            .predecessor(credential.id)
            .await
            .map_err(|e| SendFailure::Temporary(format!("cannot read the credential's history: {e}")))?
            .map(|(_, why)| why);
        compose::award(&envelope(setup, &issuer, &taken.recipient_email), &facts, labels, &links, follows, attachment)
    }

    /// Publishes the outbox's state as metrics: messages by status, and the age of the oldest pending one.
    pub async fn observe_deliveries(&self) -> Result<()> {
        let queue = self.store.delivery_queue().await?;
        for status in [DeliveryStatus::Pending, DeliveryStatus::Failed] {
            let n = queue.by_status.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
            metrics::gauge!("microcred_mail_deliveries", "status" => status.as_str()).set(n as f64);
        }
        let age = queue.oldest_pending.map_or(0.0, |t| (now() - t).as_seconds_f64().max(0.0));
        metrics::gauge!("microcred_mail_oldest_pending_seconds").set(age);
        Ok(())
    }
}

/// `From` and `Reply-To` of an issuer's message: the deployment's address under the issuer's sender
/// name (or its name), replies to its chosen address (or its contact address).
pub(super) fn envelope(setup: &MailSetup, issuer: &Issuer, to: &str) -> Envelope {
    let name = issuer.mail.sender_name.clone().unwrap_or_else(|| issuer.name.clone());
    let from = Mailbox::new(Some(name), setup.from.email.clone());
    let reply_to = issuer.mail.reply_to.as_ref().or(issuer.email.as_ref()).and_then(|e| e.as_str().parse().ok());
    Envelope { from, reply_to, to: to.to_owned() }
}

/// The learner's address a credential names in the clear, if any: an Open Badges `IdentityObject` of
/// type `emailAddress` with `hashed: false` (a VC-API client's credential; our awards hash it).
///
/// See: <https://www.imsglobal.org/spec/ob/v3p0/#identityobject>
pub fn plain_email(document: &Value) -> Option<String> {
    let identifiers = match document.get("credentialSubject")?.get("identifier")? {
        Value::Array(items) => items.as_slice(),
        one => std::slice::from_ref(one),
    };
    identifiers.iter().find_map(|i| {
        let email = i.get("identityType")? == "emailAddress" && i.get("hashed")? == false;
        let address = i.get("identityHash")?.as_str()?.trim().to_lowercase();
        (email && address.parse::<crate::domain::issuer::Email>().is_ok()).then_some(address)
    })
}

/// Why a credential is not e-mailed (`revoked`, `suspended`), if it is not.
fn not_to_send(credential: &IssuedCredential) -> Option<&'static str> {
    if credential.revoked_at.is_some() {
        Some("revoked")
    } else if credential.suspended_at.is_some() {
        Some("suspended")
    } else {
        None
    }
}

/// Whether any of `queued` is a message to send (not one recorded as skipped).
fn any_to_send<'a>(queued: impl IntoIterator<Item = &'a NewDelivery>) -> bool {
    queued.into_iter().any(|d| d.status == DeliveryStatus::Pending)
}

/// A random number in `[0, 1)` for retry jitter.
fn jitter() -> f64 {
    let mut bytes = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(status: DeliveryStatus) -> NewDelivery {
        NewDelivery {
            credential_id: CredentialId(uuid::Uuid::new_v4()),
            recipient_email: "learner@example.eu".into(),
            status,
            created_at: now(),
        }
    }

    #[test]
    fn only_a_message_to_send_wakes_the_worker() {
        let (pending, skipped) = (queued(DeliveryStatus::Pending), queued(DeliveryStatus::Skipped));
        assert!(any_to_send([&pending]));
        assert!(any_to_send([&skipped, &pending]));
        assert!(!any_to_send([&skipped]), "notify: false queues nothing to send");
        assert!(!any_to_send(&[skipped.clone(), skipped]));
        assert!(!any_to_send(&None), "a credential without an address queues nothing");
    }
}
