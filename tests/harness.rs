//! The end-to-end harness: the local server (the same `serve` the binary
//! runs) on a loopback port, on SQLite or on DynamoDB Local, and an HTTP
//! client for it.

pub mod burst;
pub mod gateway;
pub mod receivers;
pub mod stack;

use feedback_core::webhook::Backoff;
use feedback_http::Tenant;
use feedback_local::notifier::Changes;
use feedback_store::dynamo::local_config;
use feedback_store::{DynamoStore, SqliteStore, Store};
pub use receivers::{
    MAIL_FROM, Mail, Moto, SMS_REPLIES_TOKEN, SMS_TOKEN, SmsReceiver, SmtpReceiver,
};
use serde_json::Value;
use std::sync::Arc;

/// Webhook retries in tests: the same schedule, in fractions of a second.
const FAST_RETRIES: Backoff = Backoff {
    first: chrono::Duration::milliseconds(200),
    cap: chrono::Duration::seconds(1),
    max_attempts: 5,
};

/// Where the gateway suites record the DynamoDB calls each function made.
pub const IAM_CALLS_DIR: &str = "IAM_CALLS_DIR";

pub struct Server {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub tenant: Tenant,
    /// The first admin key, printed once at first start.
    pub admin: String,
    client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
    /// Behind the emulated gateway: each function's recorded calls.
    deployment: Option<gateway::Deployment>,
    /// On DynamoDB: the rollups are a view of the table's stream, which
    /// the server's worker applies every 0.2 s. Before each GET (every read
    /// of figures is one) this reader brings them up to date, as the worker
    /// would a moment later, so a case sees every change it made before, as
    /// it would on SQLite. Writes are sent at once: cases time them.
    view: Option<RollupView>,
    /// On the local server: the SMS gateway and the SMTP server its
    /// invitations are sent through, loopback receivers that keep what
    /// they were given.
    pub sms: Option<SmsReceiver>,
    pub mail: Option<SmtpReceiver>,
    /// For a stack that sends: moto, and the `send` function's senders.
    pub aws: Option<(Moto, feedback_send::aws::AwsMessengers)>,
}

/// A reader of the table's stream and the store that applies it.
pub struct RollupView(tokio::sync::Mutex<(feedback_store::dynamo::StreamReader, DynamoStore)>);

impl RollupView {
    /// The view of `store`'s table, applied through `aggregator`.
    pub fn new(store: &DynamoStore, aggregator: &DynamoStore) -> RollupView {
        let reader = feedback_store::dynamo::StreamReader::new(store);
        RollupView(tokio::sync::Mutex::new((reader, aggregator.clone())))
    }

    /// Brings the rollups up to date with every change committed so far,
    /// waiting out a store that is briefly unavailable (cases freeze it).
    pub async fn settle(&self) {
        let mut guard = self.0.lock().await;
        let (reader, aggregator) = &mut *guard;
        for attempt in 1.. {
            match reader.catch_up(aggregator).await {
                Ok(()) => return,
                Err(e) if attempt < 20 => {
                    eprintln!("bringing the rollups up to date: {e}; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                Err(e) => panic!("the stream could not be applied: {e}"),
            }
        }
    }
}

/// The value at fraction `p` (0.5: the median) of `sorted`.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A response: status, headers and the body as JSON (`Null` if empty).
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    /// The body as text (HTML pages, snippets).
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The fields of a problem's errors, sorted.
    pub fn sorted_fields(&self) -> Vec<String> {
        let mut fields = self.fields();
        fields.sort();
        fields
    }

    /// The `field` of each error of a problem.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Server {
    pub async fn sqlite() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("feedback.db")).expect("sqlite");
        let changes = Changes::Outbox(store.clone());
        Self::start(Arc::new(store), changes, Some(dir)).await
    }

    pub async fn dynamo() -> Server {
        Self::on_dynamo(dynamo_store().await).await
    }

    /// The local server on `store`, its worker reading the table's stream,
    /// with the rollups brought up to date before each GET.
    pub async fn on_dynamo(store: DynamoStore) -> Server {
        let changes = Changes::stream(&store, &store);
        let view = RollupView::new(&store, &store);
        Self::start(Arc::new(store), changes, None)
            .await
            .with_view(view)
    }

    /// The server, with the rollups brought up to date before each GET.
    pub fn with_view(mut self, view: RollupView) -> Server {
        self.view = Some(view);
        self
    }

    /// The local server on `store`, with its webhook notifier reading
    /// `changes` and retrying fast (0.2 s, 0.4 s … rather than minutes).
    pub async fn start(
        store: Arc<dyn Store>,
        changes: Changes,
        dir: Option<tempfile::TempDir>,
    ) -> Server {
        feedback_local::notifier::spawn(Arc::clone(&store), changes, FAST_RETRIES);
        let (listener, tenant) = listen().await;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = Arc::clone(&store);
        let t = tenant.clone();
        let (sms, mail) = (SmsReceiver::start().await, SmtpReceiver::start().await);
        let sending = feedback_local::SendSetup {
            media: receivers::messengers(&sms, &mail).media(),
            sms_replies_token: Some(SMS_REPLIES_TOKEN.into()),
        };
        tokio::spawn(async move {
            feedback_local::serve(listener, served, t, sending, async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        let mut server = Self::ready(store, tenant, tx, dir, None).await;
        server.sms = Some(sms);
        server.mail = Some(mail);
        server
    }

    /// The local server's messengers, sending to this server's receivers.
    pub fn messengers(&self) -> feedback_local::sending::Messengers {
        let local = "a local server";
        receivers::messengers(
            self.sms.as_ref().expect(local),
            self.mail.as_ref().expect(local),
        )
    }

    /// Runs one send sweep as of `now`, with an explicit clock: the local
    /// worker's, through this server's receivers; or, for a stack that
    /// sends, the `send` function's, through moto.
    pub async fn send_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> feedback_app::sending::Swept {
        let swept = match (&self.deployment, &self.aws) {
            (Some(deployment), Some((_, senders))) => {
                feedback_send::sweep(&deployment.send, senders, &self.tenant, now).await
            }
            _ => {
                let messengers = self.messengers();
                feedback_send::sweep(self.store.as_ref(), &messengers, &self.tenant, now).await
            }
        };
        swept.expect("a sweep")
    }

    /// Records SES's reports of e-mails in `event` (an SNS event, as the
    /// topic SES reports to delivers them) as the `send` function does:
    /// on its own recording client for a deployed stack, on this server's
    /// store otherwise.
    pub async fn record_reports(
        &self,
        event: &feedback_send::reports::SnsEvent,
    ) -> feedback_send::reports::Recorded {
        let store: &dyn Store = match &self.deployment {
            Some(deployment) => &deployment.send,
            None => self.store.as_ref(),
        };
        feedback_send::reports::record(store, event, chrono::Utc::now())
            .await
            .expect("reports recorded")
    }

    /// The functions as deployed, on DynamoDB Local: each function's router
    /// on its own recording client behind the emulated gateway and
    /// authorizer (see [`gateway`]). [`Server::check_iam`] then holds each
    /// function's calls to its policy in the template.
    pub async fn gateway() -> Server {
        Self::gateway_behind(None).await
    }

    /// [`Server::gateway`] behind a CloudFront distribution that adds the
    /// header `x-origin-verify: {origin}` (`None`: no distribution).
    pub async fn gateway_behind(origin: Option<&str>) -> Server {
        Self::deployed(origin, None).await
    }

    /// [`Server::gateway`] for a stack that sends by SES and SNS, which
    /// moto's server stands in for (AWS itself cannot be reached from
    /// here); [`Server::send_due`] runs the `send` function's sweep.
    pub async fn gateway_sending() -> Server {
        let moto = Moto::new().await;
        let senders = moto.senders();
        let mut server = Self::deployed(None, Some(senders.media())).await;
        server.aws = Some((moto, senders));
        server
    }

    async fn deployed(
        origin: Option<&str>,
        media: Option<feedback_core::sending::Media>,
    ) -> Server {
        let store = dynamo_store().await;
        let (config, table) = (store.sdk_config().clone(), store.table().to_owned());
        let deployment = gateway::Deployment::new(&config, &table, media.unwrap_or_default());
        // In AWS the stream reaches notify and aggregate through their
        // event source mappings; the local stream reader's own calls are
        // neither function's to make.
        feedback_local::notifier::spawn(
            Arc::new(deployment.notify.clone()),
            Changes::stream(&store, &deployment.aggregate),
            FAST_RETRIES,
        );
        let (listener, tenant) = listen().await;
        let app = deployment.router(&config, &table, &tenant, origin);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        let view = RollupView::new(&store, &deployment.aggregate);
        Self::ready(Arc::new(store), tenant, tx, None, Some(deployment))
            .await
            .with_view(view)
    }

    async fn ready(
        store: Arc<dyn Store>,
        tenant: Tenant,
        shutdown: tokio::sync::oneshot::Sender<()>,
        dir: Option<tempfile::TempDir>,
        deployment: Option<gateway::Deployment>,
    ) -> Server {
        let admin = feedback_local::first_admin_key(store.as_ref())
            .await
            .unwrap()
            .expect("a new store has no keys");
        Server {
            base: tenant.base_url.clone(),
            store,
            tenant,
            admin,
            // Redirects are part of what is tested (the dashboard's sign-in).
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            shutdown: Some(shutdown),
            _dir: dir,
            deployment,
            view: None,
            sms: None,
            mail: None,
            aws: None,
        }
    }

    /// What every case ends with: behind the emulated gateway, the IAM
    /// check ([`Server::check_iam`]), and the calls made added to the
    /// record in `IAM_CALLS_DIR` when it is set (`tests/run.sh` then checks
    /// that every grant was needed); nothing more on the local server.
    pub fn finish(&self) {
        let Some(deployment) = &self.deployment else {
            return;
        };
        self.check_iam();
        if let Some(dir) = std::env::var_os(IAM_CALLS_DIR) {
            deployment.save_calls(std::path::Path::new(&dir));
        }
    }

    /// Behind the emulated gateway: the calls `function` has made so far.
    pub fn calls_of(
        &self,
        function: &str,
    ) -> std::collections::BTreeSet<feedback_store::dynamo::Call> {
        self.deployment.as_ref().expect("a gateway server").logs[function].calls()
    }

    /// Behind the emulated gateway: the `notify` function's code on its own
    /// recording client, as its stream trigger and schedule run it.
    pub fn notify_function(&self) -> feedback_notify::Notifier {
        let deployment = self.deployment.as_ref().expect("a gateway server");
        feedback_notify::Notifier::new(
            Arc::new(deployment.notify.clone()),
            feedback_core::webhook::UrlPolicy::PublicHttps,
            FAST_RETRIES,
        )
    }

    /// Behind the emulated gateway: asserts that every DynamoDB call each
    /// function made, and every SES and SNS call of a stack that sends, is
    /// one its IAM policy in `template.yaml` allows.
    pub fn check_iam(&self) {
        let deployment = self.deployment.as_ref().expect("a gateway server");
        assert!(
            deployment.logs.values().any(|log| !log.calls().is_empty()),
            "no function made a call: the recording is not wired"
        );
        let mut denied = deployment.denied();
        if let Some((moto, _)) = &self.aws {
            assert!(
                !moto.calls.calls().is_empty(),
                "the senders made no SES or SNS call: the recording is not wired"
            );
            denied.extend(deployment.denied_aws(&moto.calls));
        }
        assert!(
            denied.is_empty(),
            "calls that template.yaml's policies do not allow (AccessDenied in AWS):\n{}",
            denied.join("\n")
        );
    }

    /// Sends `body` (raw) with `content_type`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        self.send_with(method, path, key, &[], content_type, body)
            .await
    }

    /// As a browser would: a GET, or a form post, with extra `headers`.
    /// A rating form's body as a person's browser sends it: with the form's
    /// signed render time (`t`), as if shown ten seconds before, unless the
    /// body has its own.
    pub async fn as_shown(&self, path: &str, form: &str) -> String {
        let Some(code) = path.strip_prefix("/r/") else {
            return form.to_owned();
        };
        if form.split('&').any(|p| p.starts_with("t=")) {
            return form.to_owned();
        }
        let rid = form
            .split('&')
            .find_map(|p| p.strip_prefix("rid="))
            .unwrap_or_default();
        let shown = chrono::Utc::now() - chrono::Duration::seconds(10);
        let token = self
            .store
            .secret()
            .await
            .unwrap()
            .form_token(code, rid, shown);
        match form.is_empty() {
            true => format!("t={token}"),
            false => format!("{form}&t={token}"),
        }
    }

    pub async fn browser(
        &self,
        method: &str,
        path: &str,
        form: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let form = match method {
            "POST" => self.as_shown(path, form).await,
            _ => form.to_owned(),
        };
        let mut all = vec![
            ("accept", "text/html,application/xhtml+xml"),
            ("accept-language", "en"),
        ];
        all.extend_from_slice(headers);
        self.send_with(
            method,
            path,
            None,
            &all,
            "application/x-www-form-urlencoded",
            form.as_bytes().to_vec(),
        )
        .await
    }

    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        if let Some(view) = self.view.as_ref().filter(|_| method == "GET") {
            view.settle().await;
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if !body.is_empty() {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.send(method, path, key, "application/json", bytes)
            .await
    }

    /// A GET with `key`.
    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.call("GET", path, Some(key), None).await
    }

    /// The `summary` of `GET /v1/scores` for yesterday and today in the
    /// tenant's zone, read with the admin key.
    pub async fn recent_summary(&self) -> Value {
        let today = self.tenant.zone.day_of(chrono::Utc::now());
        let path = format!(
            "/v1/scores?from={}&to={today}",
            today - chrono::Duration::days(1)
        );
        let scores = self.get(&path, &self.admin).await;
        assert_eq!(scores.status, 200, "{}", scores.body);
        scores.body["summary"].clone()
    }

    pub async fn form(&self, path: &str, form: &str) -> Reply {
        let form = self.as_shown(path, form).await;
        self.send(
            "POST",
            path,
            None,
            "application/x-www-form-urlencoded",
            form.as_bytes().to_vec(),
        )
        .await
    }

    /// A dashboard session cookie (`name=value`) for `key`, from signing
    /// in as a browser does.
    pub async fn dashboard_session(&self, key: &str) -> String {
        let r = self
            .browser(
                "POST",
                "/dashboard/sign-in",
                &format!("key={key}"),
                &[("sec-fetch-site", "same-origin")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let cookie = r.header("set-cookie").expect("a session cookie");
        cookie.split(';').next().unwrap().to_owned()
    }

    /// A new key with `scopes`, made through the API.
    pub async fn key(&self, scopes: &[&str]) -> String {
        let reply = self
            .call(
                "POST",
                "/v1/keys",
                Some(&self.admin),
                Some(serde_json::json!({ "scopes": scopes })),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["key"].as_str().unwrap().to_owned()
    }
}

/// A module of tests for each kind of server listed, one test per case:
/// each runs `cases::$case` on a fresh [`Server`] of that kind (`sqlite`,
/// `dynamo`, or `gateway`, the functions as deployed, whose calls are then
/// held to their IAM policy).
#[macro_export]
macro_rules! suite {
    ([$kind:ident $(, $more:ident)* $(,)?]: $($case:ident),* $(,)?) => {
        $crate::suite!($kind: $($case),*);
        $crate::suite!([$($more),*]: $($case),*);
    };
    ([]: $($case:ident),* $(,)?) => {};
    ($kind:ident: $($case:ident),* $(,)?) => {
        mod $kind {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let server = $crate::Server::$kind().await;
                    cases::$case(&server).await;
                    server.finish();
                }
            )*
        }
    };
}

/// A loopback listener and the e2e tenant whose links point at it.
async fn listen() -> (tokio::net::TcpListener, Tenant) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let tenant = Tenant {
        id: "e2e".into(),
        name: "Chai Corner".into(),
        zone: feedback_core::time::TenantZone::parse("tz", "Asia/Karachi").unwrap(),
        base_url: base,
        default_locale: None,
        trust_forwarded_for: true,
    };
    (listener, tenant)
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The local server on the DynamoDB at `endpoint` when nothing there
/// answers (no listener, or one that never replies), with the store's own
/// production timeouts; its base URL.
pub async fn serve_on_a_dead_store(endpoint: String) -> String {
    let config = local_config(&endpoint);
    let store = DynamoStore::new(&config, "nowhere");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let tenant = Tenant {
        id: "t".into(),
        name: "T".into(),
        zone: feedback_core::time::TenantZone::parse("tz", "UTC").unwrap(),
        base_url: base.clone(),
        default_locale: None,
        trust_forwarded_for: false,
    };
    tokio::spawn(feedback_local::serve(
        listener,
        Arc::new(store),
        tenant,
        feedback_local::SendSetup::default(),
        std::future::pending(),
    ));
    base
}

/// The DynamoDB Local that tests/run.sh started.
pub fn dynamodb_endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .expect("DYNAMODB_ENDPOINT is not set: run tests/run.sh, which starts DynamoDB Local")
}

/// A DynamoStore on a fresh table of the DynamoDB Local tests/run.sh started.
pub async fn dynamo_store() -> DynamoStore {
    dynamo_store_at(&dynamodb_endpoint()).await
}

/// A DynamoStore on a fresh table of the DynamoDB at `endpoint`.
pub async fn dynamo_store_at(endpoint: &str) -> DynamoStore {
    let config = local_config(endpoint)
        .into_builder()
        // DynamoDB Local runs every transaction one at a time: with the
        // whole workspace's suites on it at once, a burst of 50 waits
        // longer than production's deadline ever lets a request wait
        // (tests/security.rs checks that deadline on its own).
        .timeout_config(
            aws_smithy_types::timeout::TimeoutConfig::builder()
                .operation_timeout(std::time::Duration::from_secs(60))
                .build(),
        )
        .build();
    let store = DynamoStore::new(&config, &format!("e2e-{}", uuid::Uuid::new_v4()));
    store.create_table().await.expect("create table");
    store
}

/// A webhook receiver on loopback: records what it is sent, answers with
/// scripted statuses (then 204), and can be held to play a slow endpoint.
pub struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
}

#[derive(Default)]
struct ReceiverState {
    seen: std::sync::Mutex<Vec<Received>>,
    script: std::sync::Mutex<std::collections::VecDeque<u16>>,
    /// While true, requests wait (up to the sender's timeout) before answering.
    held: tokio::sync::watch::Sender<bool>,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hooks/feedback", listener.local_addr().unwrap());
        let state = Arc::new(ReceiverState::default());
        let shared = Arc::clone(&state);
        let app = axum::Router::new().route(
            "/hooks/feedback",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let state = Arc::clone(&shared);
                    async move {
                        let mut held = state.held.subscribe();
                        let _ = held.wait_for(|h| !*h).await;
                        state.seen.lock().unwrap().push(Received {
                            headers,
                            body: body.to_vec(),
                        });
                        let status = state.script.lock().unwrap().pop_front().unwrap_or(204);
                        axum::http::StatusCode::from_u16(status).unwrap()
                    }
                },
            ),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, state }
    }

    /// The next requests are answered with `statuses`, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.state.script.lock().unwrap().extend(statuses);
    }

    /// Makes requests wait until [`Receiver::release`].
    pub fn hold(&self) {
        self.state.held.send_replace(true);
    }

    pub fn release(&self) {
        self.state.held.send_replace(false);
    }

    /// What was received so far.
    pub fn seen(&self) -> Vec<Received> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) until `done` holds for what was received.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        for _ in 0..300 {
            let seen = self.seen();
            if done(&seen) {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the receiver never saw {what}; it saw {:#?}", self.seen());
    }
}
