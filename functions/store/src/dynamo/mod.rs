//! `DynamoStore`: one DynamoDB table per tenant, on-demand.
//!
//! A write touches only its own items: the conditional put of the record
//! (`attribute_not_exists` or a revision check), in one transaction with
//! what must change with it (quotas, the follow-up) when there is any. No
//! write touches a shared item but a capped link's daily count, so
//! concurrent customers never cancel each other's transactions. The
//! rollups are a view of the table's stream, kept by the aggregator
//! ([`aggregate`]). Each transaction attempt carries a client request
//! token, so the SDK's own retries of one that did commit answer success
//! instead of applying it twice.

mod aggregate;
mod api_keys;
mod calls;
mod config;
mod erasure;
mod follow_ups;
mod http_client;
mod invitations;
pub mod keys;
mod limits;
mod links;
mod meter;
#[cfg(feature = "stream-reader")]
mod reader;
mod reps;
mod responses;
mod rollups;
mod sends;
mod settings;
mod stream;
mod table;
mod webhooks;

pub use aggregate::Aggregated;
pub use calls::{Call, CallLog};
use config::timeouts;
pub use config::{env_config, https_client, local_config};
pub use meter::Capacity;
use meter::{Meter, Side};
#[cfg(feature = "stream-reader")]
pub use reader::{ShardBatch, StreamReader};
pub use stream::{StreamRecord, read_record};
pub use table::{COUNTED_BY_STREAM, create_table};
use table::{GSI1, GSI1_PK, GSI1_SK, PK, SK};

use crate::cursor::{Cursor, Listed, instant_key, page, upper_bound};
use crate::{
    ContactRule, InvitationOutcome, Page, Recorded, ResponseFilter, Revocation, StoreError,
    is_active_admin,
};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, ConsumedCapacity, Put,
    ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update,
};
use aws_types::SdkConfig;
use chrono::{DateTime, NaiveDate, Utc};
use feedback_core::abuse::{Quota, Secret};
use feedback_core::submission::{self, Decision, SubmitRules, decide};
use feedback_core::{
    ApiKey, Code, FollowUp, Invitation, Rep, RepId, Response, Rollup, Settings, Slice,
};
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_item};
use std::collections::HashMap;
use std::sync::Arc;

/// How current a read must be.
#[derive(Clone, Copy)]
enum Read {
    /// Every write acknowledged before the read (strongly consistent).
    Latest,
    /// Usually every write, but may miss the last second of them, for half
    /// the read units (eventually consistent).
    Eventual,
}

/// A table item, as the SDK and the stream carry it.
pub type Item = HashMap<String, AttributeValue>;

/// Attempts at a transaction that keeps losing to concurrent writers of the
/// same items before the caller gets [`StoreError::Conflict`].
const MAX_ATTEMPTS: u32 = 12;
/// Query pages one list request may read before it returns what it found
/// with a cursor, so a very selective filter cannot make one request unbounded.
const MAX_LIST_PAGES: usize = 10;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    config: SdkConfig,
    table: Arc<str>,
    meter: Arc<Meter>,
    expiries: Arc<invitations::Expiries>,
}

/// Maps an SDK error: throttling, server-side faults and network trouble are
/// `Unavailable` (retry later; nothing was stored); the rest is `Internal`.
pub(crate) fn sdk_error<E, R>(error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(e) => matches!(
            e.err().code(),
            Some(
                "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
                    | "TransactionInProgressException"
            )
        ),
        _ => false,
    };
    let text = DisplayErrorContext(&error).to_string();
    if transient {
        StoreError::unavailable(text)
    } else {
        StoreError::Internal(text)
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The attribute by which an item names an invitation: the invitation's
/// own, an order's claim, a contact's throttle.
const CODE: &str = "code";

/// The invitation code `item` names; `what` the item is, for the error.
fn code_of(item: &Item, what: &str) -> Result<Code, StoreError> {
    item.get(CODE)
        .and_then(|v| v.as_s().ok())
        .and_then(|c| Code::parse(CODE, c).ok())
        .ok_or_else(|| StoreError::internal(format!("{what} without its code")))
}

fn decode<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    from_item(item).map_err(|e| StoreError::internal(format!("corrupt stored item: {e}")))
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Item, StoreError> {
    to_item(value).map_err(StoreError::internal)
}

fn invitation_item(invitation: &Invitation) -> Result<Item, StoreError> {
    let mut item = encode(invitation)?;
    let (pk, sk) = keys::invitation(&invitation.code);
    item.insert(PK.into(), s(pk));
    item.insert(SK.into(), s(sk));
    erasure::customer_keys(invitation, &mut item);
    sends::queue(invitation, &mut item);
    item.insert(COUNTED_BY_STREAM.into(), AttributeValue::Bool(true));
    Ok(item)
}

fn response_item(response: &Response) -> Result<Item, StoreError> {
    let mut item = encode(response)?;
    let (pk, sk) = keys::response(&response.code, &response.id);
    item.insert(PK.into(), s(pk));
    item.insert(SK.into(), s(sk));
    item.insert(GSI1_PK.into(), s(keys::RESPONSES));
    item.insert(GSI1_SK.into(), s(response.sort_key()));
    item.insert(COUNTED_BY_STREAM.into(), AttributeValue::Bool(true));
    Ok(item)
}

/// Why each part of a cancelled transaction failed ("None" where it did not).
struct Cancelled(Vec<CancellationReason>);

impl Cancelled {
    fn failed(&self, index: usize) -> Option<&CancellationReason> {
        self.0
            .get(index)
            .filter(|r| r.code() == Some("ConditionalCheckFailed"))
    }

    /// The item as it was, when the condition of part `index` failed and
    /// DynamoDB handed it back (`ReturnValuesOnConditionCheckFailure`).
    fn old_item(&self, index: usize) -> Option<Item> {
        self.failed(index).and_then(|r| r.item().cloned())
    }
}

impl DynamoStore {
    /// A store on `table` using the given SDK configuration.
    pub fn new(config: &SdkConfig, table: &str) -> Self {
        Self::build(config, table, None)
    }

    /// A store that records each call it makes into `log` (by IAM action
    /// and leading key), for holding a function to its IAM policy.
    pub fn recording(config: &SdkConfig, table: &str, log: &CallLog) -> Self {
        Self::build(config, table, Some(log))
    }

    fn build(config: &SdkConfig, table: &str, log: Option<&CallLog>) -> Self {
        let meter = Arc::new(Meter::default());
        let mut builder = aws_sdk_dynamodb::config::Builder::from(config);
        if let Some(log) = log {
            builder = builder.interceptor(log.interceptor());
        }
        let dynamo_config = builder
            .interceptor(meter.request_counter())
            .timeout_config(
                // A caller that chose its own deadline keeps it.
                config
                    .timeout_config()
                    .filter(|t| t.operation_timeout().is_some())
                    .cloned()
                    .unwrap_or_else(timeouts),
            )
            .build();
        DynamoStore {
            client: Client::from_conf(dynamo_config),
            config: config.clone(),
            table: table.into(),
            meter,
            expiries: Arc::default(),
        }
    }

    /// A store configured from the environment: `DYNAMODB_TABLE` (default
    /// `feedback`), `DYNAMODB_ENDPOINT` for DynamoDB Local, and the region
    /// and credentials a Lambda function's environment holds
    /// ([`env_config`]).
    pub fn from_env() -> Result<Self, StoreError> {
        let table = std::env::var("DYNAMODB_TABLE").unwrap_or_else(|_| "feedback".to_owned());
        let endpoint = std::env::var("DYNAMODB_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty());
        Ok(Self::new(&env_config(endpoint.as_deref())?, &table))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The SDK configuration, for other clients of the same account and
    /// endpoint (the local server reads the table's stream with it).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    /// The ARN of the table's current stream, if it has one.
    pub async fn stream_arn(&self) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .describe_table()
            .table_name(&*self.table)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.table.and_then(|t| t.latest_stream_arn))
    }

    /// Creates this store's table if it does not exist (see [`create_table`]).
    pub async fn create_table(&self) -> Result<(), StoreError> {
        create_table(&self.client, &self.table).await
    }

    /// HTTP requests sent to DynamoDB so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.meter.requests()
    }

    /// Items written by committed transactions so far: on DynamoDB each costs
    /// two write units per KB, which DynamoDB Local does not report faithfully.
    pub fn transaction_items(&self) -> u64 {
        self.meter.transaction_items()
    }

    /// Capacity units DynamoDB reported for this store's requests so far
    /// (conditional writes that failed report none).
    pub fn capacity_used(&self) -> Capacity {
        self.meter.capacity()
    }

    fn put(&self, item: Item, condition: &str) -> Put {
        // Build can only fail without table or item, both set here.
        Put::builder()
            .table_name(&*self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .expect("table and item are set")
    }

    /// Runs one transaction. Losing a race to another transaction on the same
    /// items (`TransactionConflict`) is retried with jittered backoff and a
    /// fresh token; a failed condition is handed back for the caller to read.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Cancelled>, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(uuid::Uuid::new_v4().to_string())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            let error = match sent {
                Ok(out) => {
                    self.meter
                        .add_transaction(items.len(), out.consumed_capacity());
                    return Ok(Ok(()));
                }
                Err(error) => error,
            };
            let reasons = match error.as_service_error() {
                Some(e) if e.is_transaction_canceled_exception() => match e {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => {
                        c.cancellation_reasons().to_vec()
                    }
                    _ => unreachable!("checked above"),
                },
                _ => return Err(sdk_error(error)),
            };
            let codes: Vec<&str> = reasons.iter().map(|r| r.code().unwrap_or("None")).collect();
            if codes.contains(&"ConditionalCheckFailed") {
                return Ok(Err(Cancelled(reasons)));
            }
            if codes
                .iter()
                .any(|c| !matches!(*c, "None" | "TransactionConflict"))
            {
                return Err(StoreError::unavailable(format!(
                    "transaction cancelled: {codes:?}"
                )));
            }
            let cap_ms = 10u64 << attempt.min(6);
            tokio::time::sleep(std::time::Duration::from_millis(fastrand::u64(1..=cap_ms))).await;
        }
        Err(StoreError::Conflict(format!(
            "still conflicting after {MAX_ATTEMPTS} attempts"
        )))
    }

    /// Whether a single-item conditional write landed (false when its
    /// condition did not hold), metering what it consumed.
    pub(crate) fn landed<O, E, R>(
        &self,
        sent: Result<O, SdkError<E, R>>,
        condition_failed: fn(&E) -> bool,
        consumed: fn(&O) -> Option<&ConsumedCapacity>,
    ) -> Result<bool, StoreError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match sent {
            Ok(out) => {
                self.meter.add(Side::Write, consumed(&out));
                Ok(true)
            }
            Err(e) if e.as_service_error().is_some_and(condition_failed) => Ok(false),
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn get(&self, pk: String, sk: String) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&*self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(sdk_error)?;
        self.meter.add(Side::Read, out.consumed_capacity());
        Ok(out.item)
    }

    /// Every item `query` finds, page after page, metered.
    pub(super) async fn all_pages(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = query
                .clone()
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            self.meter.add(Side::Read, out.consumed_capacity());
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every item of partition `pk`, or of its sort keys in `from..=to`.
    async fn query_all(
        &self,
        pk: String,
        range: Option<(String, String)>,
    ) -> Result<Vec<Item>, StoreError> {
        self.query_partition(pk, range, Read::Latest).await
    }

    /// [`Self::query_all`], read as `read` says.
    async fn query_partition(
        &self,
        pk: String,
        range: Option<(String, String)>,
        read: Read,
    ) -> Result<Vec<Item>, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&*self.table)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(matches!(read, Read::Latest))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        query = match range {
            None => query.key_condition_expression("#pk = :pk"),
            Some((from, to)) => query
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":from", s(from))
                .expression_attribute_values(":to", s(to)),
        };
        self.all_pages(query).await
    }

    async fn delete(&self, pk: String, sk: String) -> Result<(), StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&*self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(sdk_error)?;
        self.meter.add(Side::Write, out.consumed_capacity());
        Ok(())
    }

    /// Sends a conditional `PutItem`: `None` when it landed, otherwise the
    /// item that failed the condition (empty when there was none).
    async fn put_unless_refused(
        &self,
        put: aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder,
    ) -> Result<Option<Item>, StoreError> {
        use aws_sdk_dynamodb::operation::put_item::PutItemError;
        let sent = put
            .table_name(&*self.table)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match sent {
            Ok(out) => {
                self.meter.add(Side::Write, out.consumed_capacity());
                Ok(None)
            }
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    Ok(Some(failed.item.clone().unwrap_or_default()))
                }
                _ => Err(sdk_error(e)),
            },
        }
    }

    /// Puts `item` unless its key is taken: `None` when it landed, otherwise
    /// the item stored under the key.
    async fn put_new(&self, item: Item) -> Result<Option<Item>, StoreError> {
        let put = self
            .client
            .put_item()
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)");
        self.put_unless_refused(put).await
    }

    /// The first `limit` items `query` finds: one page.
    async fn first_items(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let out = query
            .table_name(&*self.table)
            .limit(limit.clamp(1, crate::MAX_PAGE) as i32)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(sdk_error)?;
        self.meter.add(Side::Read, out.consumed_capacity());
        Ok(out.items.unwrap_or_default())
    }

    /// The entries of `queue`, a sparse queue in `gsi2` sorted by time,
    /// whose time is up to `at`, soonest first.
    fn due_query(
        &self,
        queue: &str,
        at: DateTime<Utc>,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        // `$` sorts right after `#`: every key of an instant up to `at`.
        self.client
            .query()
            .index_name(table::GSI2)
            .key_condition_expression("#pk = :pk AND #sk < :hi")
            .expression_attribute_names("#pk", table::GSI2_PK)
            .expression_attribute_names("#sk", table::GSI2_SK)
            .expression_attribute_values(":pk", s(queue))
            .expression_attribute_values(":hi", s(format!("{}$", instant_key(at))))
    }

    async fn put_item(&self, item: Item) -> Result<(), StoreError> {
        let out = self
            .client
            .put_item()
            .table_name(&*self.table)
            .set_item(Some(item))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(sdk_error)?;
        self.meter.add(Side::Write, out.consumed_capacity());
        Ok(())
    }

    /// One page of a newest-first listing through an index: reads query
    /// pages until `limit` items pass the filter (plus one, to know there is
    /// more) or [`MAX_LIST_PAGES`] were read.
    async fn list_index<T: serde::de::DeserializeOwned + Listed>(
        &self,
        query: IndexQuery,
        limit: usize,
    ) -> Result<Page<T>, StoreError> {
        let limit = limit.clamp(1, crate::MAX_PAGE);
        let (lower, upper) = (&query.lower, &query.upper);
        let key_condition = match (lower, upper) {
            (Some(_), Some(_)) => "#gpk = :gpk AND #gsk BETWEEN :lo AND :hi",
            (Some(_), None) => "#gpk = :gpk AND #gsk >= :lo",
            (None, Some(_)) => "#gpk = :gpk AND #gsk < :hi",
            (None, None) => "#gpk = :gpk",
        };
        let mut names = query.names.clone();
        let mut values = query.values.clone();
        names.insert("#gpk".into(), query.pk_attr.into());
        values.insert(":gpk".into(), s(query.pk));
        if lower.is_some() || upper.is_some() {
            names.insert("#gsk".into(), query.sk_attr.into());
        }
        if let Some(lo) = lower {
            values.insert(":lo".into(), s(lo.clone()));
        }
        if let Some(hi) = upper {
            values.insert(":hi".into(), s(hi.clone()));
        }
        let mut found = Vec::with_capacity(limit + 1);
        let mut start = None;
        for _ in 0..MAX_LIST_PAGES {
            let out = self
                .client
                .query()
                .table_name(&*self.table)
                .index_name(query.index)
                .key_condition_expression(key_condition)
                .set_filter_expression(query.filter.clone())
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(query.forward)
                .limit(((limit as i32 + 1) * 2).clamp(50, 1000))
                .set_exclusive_start_key(start)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(sdk_error)?;
            self.meter.add(Side::Read, out.consumed_capacity());
            for item in out.items.unwrap_or_default() {
                // BETWEEN includes its upper end, which is excluded here.
                let key = item.get(query.sk_attr).and_then(|v| v.as_s().ok());
                if upper.is_none() || key != upper.as_ref() {
                    found.push(decode::<T>(item)?);
                }
            }
            start = out.last_evaluated_key;
            if found.len() > limit || start.is_none() {
                return Ok(page(found, limit));
            }
        }
        // Read as much as one request may: return what was found, and a
        // cursor at the last key read so the client can go on.
        let resume = start
            .as_ref()
            .and_then(|k| k.get(query.sk_attr))
            .and_then(|v| v.as_s().ok())
            .cloned()
            .map(Cursor::from_key);
        let mut result = page(found, limit);
        if result.next.is_none() {
            result.next = resume;
        }
        Ok(result)
    }

    /// The transaction that replaces `stored` by `next` while `condition`
    /// holds (`#rev` is the stored revision), with the follow-up and rollup
    /// moves of `effects` (the follow-up was `follow_up` before).
    fn replacement(
        &self,
        stored: &Response,
        next: &Response,
        condition: &str,
        effects: &submission::Effects,
        follow_up: Option<&FollowUp>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        // An erasure removes the comment without a new revision (it is no
        // news to receivers): the comment's presence is part of what was
        // read, so a release or edit racing an erasure re-reads instead of
        // writing the erased comment back.
        let comment = match stored.comment {
            Some(_) => "attribute_exists(#comment)",
            None => "attribute_not_exists(#comment)",
        };
        let put = Put::builder()
            .table_name(&*self.table)
            .set_item(Some(response_item(next)?))
            .condition_expression(format!("({condition}) AND {comment}"))
            .expression_attribute_names("#rev", "revision")
            .expression_attribute_names("#comment", "comment")
            .expression_attribute_values(":rev", n(stored.revision))
            .build()
            .map_err(StoreError::internal)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if let Some(moved) = &effects.follow_up {
            items.push(self.follow_up_put(follow_up, moved)?);
        }
        Ok(items)
    }

    async fn existing_response(
        &self,
        code: &Code,
        id: &str,
    ) -> Result<Option<Response>, StoreError> {
        let (pk, sk) = keys::response(code, id);
        self.get(pk, sk).await?.map(decode).transpose()
    }
}

impl DynamoStore {
    /// Sets a key's `revoked_at` if it is not set: an update, so a
    /// concurrent `last_used_at` write is kept.
    fn revoke_update(
        &self,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&*self.table)
            .key(PK, s(keys::KEYS))
            .key(SK, s(hash))
            .update_expression("SET #revoked = :at")
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#revoked)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#revoked", "revoked_at")
            .expression_attribute_values(
                ":at",
                serde_dynamo::to_attribute_value(at).map_err(StoreError::internal)?,
            )
            .build()
            .map_err(StoreError::internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

fn key_item(key: &ApiKey) -> Result<Item, StoreError> {
    let mut item = encode(key)?;
    item.insert(PK.into(), s(keys::KEYS));
    item.insert(SK.into(), s(key.hash.clone()));
    Ok(item)
}

/// A listing through an index: partition, sort key bounds and filter.
struct IndexQuery {
    index: &'static str,
    pk_attr: &'static str,
    sk_attr: &'static str,
    pk: &'static str,
    /// Inclusive lower sort key.
    lower: Option<String>,
    /// Exclusive upper sort key.
    upper: Option<String>,
    /// Ascending (oldest first) rather than descending.
    forward: bool,
    filter: Option<String>,
    names: HashMap<String, String>,
    values: Item,
}

/// A filter expression being built: its terms, names and values.
#[derive(Default)]
struct FilterTerms {
    terms: Vec<String>,
    names: HashMap<String, String>,
    values: Item,
}

impl FilterTerms {
    /// Requires attribute `attr` to equal `value`, when there is one.
    fn equal(&mut self, attr: &str, value: Option<String>) {
        if let Some(value) = value {
            let i = self.names.len();
            self.terms.push(format!("#f{i} = :f{i}"));
            self.names.insert(format!("#f{i}"), attr.to_owned());
            self.values.insert(format!(":f{i}"), s(value));
        }
    }

    /// Requires the item to credit `rep`: as its first rep, or in the list
    /// of the others.
    fn credits(&mut self, rep: Option<&RepId>) {
        if let Some(rep) = rep {
            let i = self.names.len();
            self.terms
                .push(format!("(#f{i} = :f{i} OR contains(#f{}, :f{i}))", i + 1));
            self.names.insert(format!("#f{i}"), "rep_id".to_owned());
            self.names
                .insert(format!("#f{}", i + 1), "also_rep_ids".to_owned());
            self.values.insert(format!(":f{i}"), s(rep.to_string()));
        }
    }

    /// Requires attribute `attr` to be there (`true`) or not (`false`),
    /// when asked.
    fn present(&mut self, attr: &str, wanted: Option<bool>) {
        if let Some(wanted) = wanted {
            let name = format!("#{attr}");
            let test = if wanted {
                "attribute_exists"
            } else {
                "attribute_not_exists"
            };
            self.terms.push(format!("{test}({name})"));
            self.names.insert(name, attr.to_owned());
        }
    }

    fn expression(&self) -> Option<String> {
        (!self.terms.is_empty()).then(|| self.terms.join(" AND "))
    }
}

/// The response filter as DynamoDB filter terms.
fn filter_terms(filter: &ResponseFilter) -> FilterTerms {
    let mut t = FilterTerms::default();
    t.credits(filter.rep_id.as_ref());
    t.equal("channel", filter.channel.map(|c| c.as_str().to_owned()));
    t.equal(
        "location",
        filter.location.as_ref().map(ToString::to_string),
    );
    t.equal("survey", filter.survey.map(|k| k.as_str().to_owned()));
    if filter.min_score.is_some() || filter.max_score.is_some() {
        t.names.insert("#score".into(), "score".into());
    }
    if let Some(min) = filter.min_score {
        t.terms.push("#score >= :min".into());
        t.values.insert(":min".into(), n(min));
    }
    if let Some(max) = filter.max_score {
        t.terms.push("#score <= :max".into());
        t.values.insert(":max".into(), n(max));
    }
    t.present("flagged", filter.flagged);
    t.present("comment", filter.has_comment);
    t
}
