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

#[cfg(feature = "lambda")]
pub mod lambda;
mod sender;

pub use sender::Sender;

use chrono::{DateTime, Utc};
use feedback_core::FollowUpRules;
use feedback_core::webhook::{Backoff, Change, Delivery, EventType, UrlPolicy, Webhook};
use feedback_store::StreamChange;
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
                    let start = fresh.len();
                    for event in change.events(&rules) {
                        for webhook in webhooks.iter().filter(|w| w.wants(event.kind)) {
                            let delivery = Delivery::new(webhook, event.clone(), now);
                            if self.store.add_delivery(&delivery).await.map_err(failed)? {
                                fresh.push((webhook.clone(), delivery));
                            }
                        }
                    }
                    self.scrub_if_erased(change, &mut fresh[start..])
                        .await
                        .map_err(failed)?;
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

    /// An erasure may have run since `change` was written: it took the
    /// comment out of the deliveries stored before it, but not out of
    /// these, stored just now. Erasure removes the comment from the answer
    /// before it scrubs deliveries, so reading the answer after storing them
    /// closes the gap: either the erasure's scrub saw them, or this read
    /// sees the comment gone.
    async fn scrub_if_erased(
        &self,
        change: &Change,
        fresh: &mut [(Webhook, Delivery)],
    ) -> Result<(), StoreError> {
        let Change::Response { after, .. } = change else {
            return Ok(());
        };
        // Erasure reaches the answers of one-use invitations, whose id is
        // their code.
        if fresh.is_empty() || !after.has_comment() || after.id != after.code.as_str() {
            return Ok(());
        }
        let current = self.store.get_response(&after.code).await?;
        if current.is_some_and(|r| r.has_comment()) {
            return Ok(());
        }
        for (_, delivery) in fresh.iter_mut().filter(|(_, d)| d.has_comment()) {
            let scrubbed = delivery.without_comment();
            match self.store.update_delivery(delivery, &scrubbed).await {
                // A conflict is the erasure's own scrub, which got there first.
                Ok(()) | Err(StoreError::Conflict(_)) => *delivery = scrubbed,
                Err(e) => return Err(e),
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use feedback_core::model::{Answer, Answers, NewInvitation};
    use feedback_core::submission::SubmitRules;
    use feedback_core::{Code, Response, SurveyKind};
    use feedback_store::{
        ErasureStore, InvitationOutcome, InvitationStore, ResponseStore, SqliteStore, WebhookStore,
    };

    /// An answer with a comment to a new one-use invitation, and that
    /// invitation.
    pub(crate) fn answered() -> (feedback_core::Invitation, Response) {
        let zone = feedback_core::time::TenantZone::parse("tz", "UTC").unwrap();
        let now = Utc::now();
        let invitation = NewInvitation {
            order_id: Some(format!("o-{}", fastrand::u32(..))),
            channel: Some("sms".into()),
            customer_ref: Some("c-1".into()),
            ..Default::default()
        }
        .validate(SurveyKind::Csat)
        .unwrap()
        .issue(
            Code::generate().unwrap(),
            now,
            chrono::Duration::days(30),
            &zone,
        );
        let answer = Answer {
            score: 2,
            answers: Answers::default(),
            comment: Some("slow".into()),
        };
        let response = Response::first(&invitation, answer, now, &zone);
        (invitation, response)
    }

    /// An answer, for the Lambda side's tests of stream records.
    #[cfg(feature = "lambda")]
    pub(crate) fn response() -> Response {
        answered().1
    }

    /// A new invitation and its answer, both stored, and the change the
    /// answer's recording makes.
    async fn stored_answer(
        store: &SqliteStore,
        at: chrono::DateTime<Utc>,
    ) -> (feedback_core::Invitation, Response, StreamChange) {
        let (invitation, response) = answered();
        let created = store.create_invitation(&invitation, None).await.unwrap();
        assert!(matches!(created, InvitationOutcome::Created(_)));
        let rules = SubmitRules {
            edit_window: chrono::Duration::minutes(15),
            follow_up: FollowUpRules::default(),
        };
        store
            .record_response(&response, at, &rules, &[])
            .await
            .unwrap();
        let change = StreamChange::Changed(Change::Response {
            before: None,
            after: Box::new(response.clone()),
        });
        (invitation, response, change)
    }

    #[tokio::test]
    async fn an_answer_erased_before_its_change_is_handled_is_delivered_without_its_comment() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path().join("f.db")).unwrap());
        let at = Utc::now();
        // Port 9 (discard) refuses at once: the attempt fails, the delivery stays.
        let webhook = Webhook::generate(
            "http://127.0.0.1:9/hook".into(),
            vec![EventType::ResponseCreated],
            at,
        )
        .unwrap();
        store.create_webhook(&webhook).await.unwrap();
        let (invitation, response, change) = stored_answer(&store, at).await;
        // The change carries the comment; the erasure runs before the
        // notifier gets to it, with no delivery yet to scrub.
        let erased = store.erase_invitation(&invitation.code).await.unwrap();
        assert_eq!(erased.comments, 1);
        let notifier = Notifier::new(store.clone(), UrlPolicy::Local, Backoff::DEFAULT);
        notifier.dispatch(&[change]).await.unwrap();
        let stored = store.list_deliveries(&webhook.id, 10).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(
            stored[0].event.data["response"]["code"],
            response.code.as_str()
        );
        assert!(stored[0].event.data["response"]["comment"].is_null());
        assert_eq!(
            stored[0].attempts.len(),
            1,
            "attempted once, without the comment"
        );

        // An answer still holding its comment is delivered with it.
        let (_, response, change) = stored_answer(&store, at).await;
        notifier.dispatch(&[change]).await.unwrap();
        let stored = store.list_deliveries(&webhook.id, 10).await.unwrap();
        let kept = stored
            .iter()
            .find(|d| d.event.data["response"]["code"] == response.code.as_str())
            .unwrap();
        assert_eq!(kept.event.data["response"]["comment"], "slow");
    }
}
