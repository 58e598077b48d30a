//! What the store costs: requests sent and the capacity units DynamoDB
//! reports for them, so tests and the cost benchmark measure rather than guess.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types::ConsumedCapacity;
use aws_smithy_runtime_api::box_error::BoxError;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Read and write capacity units consumed, as DynamoDB reported them
/// (request units on an on-demand table), and the write units DynamoDB
/// bills for them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Capacity {
    pub read: f64,
    pub write: f64,
    /// `write`, with each transaction billed at least 2 units per item (a
    /// condition check included), as DynamoDB bills an item up to 1 KB:
    /// DynamoDB Local's report of a transaction's units is not faithful
    /// (sometimes 2 per KB of each item written, sometimes less, and
    /// condition checks as nothing), so the larger of the two is taken.
    pub billed_write: f64,
}

impl std::ops::Sub for Capacity {
    type Output = Capacity;
    fn sub(self, other: Capacity) -> Capacity {
        Capacity {
            read: self.read - other.read,
            write: self.write - other.write,
            billed_write: self.billed_write - other.billed_write,
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
    /// Of `write`, what transactions reported.
    transaction_write: AtomicU64,
    /// What transactions are billed (see [`Capacity::billed_write`]).
    transaction_billed: AtomicU64,
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
        let units = |counter: &AtomicU64| counter.load(Ordering::Relaxed) as f64 / SCALE;
        let write = units(&self.write);
        Capacity {
            read: units(&self.read),
            write,
            billed_write: write - units(&self.transaction_write) + units(&self.transaction_billed),
        }
    }

    pub(crate) fn transaction_items(&self) -> u64 {
        self.transaction_items.load(Ordering::Relaxed)
    }

    /// Adds a committed transaction of `items` items and what it reported.
    pub(crate) fn add_transaction<'a>(
        &self,
        items: usize,
        reported: impl IntoIterator<Item = &'a ConsumedCapacity> + Clone,
    ) {
        self.add(Side::Write, reported.clone());
        let write: f64 = reported
            .into_iter()
            .map(|c| c.write_capacity_units.or(c.capacity_units).unwrap_or(0.0))
            .sum();
        self.transaction_write
            .fetch_add((write * SCALE).round() as u64, Ordering::Relaxed);
        let billed = write.max(2.0 * items as f64);
        self.transaction_billed
            .fetch_add((billed * SCALE).round() as u64, Ordering::Relaxed);
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
