//! A record of the DynamoDB calls a store makes, by IAM action and leading
//! key, so a test can hold them to the IAM policy a function runs under.
//! DynamoDB Local enforces no IAM: without this, a missing grant shows up
//! first in production as an AccessDenied.

use super::table::PK;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemInput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableInput;
use aws_sdk_dynamodb::operation::get_item::GetItemInput;
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::scan::ScanInput;
use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// One kind of call: the IAM action it needs, the index it reads (if any)
/// and the partition key it touches (`dynamodb:LeadingKeys`). A
/// transaction is recorded as its parts, which is how IAM checks it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Call {
    pub action: &'static str,
    pub index: Option<String>,
    pub leading_key: Option<String>,
}

/// The calls recorded so far, each kind once.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<BTreeSet<Call>>>);

impl CallLog {
    pub fn calls(&self) -> BTreeSet<Call> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn add(&self, calls: impl IntoIterator<Item = Call>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(calls);
    }

    pub(crate) fn interceptor(&self) -> Recorder {
        Recorder(self.clone())
    }
}

#[derive(Debug)]
pub(crate) struct Recorder(CallLog);

type Item = HashMap<String, AttributeValue>;

/// A key value as text (every key here is a string).
fn text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn leading(item: Option<&Item>) -> Option<String> {
    item?.get(PK).map(text)
}

fn call(action: &'static str, item: Option<&Item>) -> Call {
    Call {
        action,
        index: None,
        leading_key: leading(item),
    }
}

/// The value a query's key condition binds its partition key to: the
/// placeholder right of `=` in its first clause.
fn query_partition(input: &QueryInput) -> Option<String> {
    let condition = input.key_condition_expression()?;
    let first = condition.split(" AND ").next()?;
    let placeholder = first.split_once('=')?.1.trim();
    input
        .expression_attribute_values()?
        .get(placeholder)
        .map(text)
}

fn calls_of(input: &aws_smithy_runtime_api::client::interceptors::context::Input) -> Vec<Call> {
    if let Some(i) = input.downcast_ref::<GetItemInput>() {
        return vec![call("dynamodb:GetItem", i.key.as_ref())];
    }
    if let Some(i) = input.downcast_ref::<PutItemInput>() {
        return vec![call("dynamodb:PutItem", i.item.as_ref())];
    }
    if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
        return vec![call("dynamodb:UpdateItem", i.key.as_ref())];
    }
    if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
        return vec![call("dynamodb:DeleteItem", i.key.as_ref())];
    }
    if let Some(i) = input.downcast_ref::<QueryInput>() {
        return vec![Call {
            action: "dynamodb:Query",
            index: i.index_name.clone(),
            leading_key: query_partition(i),
        }];
    }
    if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
        return i
            .transact_items()
            .iter()
            .filter_map(|t| {
                if let Some(p) = t.put() {
                    Some(call("dynamodb:PutItem", Some(p.item())))
                } else if let Some(u) = t.update() {
                    Some(call("dynamodb:UpdateItem", Some(u.key())))
                } else if let Some(d) = t.delete() {
                    Some(call("dynamodb:DeleteItem", Some(d.key())))
                } else {
                    t.condition_check()
                        .map(|c| call("dynamodb:ConditionCheckItem", Some(c.key())))
                }
            })
            .collect();
    }
    if let Some(i) = input.downcast_ref::<TransactGetItemsInput>() {
        return i
            .transact_items()
            .iter()
            .filter_map(|t| t.get())
            .map(|g| call("dynamodb:GetItem", Some(g.key())))
            .collect();
    }
    if let Some(i) = input.downcast_ref::<BatchGetItemInput>() {
        return i
            .request_items()
            .into_iter()
            .flat_map(|items| items.values())
            .flat_map(|k| k.keys())
            .map(|key| call("dynamodb:BatchGetItem", Some(key)))
            .collect();
    }
    if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
        return i
            .request_items()
            .into_iter()
            .flat_map(|items| items.values())
            .flatten()
            .map(|w| {
                let key = w
                    .put_request()
                    .map(|p| p.item())
                    .or(w.delete_request().map(|d| d.key()));
                call("dynamodb:BatchWriteItem", key)
            })
            .collect();
    }
    if input.downcast_ref::<ScanInput>().is_some() {
        return vec![call("dynamodb:Scan", None)];
    }
    if input.downcast_ref::<DescribeTableInput>().is_some() {
        return vec![call("dynamodb:DescribeTable", None)];
    }
    // Anything else (table administration) is named by its type, so a
    // test sees it rather than missing it.
    vec![Call {
        action: "dynamodb:Unrecognised",
        index: None,
        leading_key: Some(format!("{input:?}").chars().take(60).collect()),
    }]
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "CallRecorder"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.add(calls_of(context.input()));
        Ok(())
    }
}
