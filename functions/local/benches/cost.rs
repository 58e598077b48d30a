//! What a rating costs on AWS, measured: the DynamoDB request units each
//! function's request consumes (as DynamoDB reports them) and how long its
//! handler runs, request by request, through the same routers the Lambdas
//! serve. Needs `DYNAMODB_ENDPOINT` (tests/run.sh starts DynamoDB Local);
//! `cargo bench -p feedback-local --features dynamo --bench cost` prints
//! the table that BENCHMARKS.md and the README's cost section are built
//! from. Under `cargo test` it makes a short run and checks every request
//! was metered.

use async_trait::async_trait;
use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2CustomAuthorizerV2Request,
    ApiGatewayV2httpRequestContext,
};
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request};
use chrono::{Duration, Utc};
use feedback_app::sending::{Message, Messenger, NotSent};
use feedback_core::sending::{Media, Medium};
use feedback_core::{Rep, RepId, Scope};
use feedback_http::{AppState, AuthMode, CONTEXT_KEY_ID, CONTEXT_SCOPES, Function, Tenant, router};
use feedback_store::dynamo::{Capacity, StreamReader};
use feedback_store::{DynamoStore, RepStore};
use lambda_http::request::RequestContext;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

/// What the store had used at some moment.
struct Used {
    capacity: Capacity,
    transaction_items: u64,
}

fn used(store: &DynamoStore) -> Used {
    Used {
        capacity: store.capacity_used(),
        transaction_items: store.transaction_items(),
    }
}

/// One kind of request: what it consumed and how long each one took.
struct Sample {
    name: &'static str,
    function: &'static str,
    capacity: Capacity,
    transaction_items: u64,
    millis: Vec<f64>,
}

impl Sample {
    fn new(name: &'static str, function: &'static str) -> Self {
        Sample {
            name,
            function,
            capacity: Capacity::default(),
            transaction_items: 0,
            millis: Vec::new(),
        }
    }

    /// Adds one request that started at `started`, when the store had used
    /// `before`.
    fn record(&mut self, store: &DynamoStore, before: Used, started: Instant) {
        self.millis.push(started.elapsed().as_secs_f64() * 1000.0);
        let now = used(store);
        let capacity = now.capacity - before.capacity;
        self.capacity.read += capacity.read;
        self.capacity.write += capacity.write;
        self.capacity.billed_write += capacity.billed_write;
        self.transaction_items += now.transaction_items - before.transaction_items;
    }

    /// Spreads the one recorded run over `n` rounds, for a per-round row.
    fn per(&mut self, n: usize) {
        let total = self.millis.iter().sum::<f64>();
        self.millis = vec![total / n as f64; n];
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.millis.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[((sorted.len() - 1) as f64 * p).round() as usize]
    }

    fn row(&self) -> String {
        let n = self.millis.len() as f64;
        format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} |",
            self.name,
            self.function,
            self.capacity.read / n,
            self.capacity.write / n,
            self.capacity.billed_write / n,
            self.transaction_items as f64 / n,
            self.percentile(0.5),
            self.percentile(0.9)
        )
    }
}

struct Bench {
    store: Arc<DynamoStore>,
    tenant: Tenant,
    /// One state for every call, as a warm Lambda process keeps one (its
    /// settings and the tenant's secret are read once per process).
    state: AppState,
}

impl Bench {
    /// Sends one request from `client` to `function`'s router, as API
    /// Gateway would after the authorizer let an admin key through, and
    /// records it in `sample`.
    async fn call(
        &self,
        client: &str,
        sample: &mut Sample,
        function: Function,
        method: Method,
        uri: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("a valid request");
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer
            .fields
            .insert(CONTEXT_KEY_ID.into(), json!("bench"));
        authorizer
            .fields
            .insert(CONTEXT_SCOPES.into(), json!(Scope::Admin.as_str()));
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.authorizer = Some(authorizer);
        context.http.source_ip = Some(client.to_owned());
        request
            .extensions_mut()
            .insert(RequestContext::ApiGatewayV2(context));
        let app = router(&[function], self.state.clone());
        let before = used(&self.store);
        let started = Instant::now();
        let response = app.oneshot(request).await.expect("routers are infallible");
        let status = response.status().as_u16();
        let bytes = to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("a readable body");
        sample.record(&self.store, before, started);
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Makes the invitation `body` from `client`, as the business would;
    /// its code.
    async fn invite(&self, client: &str, sample: &mut Sample, body: Value) -> String {
        let (status, created) = self
            .call(
                client,
                sample,
                Function::Manage,
                Method::POST,
                "/v1/invitations",
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        created["code"].as_str().expect("a code").to_owned()
    }

    /// Changes the tenant's settings by `patch`, as the business would.
    async fn set(&self, sample: &mut Sample, patch: Value) {
        let (status, answer) = self
            .call(
                "203.0.113.1",
                sample,
                Function::Manage,
                Method::PUT,
                "/v1/settings",
                Some(patch),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
    }

    /// One uncached authorizer call for an admin key.
    async fn authorize(&self, sample: &mut Sample, secret: &str) {
        let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
        event.headers.insert(
            "authorization",
            format!("Bearer {secret}").parse().expect("a header value"),
        );
        let before = used(&self.store);
        let started = Instant::now();
        let answer = feedback_authorizer::authorize(self.store.as_ref(), &event)
            .await
            .expect("the authorizer answers");
        sample.record(&self.store, before, started);
        assert!(answer.is_authorized, "a live key is authorized");
    }
}

/// A provider that takes every message: SES's and SNS's own prices are
/// per message and outside DynamoDB's units, and AWS cannot be reached
/// from here; what is measured is the send function's DynamoDB work.
struct TakesEverything;

#[async_trait]
impl Messenger for TakesEverything {
    fn sends(&self, _: Medium) -> bool {
        true
    }

    async fn send(&self, _: &Message) -> Result<(), NotSent> {
        Ok(())
    }
}

/// Sweeps as the send function does at `now` until nothing more is due,
/// recorded in `sample` as one run; how many messages went.
async fn sweep_all(bench: &Bench, sample: &mut Sample, now: chrono::DateTime<Utc>) -> usize {
    let before = used(&bench.store);
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let swept =
            feedback_send::sweep(bench.store.as_ref(), &TakesEverything, &bench.tenant, now)
                .await
                .expect("a sweep");
        sent += swept.sent;
        if swept.sent + swept.not_sent + swept.cancelled == 0 {
            break;
        }
    }
    sample.record(&bench.store, before, started);
    sent
}

/// A plain SDK client for DynamoDB Local, for what the store does not do.
fn client() -> aws_sdk_dynamodb::Client {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect("checked in main");
    aws_sdk_dynamodb::Client::new(&feedback_store::dynamo::local_config(&endpoint))
}

/// The table's size in bytes as DynamoDB reports it (with its indexes).
async fn table_size(table: &str) -> i64 {
    let described = client()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe the table");
    let table = described.table.expect("a table description");
    let indexes: i64 = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_size_bytes)
        .sum();
    table.table_size_bytes.unwrap_or(0) + indexes
}

fn tenant() -> Tenant {
    Tenant {
        id: "bench".into(),
        name: "Bench".into(),
        zone: feedback_core::time::TenantZone::parse("tz", "Asia/Karachi").expect("a zone"),
        base_url: "https://feedback.bench.example".into(),
        default_locale: None,
        trust_forwarded_for: false,
    }
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    if std::env::var_os("DYNAMODB_ENDPOINT").is_none() {
        eprintln!("cost: set DYNAMODB_ENDPOINT to a DynamoDB Local (tests/run.sh starts one)");
        std::process::exit(if full { 2 } else { 0 });
    }
    let table = format!("cost-{}", Utc::now().timestamp_micros());
    // SAFETY: set before any other thread reads the environment.
    unsafe { std::env::set_var("DYNAMODB_TABLE", &table) };
    let store = Arc::new(DynamoStore::from_env().expect("DYNAMODB_ENDPOINT is set"));
    store.create_table().await.expect("create the table");
    let bench = Bench {
        store: store.clone(),
        tenant: tenant(),
        state: AppState::new(store.clone(), tenant(), AuthMode::Gateway).with_media(Media {
            email: true,
            sms: true,
        }),
    };
    // The aggregator's view of the stream, read on from where it stops.
    let mut stream = StreamReader::new(&store);
    if full {
        // 90 days of a small shop, so the scores request reads real rollups.
        feedback_local::demo::load(store.as_ref(), &bench.tenant)
            .await
            .expect("load the demo");
        stream.catch_up(&store).await.expect("the demo's rollups");
    } else {
        let rep = Rep {
            id: RepId::parse("rep_id", "ayesha").expect("valid"),
            display_name: "Ayesha Khan".into(),
            team: None,
            active: true,
            archived_at: None,
        };
        store.put_rep(&rep).await.expect("store a rep");
    }
    let (_, secret) =
        feedback_app::keys::create(store.as_ref(), vec![Scope::Admin], None, chrono::Utc::now())
            .await
            .expect("create a key");

    let rounds = if full { 200 } else { 3 };
    let size_before = table_size(&table).await;
    let mut invite = Sample::new("POST /v1/invitations", "manage");
    let mut page = Sample::new("GET /r/{code}", "collect");
    let mut rate = Sample::new("POST /r/{code} (new rating)", "collect");
    let mut edit = Sample::new("POST /r/{code} (changed rating)", "collect");
    let mut scores = Sample::new("GET /v1/scores (365 days, weekly)", "scores");
    let mut authorizer = Sample::new("authorizer (uncached)", "authorizer");
    let today = bench.tenant.zone.day_of(Utc::now());
    let scores_uri = format!(
        "/v1/scores?from={}&to={today}&granularity=week&compare=previous_period",
        today - Duration::days(364)
    );
    for i in 0..rounds {
        // Each round is another customer, from another address.
        let client = format!("198.51.{}.{}", i / 250, i % 250);
        let body = json!({
            "order_id": format!("cost-{i}"), "rep_id": "ayesha", "channel": "sms",
            "location": "lahore-gulberg", "customer_ref": format!("cust-{i}"),
        });
        let code = bench.invite(&client, &mut invite, body).await;
        let uri = format!("/r/{code}");
        let (status, _) = bench
            .call(
                &client,
                &mut page,
                Function::Collect,
                Method::GET,
                &uri,
                None,
            )
            .await;
        assert_eq!(status, 200);
        let rating = json!({"score": 4, "comment": "Quick and friendly, thank you."});
        let (status, answer) = bench
            .call(
                &client,
                &mut rate,
                Function::Collect,
                Method::POST,
                &uri,
                Some(rating),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        let (status, answer) = bench
            .call(
                &client,
                &mut edit,
                Function::Collect,
                Method::POST,
                &uri,
                Some(json!({"score": 2, "edit_token": answer["edit_token"]})),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        let (status, answer) = bench
            .call(
                &client,
                &mut scores,
                Function::Scores,
                Method::GET,
                &scores_uri,
                None,
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        bench.authorize(&mut authorizer, &secret).await;
    }

    // What the aggregate function adds: the rounds' changes, read from the
    // stream in batches of up to 100 records (a busy tenant's batches; a
    // quiet one's hold a change or two, and cost per batch, not per change).
    let mut aggregate = Sample::new("aggregate, per round (stream batches of 100)", "aggregate");
    let before = used(&store);
    let started = Instant::now();
    stream.catch_up(&store).await.expect("the rounds' rollups");
    aggregate.record(&store, before, started);
    aggregate.per(rounds as usize);
    let stored = table_size(&table).await - size_before;

    // A counter's reusable link: each answer from another address, with the
    // per-address quota and the link's burst tally in play.
    let mut counter = Sample::new("POST /r/{code} (reusable link)", "collect");
    let mut setup = Sample::new("setup", "manage");
    // The bench sends in seconds what a counter sees over days: no burst.
    bench
        .set(&mut setup, json!({"abuse": {"burst_per_link": 0}}))
        .await;
    let (status, link) = bench
        .call(
            "203.0.113.1",
            &mut setup,
            Function::Manage,
            Method::POST,
            "/v1/links",
            Some(json!({"rep_id": "ayesha", "channel": "in_store", "daily_cap": 10_000})),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    let uri = format!("/r/{}", link["code"].as_str().expect("a code"));
    for i in 0..rounds {
        let client = format!("192.0.{}.{}", i / 250, i % 250);
        let (status, answer) = bench
            .call(
                &client,
                &mut counter,
                Function::Collect,
                Method::POST,
                &uri,
                Some(json!({"score": 5})),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
    }

    // The product sending the invitations itself: each made with an e-mail
    // recipient, its message and one reminder swept as the send function
    // sweeps them, and what the aggregator then counts of it.
    bench
        .set(
            &mut setup,
            json!({"sending": {"quiet_hours": null, "reminder_days": 2}}),
        )
        .await;
    stream.catch_up(&store).await.expect("the rounds' rollups");
    let mut to_send = Sample::new("POST /v1/invitations (with an e-mail recipient)", "manage");
    for i in 0..rounds {
        let body = json!({
            "order_id": format!("send-{i}"), "rep_id": "ayesha", "channel": "email",
            "recipient": {"email": format!("customer.{i}@example.pk")}, "send_after_minutes": 0,
        });
        bench.invite("203.0.113.1", &mut to_send, body).await;
    }
    let now = Utc::now() + Duration::minutes(1);
    let mut first = Sample::new("send sweep, per first message", "send");
    assert_eq!(sweep_all(&bench, &mut first, now).await, rounds as usize);
    first.per(rounds as usize);
    let mut reminder = Sample::new("send sweep, per reminder", "send");
    let later = now + Duration::days(2) + Duration::minutes(1);
    assert_eq!(
        sweep_all(&bench, &mut reminder, later).await,
        rounds as usize
    );
    reminder.per(rounds as usize);
    let mut counted = Sample::new("aggregate, per sent invitation", "aggregate");
    let before = used(&store);
    let started = Instant::now();
    stream.catch_up(&store).await.expect("the sends' rollups");
    counted.record(&store, before, started);
    counted.per(rounds as usize);

    let samples = [
        invite, page, rate, edit, aggregate, counter, scores, authorizer, to_send, first, reminder,
        counted,
    ];
    println!(
        "| request | function | RRU | WRU reported | WRU billed | transaction items | p50 ms | p90 ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for sample in &samples {
        println!("{}", sample.row());
    }
    println!(
        "\nstored per invited and rated order (with its index copy): {} bytes",
        stored / rounds
    );
    // DynamoDB Local slows down as tables pile up in one process.
    client()
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .expect("delete the table");
    for sample in &samples {
        let used = sample.capacity.read + sample.capacity.write;
        assert!(used > 0.0, "{}: DynamoDB reported no capacity", sample.name);
    }
}
