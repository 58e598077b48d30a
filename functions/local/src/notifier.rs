//! The local server's notifier: the in-process stand-in for the `notify`
//! Lambda. It feeds the same [`Notifier`] from the store's changes — the
//! SQLite outbox, or the table's stream on DynamoDB (Local) — and runs the
//! retry sweep, on its own task, so no webhook ever slows a rating down.

use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use chrono::Utc;
use feedback_core::webhook::{Backoff, Change, UrlPolicy};
use feedback_notify::Notifier;
use feedback_store::dynamo::{Item, StreamChange, read_record};
use feedback_store::{DynamoStore, SqliteStore, Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How often the worker looks for changes and due retries.
const POLL: Duration = Duration::from_millis(200);
const BATCH: usize = 100;
/// How often a stream's shards are listed again: new shards open beside
/// the ones being read, and records written to them would otherwise wait
/// until every known shard is read to its end.
const REDISCOVER: Duration = Duration::from_secs(5);
/// Finished deliveries are kept this long (DynamoDB's TTL does it there).
const KEEP_DELIVERIES: chrono::Duration = chrono::Duration::days(30);

/// Where a store's changes are read from.
pub enum Changes {
    /// SQLite: the outbox each write appends to.
    Outbox(SqliteStore),
    /// DynamoDB: the table's stream (new and old images).
    Stream(Box<StreamReader>),
}

impl Changes {
    /// The stream of `store`'s table.
    pub fn stream(store: &DynamoStore) -> Changes {
        Changes::Stream(Box::new(StreamReader::new(store)))
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
            Changes::Stream(reader) => reader.drain(notifier).await,
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
            if let Changes::Outbox(store) = &changes {
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

/// Reads a table's stream shard by shard, from the oldest record kept:
/// dispatch is idempotent, so reading a change twice (after a restart)
/// sends nothing twice.
pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    store: DynamoStore,
    stream: Option<String>,
    /// Open shards and where to read next; closed ones are dropped.
    iterators: HashMap<String, String>,
    /// Shards read to their end.
    finished: std::collections::HashSet<String>,
    /// When the shards were last listed.
    discovered_at: Option<std::time::Instant>,
}

fn stream_error(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::unavailable(aws_sdk_dynamodbstreams::error::DisplayErrorContext(e).to_string())
}

impl StreamReader {
    fn new(store: &DynamoStore) -> StreamReader {
        StreamReader {
            client: aws_sdk_dynamodbstreams::Client::new(store.sdk_config()),
            store: store.clone(),
            stream: None,
            iterators: HashMap::new(),
            finished: Default::default(),
            discovered_at: None,
        }
    }

    /// Finds the stream and starts reading the shards not yet seen.
    async fn discover(&mut self) -> Result<(), StoreError> {
        // DescribeTable names the table's stream directly; ListStreams
        // pages through every table's streams (and DynamoDB Local ignores
        // its table filter).
        if self.stream.is_none() {
            self.stream = self.store.stream_arn().await?;
        }
        let Some(arn) = self.stream.clone() else {
            return Err(StoreError::unavailable(format!(
                "table {} has no stream",
                self.store.table()
            )));
        };
        let out = self
            .client
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .map_err(stream_error)?;
        let shards = out
            .stream_description()
            .map(|d| d.shards().to_vec())
            .unwrap_or_default();
        for shard in shards {
            let Some(id) = shard.shard_id() else { continue };
            if self.iterators.contains_key(id) || self.finished.contains(id) {
                continue;
            }
            let it = self
                .client
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(id)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .map_err(stream_error)?;
            if let Some(it) = it.shard_iterator {
                self.iterators.insert(id.to_owned(), it);
            }
        }
        Ok(())
    }

    async fn drain(&mut self, notifier: &Notifier) -> Result<(), StoreError> {
        let stale = self
            .discovered_at
            .is_none_or(|at| at.elapsed() >= REDISCOVER);
        if self.iterators.is_empty() || stale {
            self.discover().await?;
            self.discovered_at = Some(std::time::Instant::now());
        }
        let shards: Vec<(String, String)> = self
            .iterators
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (shard, iterator) in shards {
            let sent = self
                .client
                .get_records()
                .shard_iterator(iterator)
                .limit(BATCH as i32)
                .send()
                .await;
            let out = match sent {
                Ok(out) => out,
                // An iterator taken at the shard's horizon before its first
                // records (DynamoDB Local trims there), or one left unused
                // too long, is no good: take a fresh one from the horizon.
                // Records read again are dispatched once.
                Err(e)
                    if e.as_service_error().is_some_and(|e| {
                        e.is_trimmed_data_access_exception() || e.is_expired_iterator_exception()
                    }) =>
                {
                    self.iterators.remove(&shard);
                    self.discovered_at = None;
                    continue;
                }
                Err(e) => return Err(stream_error(e)),
            };
            let changes = out
                .records()
                .iter()
                .map(change_of)
                .collect::<Result<Vec<_>, _>>()?;
            // Only move on once every change is handled; on failure the same
            // records are read again, and dispatch stores nothing twice.
            notifier.dispatch(&changes).await.map_err(|f| f.error)?;
            match out.next_shard_iterator {
                Some(next) => {
                    self.iterators.insert(shard, next);
                }
                None => {
                    self.iterators.remove(&shard);
                    self.finished.insert(shard);
                }
            }
        }
        Ok(())
    }
}

fn change_of(record: &aws_sdk_dynamodbstreams::types::Record) -> Result<StreamChange, StoreError> {
    let image =
        |map: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| -> Item {
            serde_dynamo::Item::from(map.cloned().unwrap_or_default()).into()
        };
    let Some(data) = record.dynamodb() else {
        return Ok(StreamChange::Ignored);
    };
    let name = record.event_name().map(|n| n.as_str()).unwrap_or_default();
    read_record(
        name,
        &image(data.keys.as_ref()),
        image(data.old_image.as_ref()),
        image(data.new_image.as_ref()),
        record
            .user_identity()
            .and_then(|u| u.r#type().zip(u.principal_id())),
    )
}
