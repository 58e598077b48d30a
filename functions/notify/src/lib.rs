//! The notifier: turns stored changes into signed webhook deliveries and
//! retries the ones that failed; in AWS it also erases personal data whose
//! retention ran out (DynamoDB's TTL deleted its marker).
//!
//! One code path for both homes: the `notify` Lambda feeds it the table's
//! stream ([`lambda`]) and runs [`Notifier::retry_due`] on a schedule; the
//! local server feeds it the SQLite outbox or DynamoDB Local's stream from
//! an in-process worker. Delivery is at least once: a delivery is stored
//! (idempotently, by event and webhook) before it is attempted, attempts run
//! concurrently with a timeout, and a failure is a retry scheduled with
//! backoff — never an error that holds up the stream or anyone's rating.

pub mod lambda;
mod sender;

pub use sender::Sender;

use chrono::{DateTime, Utc};
use feedback_core::FollowUpRules;
use feedback_core::webhook::{Backoff, Delivery, EventType, UrlPolicy, Webhook};
use feedback_store::dynamo::StreamChange;
use feedback_store::{Store, StoreError};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Deliveries attempted at once.
const CONCURRENCY: usize = 16;
/// Due deliveries one sweep takes on.
const SWEEP_BATCH: usize = 100;

pub struct Notifier {
    store: Arc<dyn Store>,
    sender: Sender,
    backoff: Backoff,
    /// Longest a batch waits for its attempts; what is still in flight then
    /// stays leased and the retry sweep takes it over.
    budget: Duration,
}

/// The change at `index` could not be handled (its deliveries could not be
/// stored): it and every later one must be offered again.
#[derive(Debug)]
pub struct Failed {
    pub index: usize,
    pub error: StoreError,
}

impl Notifier {
    pub fn new(store: Arc<dyn Store>, policy: UrlPolicy, backoff: Backoff) -> Notifier {
        Notifier {
            store,
            sender: Sender::new(policy),
            backoff,
            budget: Duration::from_secs(30),
        }
    }

    /// Handles `changes` in order: stores a delivery per event and
    /// interested webhook, erases expired personal data, then makes the
    /// first attempt at each new delivery.
    pub async fn dispatch(&self, changes: &[StreamChange]) -> Result<(), Failed> {
        let mut fresh = Vec::new();
        let stored = self.store_deliveries(changes, &mut fresh).await;
        self.attempt_all(fresh).await;
        stored
    }

    async fn store_deliveries(
        &self,
        changes: &[StreamChange],
        fresh: &mut Vec<(Webhook, Delivery)>,
    ) -> Result<(), Failed> {
        let first = |error| Failed { index: 0, error };
        let webhooks = if changes
            .iter()
            .any(|c| matches!(c, StreamChange::Changed(_)))
        {
            self.store.list_webhooks().await.map_err(first)?
        } else {
            Vec::new()
        };
        let rules = if webhooks.iter().any(|w| w.wants(EventType::ResponseUnhappy)) {
            let settings = self.store.get_settings().await.map_err(first)?;
            settings.map(|s| s.follow_up).unwrap_or_default()
        } else {
            FollowUpRules::default()
        };
        let now = Utc::now();
        for (index, change) in changes.iter().enumerate() {
            let failed = |error| Failed { index, error };
            match change {
                StreamChange::Changed(change) => {
                    for event in change.events(&rules) {
                        for webhook in webhooks.iter().filter(|w| w.wants(event.kind)) {
                            let delivery = Delivery::new(webhook, event.clone(), now);
                            if self.store.add_delivery(&delivery).await.map_err(failed)? {
                                fresh.push((webhook.clone(), delivery));
                            }
                        }
                    }
                }
                StreamChange::Expired(code) => {
                    let erased = self.store.erase_invitation(code).await.map_err(failed)?;
                    tracing::info!(
                        invitations = erased.invitations,
                        comments = erased.comments,
                        "retention: erased personal data"
                    );
                }
                StreamChange::Ignored => {}
            }
        }
        Ok(())
    }

    /// Attempts the pending deliveries due by `now` (retries, and first
    /// attempts a crashed worker left behind); how many it attempted.
    pub async fn retry_due(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let due = self.store.due_deliveries(now, SWEEP_BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let webhooks: HashMap<String, Webhook> = self
            .store
            .list_webhooks()
            .await?
            .into_iter()
            .map(|w| (w.id.clone(), w))
            .collect();
        let mut work = Vec::new();
        for delivery in due {
            let webhook = webhooks.get(&delivery.webhook_id);
            let next = match webhook {
                Some(_) => delivery.leased(now),
                None => delivery.abandoned(),
            };
            match self.store.update_delivery(&delivery, &next).await {
                Ok(()) => {
                    if let Some(webhook) = webhook {
                        work.push((webhook.clone(), next));
                    }
                }
                // Another worker took it first.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let attempted = work.len();
        self.attempt_all(work).await;
        Ok(attempted)
    }

    async fn attempt_all(&self, work: Vec<(Webhook, Delivery)>) {
        let run = futures::stream::iter(work).for_each_concurrent(
            CONCURRENCY,
            |(webhook, delivery)| async move {
                self.attempt(&webhook, &delivery).await;
            },
        );
        if tokio::time::timeout(self.budget, run).await.is_err() {
            tracing::warn!("deliveries still in flight are left to the retry sweep");
        }
    }

    async fn attempt(&self, webhook: &Webhook, delivery: &Delivery) {
        let attempt = self.sender.send(webhook, delivery, Utc::now()).await;
        let next = delivery.after(attempt, &self.backoff, fastrand::f64());
        let last = next.attempts.last().expect("an attempt was just added");
        tracing::info!(
            delivery = %next.id,
            webhook = %webhook.id,
            event = next.event.kind.as_str(),
            status = ?last.status,
            error = ?last.error,
            state = ?next.state,
            "webhook delivery attempted"
        );
        if let Err(e) = self.store.update_delivery(delivery, &next).await {
            tracing::warn!(delivery = %next.id, error = %e, "delivery outcome not stored; it will be retried");
        }
    }
}
