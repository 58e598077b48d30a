//! A minimal Lambda Runtime API (2018-06-01): the three calls a function's
//! runtime client makes. One emulator serves one process; the harness hands
//! it events one at a time and times each from the moment the function's
//! `next` call returns the event to the moment its answer arrives.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc, oneshot};

/// An event waiting for the function's `next` call, and where its answer
/// goes.
struct Pending {
    id: String,
    event: String,
    reply: oneshot::Sender<Answer>,
}

/// When the event was handed over, when the answer came, and the answer
/// (or the error the function reported).
type Answer = (Instant, Instant, Result<String, String>);

#[derive(Default)]
struct Shared {
    /// Set by the first `next` call.
    first_poll: Mutex<Option<oneshot::Sender<Instant>>>,
    /// When each event was handed over, and where its answer goes.
    handed: Mutex<HashMap<String, (Instant, oneshot::Sender<Answer>)>>,
    events: Mutex<Option<mpsc::Receiver<Pending>>>,
    init_error: Mutex<Option<String>>,
}

pub struct Emulator {
    address: String,
    shared: Arc<Shared>,
    events: mpsc::Sender<Pending>,
    first_poll: Option<oneshot::Receiver<Instant>>,
    count: usize,
    server: tokio::task::JoinHandle<()>,
}

async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    if let Some(tx) = shared.first_poll.lock().await.take() {
        tx.send(Instant::now()).ok();
    }
    let pending = {
        let mut events = shared.events.lock().await;
        match events.as_mut() {
            Some(rx) => rx.recv().await,
            None => None,
        }
    };
    let Some(Pending { id, event, reply }) = pending else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    shared
        .handed
        .lock()
        .await
        .insert(id.clone(), (Instant::now(), reply));
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    let mut headers = HeaderMap::new();
    let header = |v: &str| HeaderValue::from_str(v).expect("a header value");
    headers.insert("lambda-runtime-aws-request-id", header(&id));
    headers.insert("lambda-runtime-deadline-ms", header(&deadline.to_string()));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        header("arn:aws:lambda:us-east-1:000000000000:function:coldstart"),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        header("Root=1-00000000-000000000000000000000000"),
    );
    (StatusCode::OK, headers, event)
}

async fn answered(shared: &Shared, id: &str, result: Result<String, String>) -> StatusCode {
    let at = Instant::now();
    match shared.handed.lock().await.remove(id) {
        Some((handed, reply)) => {
            reply.send((handed, at, result)).ok();
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: String,
) -> StatusCode {
    answered(&shared, &id, Ok(body)).await
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: String,
) -> StatusCode {
    answered(&shared, &id, Err(body)).await
}

async fn init_error(State(shared): State<Arc<Shared>>, body: String) -> StatusCode {
    *shared.init_error.lock().await = Some(body);
    StatusCode::ACCEPTED
}

impl Emulator {
    pub async fn start() -> Emulator {
        let (events, rx) = mpsc::channel(1);
        let (first_tx, first_rx) = oneshot::channel();
        let shared = Arc::new(Shared::default());
        *shared.events.lock().await = Some(rx);
        *shared.first_poll.lock().await = Some(first_tx);
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("an address").to_string();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Emulator {
            address,
            shared,
            events,
            first_poll: Some(first_rx),
            count: 0,
            server,
        }
    }

    /// `host:port`, as `AWS_LAMBDA_RUNTIME_API` takes it.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// When the function first asked for an event (its init is over).
    pub async fn first_poll(&mut self) -> Result<Instant, String> {
        let rx = self.first_poll.take().expect("asked once");
        match tokio::time::timeout(Duration::from_secs(30), rx).await {
            Ok(Ok(at)) => Ok(at),
            _ => Err(match self.shared.init_error.lock().await.take() {
                Some(e) => format!("init failed: {e}"),
                None => "the function never asked for an event".into(),
            }),
        }
    }

    /// Hands `event` to the function and waits for its answer: the answer,
    /// and the time from handing the event over to the answer.
    pub async fn invoke(&mut self, event: String) -> Result<(Duration, String), String> {
        self.count += 1;
        let id = format!("req-{}", self.count);
        let (reply, answer) = oneshot::channel();
        self.events
            .send(Pending {
                id: id.clone(),
                event,
                reply,
            })
            .await
            .map_err(|_| "the emulator stopped".to_string())?;
        let (handed, at, result) = tokio::time::timeout(Duration::from_secs(30), answer)
            .await
            .map_err(|_| format!("{id}: no answer in 30 s"))?
            .map_err(|_| format!("{id}: dropped"))?;
        let answer = result.map_err(|e| format!("{id}: the function answered an error: {e}"))?;
        Ok((at - handed, answer))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}
