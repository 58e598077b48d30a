//! The local server: every router of every function on one port, on the
//! embedded SQLite store (or on DynamoDB when configured), plus the tools a
//! self-hosting shop needs: key management and demo data.

pub mod demo;
pub mod notifier;
pub mod retention;
pub mod sending;

use axum::extract::ConnectInfo;
use feedback_app::keys;
use feedback_core::Scope;
use feedback_core::sending::Media;
use feedback_http::ratelimit::RateLimiter;
use feedback_http::{AppState, AuthMode, Function, Tenant, router};
#[cfg(feature = "dynamo")]
use feedback_store::DynamoStore;
use feedback_store::{SqliteStore, Store, StoreError};
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// The store a process uses, and where its changes can be read from.
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub changes: notifier::Changes,
}

/// Which store the process uses, from the environment: DynamoDB when
/// `DYNAMODB_ENDPOINT` (DynamoDB Local; the table is created if missing) or
/// `DYNAMODB_TABLE` (a deployed table, with the usual AWS credentials) is set;
/// otherwise SQLite under `data_dir`, with its retention sweeper running.
pub async fn open_store(data_dir: &Path) -> Result<Backend, StoreError> {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").is_ok_and(|v| !v.is_empty());
    let table = std::env::var("DYNAMODB_TABLE").is_ok_and(|v| !v.is_empty());
    if endpoint || table {
        return open_dynamo(endpoint).await;
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| StoreError::Internal(format!("cannot create {}: {e}", data_dir.display())))?;
    let path = data_dir.join("feedback.db");
    tracing::info!(path = %path.display(), "using SQLite");
    let store = SqliteStore::open(path)?;
    retention::spawn(store.clone());
    Ok(Backend {
        store: Arc::new(store.clone()),
        changes: notifier::Changes::Outbox(store),
    })
}

#[cfg(feature = "dynamo")]
async fn open_dynamo(local_endpoint: bool) -> Result<Backend, StoreError> {
    let store = dynamo_store(local_endpoint).await?;
    if local_endpoint {
        store.create_table().await?;
    }
    tracing::info!(table = store.table(), "using DynamoDB");
    let changes = notifier::Changes::stream(&store, &store);
    Ok(Backend {
        store: Arc::new(store),
        changes,
    })
}

/// A build without the `dynamo` feature refuses a DynamoDB configuration
/// rather than keep the ratings in a SQLite file nobody would look in.
#[cfg(not(feature = "dynamo"))]
async fn open_dynamo(_local_endpoint: bool) -> Result<Backend, StoreError> {
    Err(StoreError::Internal(
        "DYNAMODB_ENDPOINT or DYNAMODB_TABLE is set, but this build has no DynamoDB \
         support: build it with `cargo run --release --features dynamo`"
            .into(),
    ))
}

/// The DynamoDB store the environment names. A deployed table reached from
/// a workstation without credentials in the environment takes them from
/// `aws-config`'s default chain (profiles, SSO, and the rest), which the
/// Lambda functions leave out.
#[cfg(feature = "dynamo")]
async fn dynamo_store(local_endpoint: bool) -> Result<DynamoStore, StoreError> {
    let keys_in_env = std::env::var("AWS_ACCESS_KEY_ID").is_ok_and(|v| !v.is_empty());
    if local_endpoint || keys_in_env {
        return DynamoStore::from_env();
    }
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(feedback_store::dynamo::https_client())
        .load()
        .await;
    let table = std::env::var("DYNAMODB_TABLE").unwrap_or_default();
    Ok(DynamoStore::new(&config, &table))
}

/// On a store without keys, creates the first admin key and returns its
/// secret, so a new installation can be used at once.
pub async fn first_admin_key(store: &dyn Store) -> Result<Option<String>, StoreError> {
    if !store.list_keys().await?.is_empty() {
        return Ok(None);
    }
    let name = Some("first admin key".into());
    let (_, secret) = keys::create(store, vec![Scope::Admin], name, chrono::Utc::now()).await?;
    Ok(Some(secret))
}

/// How long a client may take to send a request's headers, and how long an
/// idle keep-alive connection waits for the next request. The body is
/// bounded by the request deadline ([`LOCAL_DEADLINE`]).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request may run here before it is answered 503. No Lambda
/// timeout to stay under, and DynamoDB Local is slow: a batch of 500
/// invitations on it takes longer than a function's 8 s.
pub const LOCAL_DEADLINE: Duration = Duration::from_secs(30);

/// How long shutdown waits for the requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server sends by, and the token its SMS gateway forwards the
/// customers' replies with (`POST /sms/replies`; none: no such route).
#[derive(Debug, Clone, Default)]
pub struct SendSetup {
    pub media: Media,
    pub sms_replies_token: Option<String>,
}

/// Serves every function's routes on `listener` until `shutdown` completes,
/// then finishes the requests in flight. Invitations may ask to be sent by
/// what `sending` names.
///
/// Connections are served by hyper directly rather than `axum::serve`,
/// which sets no timer and so no header read timeout: a client sending one
/// byte a minute would hold its connection forever.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    tenant: Tenant,
    sending: SendSetup,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = AppState::new(store, tenant, AuthMode::Store)
        .with_rate_limits(RateLimiter::default())
        .with_deadline(LOCAL_DEADLINE)
        .with_media(sending.media);
    let mut app = router(&Function::ALL, state.clone());
    if let Some(token) = &sending.sms_replies_token {
        app = feedback_http::sms_replies::router(state, token).merge(app);
    }
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: pause, keep serving.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        );
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running at shutdown were cut off");
    }
    Ok(())
}
