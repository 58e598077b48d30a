//! The local server's stream worker: the in-process stand-in for the
//! `notify` and `aggregate` Lambdas. It feeds the same [`Notifier`] from the
//! store's changes — the SQLite outbox, or the table's stream on DynamoDB
//! (Local), whose records it first applies to the rollups as `aggregate`
//! does — and runs the retry sweep, on its own task, so no webhook ever
//! slows a rating down.

use chrono::Utc;
use feedback_core::webhook::{Backoff, Change, UrlPolicy};
use feedback_notify::Notifier;
#[cfg(feature = "dynamo")]
use feedback_store::DynamoStore;
#[cfg(feature = "dynamo")]
use feedback_store::dynamo::{StreamReader, read_record};
use feedback_store::{SqliteStore, Store, StoreError, StreamChange};
use std::sync::Arc;
use std::time::Duration;

/// How often the worker looks for changes and due retries: on DynamoDB,
/// the bound on how long a write takes to reach the rollups (plus the
/// time to apply it).
const POLL: Duration = Duration::from_millis(200);
const BATCH: usize = 100;
/// Finished deliveries are kept this long (DynamoDB's TTL does it there).
const KEEP_DELIVERIES: chrono::Duration = chrono::Duration::days(30);

/// Where a store's changes are read from.
pub enum Changes {
    /// SQLite: the outbox each write appends to.
    Outbox(SqliteStore),
    /// DynamoDB: the table's stream (new and old images), and the store
    /// whose calls apply it to the rollups.
    #[cfg(feature = "dynamo")]
    Stream(Box<(StreamReader, DynamoStore)>),
}

impl Changes {
    /// The stream of `store`'s table, aggregated through `aggregator` (the
    /// same store, or the same table on another client).
    #[cfg(feature = "dynamo")]
    pub fn stream(store: &DynamoStore, aggregator: &DynamoStore) -> Changes {
        Changes::Stream(Box::new((StreamReader::new(store), aggregator.clone())))
    }

    /// The SQLite store whose outbox this is, which also keeps the
    /// deliveries (DynamoDB's TTL prunes its own).
    fn outbox(&self) -> Option<&SqliteStore> {
        match self {
            Changes::Outbox(store) => Some(store),
            #[cfg(feature = "dynamo")]
            Changes::Stream(_) => None,
        }
    }

    /// Dispatches what changed since the last call.
    async fn drain(&mut self, notifier: &Notifier) -> Result<(), StoreError> {
        match self {
            Changes::Outbox(store) => loop {
                let pending = store.pending_changes(BATCH).await?;
                let (seqs, changes): (Vec<i64>, Vec<Change>) = pending.into_iter().unzip();
                let Some(&last) = seqs.last() else {
                    return Ok(());
                };
                let changes: Vec<StreamChange> =
                    changes.into_iter().map(StreamChange::Changed).collect();
                match notifier.dispatch(&changes).await {
                    Ok(()) => store.forget_changes(last).await?,
                    Err(failed) => {
                        if failed.index > 0 {
                            store.forget_changes(seqs[failed.index - 1]).await?;
                        }
                        return Err(failed.error);
                    }
                }
            },
            #[cfg(feature = "dynamo")]
            Changes::Stream(stream) => {
                let (reader, aggregator) = &mut **stream;
                for batch in reader.next_batches().await? {
                    // Only move on once the batch is counted and every
                    // change handled; on failure the same records are read
                    // again, and neither counts nor sends anything twice.
                    aggregator
                        .aggregate(&batch.shard, &batch.records, Utc::now())
                        .await?;
                    let changes = batch
                        .records
                        .iter()
                        .map(read_record)
                        .collect::<Result<Vec<_>, _>>()?;
                    notifier.dispatch(&changes).await.map_err(|f| f.error)?;
                    reader.done(batch);
                }
                Ok(())
            }
        }
    }
}

/// Starts the worker; it runs as long as the process does.
pub fn spawn(store: Arc<dyn Store>, mut changes: Changes, backoff: Backoff) {
    let notifier = Notifier::new(store, UrlPolicy::Local, backoff);
    tokio::spawn(async move {
        let mut pruned_at = None;
        loop {
            if let Err(e) = changes.drain(&notifier).await {
                tracing::warn!(error = %e, "webhooks: reading changes failed; trying again");
            }
            if let Err(e) = notifier.retry_due(Utc::now()).await {
                tracing::warn!(error = %e, "webhooks: retry sweep failed; trying again");
            }
            if let Some(store) = changes.outbox() {
                let now = Utc::now();
                if pruned_at.is_none_or(|at| now - at > chrono::Duration::hours(1)) {
                    pruned_at = Some(now);
                    if let Err(e) = store.prune_deliveries(now - KEEP_DELIVERIES).await {
                        tracing::warn!(error = %e, "webhooks: pruning old deliveries failed");
                    }
                }
            }
            tokio::time::sleep(POLL).await;
        }
    });
}
