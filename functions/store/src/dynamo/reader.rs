//! Reading the table's stream shard by shard, from the oldest record kept:
//! the local server's stand-in for Lambda's event source mappings. A
//! shard's batch is handed out, and the shard moves past it only when the
//! caller says the batch is done; whatever reads a batch twice (after a
//! failure or a restart) must be idempotent, as the aggregator and the
//! notifier are.

use super::{DynamoStore, Item, StreamRecord};
use crate::StoreError;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Records one `GetRecords` call reads at most.
const BATCH: i32 = 100;
/// How often the shards are listed again: new shards open beside the ones
/// being read, and records written to them would otherwise wait until
/// every known shard is read to its end.
const REDISCOVER: Duration = Duration::from_secs(5);

/// The next records of one shard.
pub struct ShardBatch {
    pub shard: String,
    pub records: Vec<StreamRecord>,
    /// Where the shard goes on once this batch is done (none: it is closed).
    next: Option<String>,
}

pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    store: DynamoStore,
    stream: Option<String>,
    /// Open shards and where to read next; closed ones are dropped.
    iterators: HashMap<String, String>,
    /// Shards read to their end.
    finished: HashSet<String>,
    /// When the shards were last listed.
    discovered_at: Option<Instant>,
}

fn stream_error(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::unavailable(aws_sdk_dynamodbstreams::error::DisplayErrorContext(e).to_string())
}

impl StreamReader {
    /// A reader of `store`'s table's stream.
    pub fn new(store: &DynamoStore) -> StreamReader {
        StreamReader {
            client: aws_sdk_dynamodbstreams::Client::new(store.sdk_config()),
            store: store.clone(),
            stream: None,
            iterators: HashMap::new(),
            finished: HashSet::new(),
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
        self.discovered_at = Some(Instant::now());
        Ok(())
    }

    /// The next batch of every open shard (some may be empty). Hand each
    /// to [`StreamReader::done`] once handled; a batch not done is read
    /// again next time.
    pub async fn next_batches(&mut self) -> Result<Vec<ShardBatch>, StoreError> {
        let stale = self
            .discovered_at
            .is_none_or(|at| at.elapsed() >= REDISCOVER);
        if self.iterators.is_empty() || stale {
            self.discover().await?;
        }
        let shards: Vec<(String, String)> = self
            .iterators
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut batches = Vec::with_capacity(shards.len());
        for (shard, iterator) in shards {
            let sent = self
                .client
                .get_records()
                .shard_iterator(iterator)
                .limit(BATCH)
                .send()
                .await;
            let out = match sent {
                Ok(out) => out,
                // An iterator taken at the shard's horizon before its first
                // records (DynamoDB Local trims there), or one left unused
                // too long, is no good: take a fresh one from the horizon.
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
            batches.push(ShardBatch {
                shard,
                records: out.records().iter().map(record).collect(),
                next: out.next_shard_iterator,
            });
        }
        Ok(batches)
    }

    /// Moves `batch`'s shard past it.
    pub fn done(&mut self, batch: ShardBatch) {
        match batch.next {
            Some(next) => {
                self.iterators.insert(batch.shard, next);
            }
            None => {
                self.iterators.remove(&batch.shard);
                self.finished.insert(batch.shard);
            }
        }
    }

    /// Reads every shard to its end, applying what it reads to the rollups
    /// through `aggregator` (the store whose calls apply them). The rollups
    /// then count every change committed before the call.
    pub async fn catch_up(&mut self, aggregator: &DynamoStore) -> Result<(), StoreError> {
        loop {
            let batches = self.next_batches().await?;
            // A shard whose iterator had to be taken again was not read.
            let all_read = self.discovered_at.is_some();
            if all_read && batches.iter().all(|b| b.records.is_empty()) {
                return Ok(());
            }
            for batch in batches {
                aggregator
                    .aggregate(&batch.shard, &batch.records, chrono::Utc::now())
                    .await?;
                self.done(batch);
            }
        }
    }
}

/// A record as `GetRecords` returns it.
fn record(r: &Record) -> StreamRecord {
    let image =
        |map: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| -> Item {
            serde_dynamo::Item::from(map.cloned().unwrap_or_default()).into()
        };
    let data = r.dynamodb();
    StreamRecord {
        event_name: r
            .event_name()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
        sequence: data
            .and_then(|d| d.sequence_number())
            .unwrap_or_default()
            .to_owned(),
        keys: image(data.and_then(|d| d.keys.as_ref())),
        old: image(data.and_then(|d| d.old_image.as_ref())),
        new: image(data.and_then(|d| d.new_image.as_ref())),
        identity: r
            .user_identity()
            .and_then(|u| u.r#type().zip(u.principal_id()))
            .map(|(kind, who)| (kind.to_owned(), who.to_owned())),
    }
}
