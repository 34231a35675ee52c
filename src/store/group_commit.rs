//! Group commit: single credentials stored at the same moment share one transaction.
//!
//! PostgreSQL flushes its write-ahead log to disk at every commit, and `synchronous_commit` stays on (an
//! acknowledged award survives a crash), so awards committed one by one wait for the disk one by one. Here
//! a caller that finds a free lane ([`GroupCommit::new`]) becomes a *leader*: it takes every credential queued so
//! far and stores them in one transaction, one flush, while new ones queue for the next group. Each caller is
//! answered only after the transaction holding its credential has committed, so durability is unchanged.
//!
//! The database's constraints still decide everything: if the group's transaction fails on a conflict (a
//! credential conflicts with a row committed meanwhile — an idempotency key, a duplicate award, a status
//! index), its credentials are stored again one by one, each in its own transaction, and each caller gets the
//! answer it would have had alone. The commit runs in a task of its own, so a caller that goes away (a client closing
//! its connection) cannot cancel the others' commit.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::{NewDelivery, Store, StoreError, StoreResult};
use crate::domain::audit::AuditEntry;
use crate::domain::award::IssuedCredential;

/// Most credentials in one group: one multi-row statement each for credentials, audit entries and e-mails.
const MAX_GROUP: usize = 256;

/// The queue of credentials waiting for a commit, and the leaders' turns (see the module documentation).
pub(crate) struct GroupCommit {
    queue: Mutex<Vec<Queued>>,
    lanes: Arc<Semaphore>,
}

impl GroupCommit {
    /// At most `lanes` groups committing at once. Both stores use one: SQLite has one writer, so more lanes
    /// only make the groups wait for its lock; on PostgreSQL, one lane makes the groups larger and the WAL
    /// flushes fewer, and now that the statistics refresh costs a tenth of what it did, it also gives the most
    /// awards per second: 4,747–4,788/s for one replica and 4,134–4,285/s for two, against 4,646–4,722 and
    /// 3,913–3,919/s with two lanes and less with four (BENCHMARKS.md, "Issue 20, session 20").
    pub(crate) fn new(lanes: usize) -> Self {
        Self { queue: Mutex::default(), lanes: Arc::new(Semaphore::new(lanes.max(1))) }
    }
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").field("queued", &self.queue().len()).finish()
    }
}

struct Queued {
    credential: IssuedCredential,
    audit: AuditEntry,
    delivery: Option<NewDelivery>,
    reply: oneshot::Sender<StoreResult<()>>,
}

impl GroupCommit {
    /// Stores a credential, its audit entry and its e-mail (if any) through `store`, together with whatever
    /// other credentials are being stored at the same moment; returns once they are committed.
    ///
    /// Errors: those of [`Store::insert_credential`], each caller's own; `Unavailable` if the commit task
    /// was stopped (the runtime shutting down) before answering.
    pub(crate) async fn insert<S: Store + Clone + 'static>(
        &self,
        store: &S,
        credential: &IssuedCredential,
        audit: &AuditEntry,
        delivery: Option<&NewDelivery>,
    ) -> StoreResult<()> {
        let (reply, mut answer) = oneshot::channel();
        self.queue().push(Queued {
            credential: credential.clone(),
            audit: audit.clone(),
            delivery: delivery.cloned(),
            reply,
        });
        loop {
            tokio::select! {
                biased;
                result = &mut answer => return result.unwrap_or_else(|_| Err(interrupted())),
                turn = Arc::clone(&self.lanes).acquire_owned() => {
                    // The semaphore is never closed.
                    let Ok(turn) = turn else { return Err(interrupted()) };
                    let group = {
                        let mut queue = self.queue();
                        let n = queue.len().min(MAX_GROUP);
                        queue.drain(..n).collect::<Vec<_>>()
                    };
                    if group.is_empty() {
                        // Another leader took ours: its task answers once that group is committed.
                        drop(turn);
                        return answer.await.unwrap_or_else(|_| Err(interrupted()));
                    }
                    tokio::spawn(commit(store.clone(), group, turn));
                }
            }
        }
    }

    fn queue(&self) -> MutexGuard<'_, Vec<Queued>> {
        // Pushing and draining cannot leave the queue half-changed, so a poisoned lock is still consistent.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Stores `group` in one transaction, answers each caller, then gives up the turn.
///
/// Callers that went away before their group formed (a request timed out, a client disconnected) are left
/// out: their award is not stored, as when a request is cancelled before its own commit. If the group's
/// transaction meets a conflict, each credential is stored again alone, so that each caller gets its own
/// answer; any other failure (the database unreachable) is every caller's answer at once, instead of a wait
/// for the pool per credential.
async fn commit<S: Store>(store: S, mut group: Vec<Queued>, turn: OwnedSemaphorePermit) {
    group.retain(|queued| !queued.reply.is_closed());
    metrics::histogram!("microcred_group_commit_credentials").record(group.len() as f64);
    let outcome = match group.len() {
        0 => Ok(()),
        1 => Err(None),
        _ => {
            let credentials: Vec<IssuedCredential> = group.iter().map(|q| q.credential.clone()).collect();
            let audits: Vec<AuditEntry> = group.iter().map(|q| q.audit.clone()).collect();
            let deliveries: Vec<NewDelivery> = group.iter().filter_map(|q| q.delivery.clone()).collect();
            match store.insert_batch(&credentials, &audits, &deliveries, None).await {
                Ok(()) => Ok(()),
                Err(StoreError::Conflict(_)) => Err(None),
                Err(e) => Err(Some(e)),
            }
        }
    };
    match outcome {
        Ok(()) => group.into_iter().for_each(|queued| drop(queued.reply.send(Ok(())))),
        Err(Some(error)) => {
            let mut group = group.into_iter();
            if let Some(first) = group.next() {
                drop(first.reply.send(Err(error)));
            }
            group.for_each(|queued| drop(queued.reply.send(Err(interrupted()))));
        }
        Err(None) => {
            for queued in group {
                if queued.reply.is_closed() {
                    continue;
                }
                let result = store
                    .insert_batch(
                        std::slice::from_ref(&queued.credential),
                        std::slice::from_ref(&queued.audit),
                        queued.delivery.as_slice(),
                        None,
                    )
                    .await;
                drop(queued.reply.send(result));
            }
        }
    }
    drop(turn);
}

fn interrupted() -> StoreError {
    StoreError::Unavailable(sqlx::Error::WorkerCrashed)
}
