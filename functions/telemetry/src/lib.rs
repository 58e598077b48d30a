//! The events an operator watches, as CloudWatch metrics: in a Lambda
//! function each is one line of embedded metric format (EMF) on stdout,
//! which CloudWatch Logs turns into a metric of namespace `Feedback`, with
//! the function and the tenant as dimensions, at no API call. Elsewhere
//! (the local server, tests) an event is a debug log line.
//!
//! Written here rather than with a metrics crate: the format is one JSON
//! object per event, and the crates for it bring a recorder, a flush task
//! and the `metrics` facade into every Lambda binary (see
//! docs/decisions/0007-emf-metrics.md).
//!
//! [`logs`] sets up a Lambda function's log lines.

pub mod logs;

use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// The namespace of every metric.
pub const NAMESPACE: &str = "Feedback";

/// An event worth a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A customer's first answer was stored and counted.
    RatingRecorded,
    /// A customer's answer was refused; the reason is the problem type
    /// (`expired`, `rate-limited`, `forbidden`, …).
    RatingRefused(&'static str),
    /// The store did not answer in time, or throttled.
    StoreUnavailable,
    /// A conditional write lost a race and was tried again.
    ConflictRetried,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::RatingRecorded => "RatingsRecorded",
            Metric::RatingRefused(_) => "RatingsRefused",
            Metric::StoreUnavailable => "StoreUnavailable",
            Metric::ConflictRetried => "ConflictsRetried",
        }
    }
}

/// Counts one `metric`.
pub fn count(metric: Metric) {
    match std::env::var("AWS_LAMBDA_FUNCTION_NAME") {
        Ok(function) => {
            let tenant = std::env::var("TENANT_ID").unwrap_or_default();
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            // EMF must be a line of its own, whatever the log format.
            println!("{}", line(metric, &function, &tenant, now));
        }
        Err(_) => {
            let reason = match metric {
                Metric::RatingRefused(reason) => reason,
                _ => "",
            };
            tracing::debug!(metric = metric.name(), reason, "metric");
        }
    }
}

/// The EMF document for one `metric` counted at `timestamp_ms`.
pub fn line(metric: Metric, function: &str, tenant: &str, timestamp_ms: u64) -> Value {
    let mut dimensions = vec!["Function", "Tenant"];
    let mut doc = json!({
        "Function": function,
        "Tenant": tenant,
        metric.name(): 1,
    });
    if let Metric::RatingRefused(reason) = metric {
        dimensions.push("Reason");
        doc["Reason"] = json!(reason);
    }
    doc["_aws"] = json!({
        "Timestamp": timestamp_ms,
        "CloudWatchMetrics": [{
            "Namespace": NAMESPACE,
            "Dimensions": [dimensions],
            "Metrics": [{"Name": metric.name(), "Unit": "Count"}],
        }],
    });
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document has what CloudWatch needs to extract the metric: the
    /// `_aws` metadata naming it, and each dimension and the value as
    /// top-level members.
    #[test]
    fn a_refusal_is_an_emf_count_with_its_reason() {
        let doc = line(
            Metric::RatingRefused("expired"),
            "feedback-acme-collect",
            "acme",
            1_795_000_000_000,
        );
        let meta = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(doc["_aws"]["Timestamp"], 1_795_000_000_000u64);
        assert_eq!(meta["Namespace"], "Feedback");
        assert_eq!(
            meta["Dimensions"],
            json!([["Function", "Tenant", "Reason"]])
        );
        assert_eq!(
            meta["Metrics"],
            json!([{"Name": "RatingsRefused", "Unit": "Count"}])
        );
        for dimension in ["Function", "Tenant", "Reason"] {
            assert!(doc[dimension].is_string(), "{dimension}");
        }
        assert_eq!(doc["RatingsRefused"], 1);
        let plain = line(Metric::ConflictRetried, "f", "t", 0);
        assert_eq!(
            plain["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function", "Tenant"]])
        );
        assert!(plain.get("Reason").is_none());
    }
}
