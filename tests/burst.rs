//! Bursts of customers on the local server on DynamoDB Local, straight or
//! through the contention proxy (`tests/tools/ddb-contention-proxy`): what
//! `tests/contention.rs` checks on every run and `tests/bench/contention.sh`
//! measures.

use crate::{Server, dynamo_store_at, dynamodb_endpoint, percentile};
use futures::StreamExt;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the customers answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Each customer their own invitation, made in batches beforehand.
    Invitations,
    /// Every customer through one reusable link (one QR code at a counter,
    /// a different address each).
    Link,
}

#[derive(Debug, Clone)]
pub struct Burst {
    /// Customers: invitations made (and answered), or answers through the
    /// link.
    pub customers: usize,
    /// Invitations per `POST /v1/invitations` (unused for a link).
    pub batch: usize,
    /// Customers answering at once.
    pub at_once: usize,
    pub target: Target,
}

/// How the server reaches DynamoDB Local.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Straight,
    /// Through the contention proxy.
    Proxy,
    /// Through the proxy with no hold and no limit: what the proxy itself
    /// costs, with nothing to contend for.
    PassThrough,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Straight => "straight",
            Via::Proxy => "through the proxy",
            Via::PassThrough => "through the proxy, passing through",
        }
    }
}

/// How a burst went.
pub struct Outcome {
    /// Making the invitations (none for a link).
    pub inviting: Duration,
    /// The customers' answers, first sent to last answered.
    pub answering: Duration,
    /// Each answer's time, sorted.
    pub latencies: Vec<Duration>,
    /// Answers that were not 2xx: status and body.
    pub refused: Vec<(u16, String)>,
    /// `summary` of `GET /v1/scores` for today once the burst is over.
    pub summary: Value,
    /// DynamoDB requests the server sent while the customers answered
    /// (its stream worker's included), per answer.
    pub requests_per_answer: f64,
    /// The proxy's counts, when it was in front (one JSON object).
    pub proxy: Option<Value>,
}

/// The contention proxy, on a free loopback port, in front of `target`.
pub struct Proxy {
    child: Child,
    pub endpoint: String,
}

impl Proxy {
    /// With `env` (`HOLD_MS`, `WCU_PER_KEY`, see its header).
    pub fn start(target: &str, env: &[(&str, &str)]) -> Proxy {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/ddb-contention-proxy");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(target)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the proxy");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Proxy {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Stops it; it prints its counts (one short line) as it goes.
    pub fn stop(mut self) -> Value {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let _ = self.child.wait();
        let mut counts = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            let _ = std::io::Read::read_to_string(&mut out, &mut counts);
        }
        serde_json::from_str(&counts).unwrap_or(Value::Null)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Outcome {
    pub fn ratings_per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.answering.as_secs_f64()
    }

    /// Answer times in milliseconds, at fraction `p`.
    fn percentile(&self, p: f64) -> f64 {
        let millis: Vec<f64> = self
            .latencies
            .iter()
            .map(|l| l.as_secs_f64() * 1000.0)
            .collect();
        percentile(&millis, p)
    }

    /// Every invitation made, every answer taken, each counted once.
    pub fn assert_every_one_counted_once(&self, burst: &Burst) {
        assert!(
            self.refused.is_empty(),
            "{} of {} answers refused: {:?}",
            self.refused.len(),
            burst.customers,
            &self.refused[..self.refused.len().min(3)]
        );
        let n = burst.customers as u64;
        let s = &self.summary;
        assert_eq!(
            (
                s["responses"].as_u64(),
                s["csat"]["count"].as_u64(),
                s["flagged"].as_u64()
            ),
            (Some(n), Some(n), Some(0)),
            "{s}"
        );
        let invited = match burst.target {
            Target::Invitations => n,
            Target::Link => 0,
        };
        assert_eq!(
            (s["invitations"].as_u64(), s["answered"].as_u64()),
            (Some(invited), Some(invited)),
            "{s}"
        );
    }

    /// A row of the benchmark's table.
    pub fn row(&self, burst: &Burst, via: Via) -> String {
        let dynamodb = via.name();
        let proxy = self.proxy.as_ref().map_or("–".to_owned(), |p| {
            format!(
                "{} of {} transactions cancelled, {} throttled",
                p["conflicts"].as_u64().unwrap_or(0),
                p["transactions"].as_u64().unwrap_or(0),
                p["throttled"].as_u64().unwrap_or(0)
            )
        });
        let what = match burst.target {
            Target::Invitations => format!(
                "{} invitations in batches of {}, then {} customers at once",
                burst.customers, burst.batch, burst.at_once
            ),
            Target::Link => format!(
                "{} customers through one link, {} at once",
                burst.customers, burst.at_once
            ),
        };
        format!(
            "| {what} | {dynamodb} | {:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {proxy} |",
            self.inviting.as_secs_f64(),
            self.ratings_per_second(),
            self.requests_per_answer,
            self.percentile(0.5),
            self.percentile(0.99),
            self.refused.len(),
        )
    }
}

/// Runs `burst` on a new table, straight to DynamoDB Local or through a
/// proxy of its own.
pub async fn run(burst: &Burst, via: Via) -> Outcome {
    let proxy = match via {
        Via::Straight => None,
        Via::Proxy => Some(Proxy::start(&dynamodb_endpoint(), &[])),
        Via::PassThrough => Some(Proxy::start(
            &dynamodb_endpoint(),
            &[("HOLD_MS", "0"), ("WCU_PER_KEY", "1e12")],
        )),
    };
    let endpoint = proxy
        .as_ref()
        .map_or_else(dynamodb_endpoint, |p| p.endpoint.clone());
    let store = dynamo_store_at(&endpoint).await;
    let meter = store.clone();
    let s = Server::on_dynamo(store).await;
    let started = Instant::now();
    let codes = match burst.target {
        Target::Invitations => invite(&s, burst).await,
        Target::Link => vec![link(&s).await; burst.customers],
    };
    let inviting = started.elapsed();
    let started = Instant::now();
    let requests_before = meter.requests_sent();
    let answers = futures::stream::iter(codes.iter().enumerate())
        .map(|(i, code)| answer(&s, i, code))
        .buffer_unordered(burst.at_once);
    let answers: Vec<(Duration, u16, String)> = answers.collect().await;
    let answering = started.elapsed();
    let requests_per_answer =
        (meter.requests_sent() - requests_before) as f64 / burst.customers as f64;
    let mut latencies: Vec<Duration> = answers.iter().map(|a| a.0).collect();
    latencies.sort();
    let refused = answers
        .into_iter()
        .filter(|a| !(200..300).contains(&a.1))
        .map(|a| (a.1, a.2))
        .collect();
    Outcome {
        inviting,
        answering,
        latencies,
        refused,
        summary: s.recent_summary().await,
        requests_per_answer,
        proxy: proxy.map(Proxy::stop),
    }
}

/// The invitations, in batches, each made once; their codes.
async fn invite(s: &Server, burst: &Burst) -> Vec<String> {
    let mut codes = Vec::with_capacity(burst.customers);
    let orders: Vec<usize> = (0..burst.customers).collect();
    for batch in orders.chunks(burst.batch) {
        let invitations: Vec<Value> = batch
            .iter()
            .map(|i| json!({"order_id": format!("BURST-{i}"), "channel": "sms"}))
            .collect();
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&s.admin),
                Some(json!({ "invitations": invitations })),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        for invitation in r.body["invitations"].as_array().expect("the batch") {
            codes.push(invitation["code"].as_str().expect("a code").to_owned());
        }
    }
    assert_eq!(codes.len(), burst.customers);
    codes
}

/// One reusable link at a counter; its code. Burst flags are set past the
/// burst, so every answer counts (bursts are what they flag).
async fn link(s: &Server) -> String {
    let r = s
        .call(
            "PUT",
            "/v1/settings",
            Some(&s.admin),
            Some(json!({"abuse": {"burst_per_link": 100000}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s
        .call(
            "POST",
            "/v1/links",
            Some(&s.admin),
            Some(json!({"channel": "in_store", "label": "Till 1"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["code"].as_str().expect("a code").to_owned()
}

/// Customer `i` answers `code` from an address of their own.
async fn answer(s: &Server, i: usize, code: &str) -> (Duration, u16, String) {
    let address = format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256);
    let key = format!("customer-{i}");
    let started = Instant::now();
    let r = s
        .send_with(
            "POST",
            &format!("/r/{code}"),
            None,
            &[("x-forwarded-for", &address), ("idempotency-key", &key)],
            "application/json",
            br#"{"score": 4}"#.to_vec(),
        )
        .await;
    (started.elapsed(), r.status, r.text)
}
