//! What the store costs: requests sent and the capacity units DynamoDB
//! reports for them, so tests and the cost benchmark measure rather than guess.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types::ConsumedCapacity;
use aws_smithy_runtime_api::box_error::BoxError;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Read and write capacity units consumed, as DynamoDB reported them
/// (request units on an on-demand table).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Capacity {
    pub read: f64,
    pub write: f64,
}

impl std::ops::Sub for Capacity {
    type Output = Capacity;
    fn sub(self, other: Capacity) -> Capacity {
        Capacity {
            read: self.read - other.read,
            write: self.write - other.write,
        }
    }
}

/// Units are multiples of 0.5, so thousandths add up exactly.
const SCALE: f64 = 1000.0;

/// Counters shared by every clone of a store.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    requests: Arc<AtomicU64>,
    read: AtomicU64,
    write: AtomicU64,
    transaction_items: AtomicU64,
}

/// Which side of the bill an operation's units go to when DynamoDB reports
/// only their total.
#[derive(Clone, Copy)]
pub(crate) enum Side {
    Read,
    Write,
}

impl Meter {
    /// The interceptor that counts this meter's requests.
    pub(crate) fn request_counter(&self) -> RequestCounter {
        RequestCounter(Arc::clone(&self.requests))
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn capacity(&self) -> Capacity {
        Capacity {
            read: self.read.load(Ordering::Relaxed) as f64 / SCALE,
            write: self.write.load(Ordering::Relaxed) as f64 / SCALE,
        }
    }

    pub(crate) fn transaction_items(&self) -> u64 {
        self.transaction_items.load(Ordering::Relaxed)
    }

    pub(crate) fn add_transaction_items(&self, items: usize) {
        self.transaction_items
            .fetch_add(items as u64, Ordering::Relaxed);
    }

    /// Adds what one response reported (nothing, when it reported nothing).
    pub(crate) fn add<'a>(
        &self,
        side: Side,
        reported: impl IntoIterator<Item = &'a ConsumedCapacity>,
    ) {
        for c in reported {
            let (read, write) = match (c.read_capacity_units, c.write_capacity_units, side) {
                (None, None, Side::Read) => (c.capacity_units.unwrap_or(0.0), 0.0),
                (None, None, Side::Write) => (0.0, c.capacity_units.unwrap_or(0.0)),
                (read, write, _) => (read.unwrap_or(0.0), write.unwrap_or(0.0)),
            };
            self.read
                .fetch_add((read * SCALE).round() as u64, Ordering::Relaxed);
            self.write
                .fetch_add((write * SCALE).round() as u64, Ordering::Relaxed);
        }
    }
}

/// Counts the HTTP requests the client sends, retries included.
#[derive(Debug)]
pub(crate) struct RequestCounter(Arc<AtomicU64>);

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
