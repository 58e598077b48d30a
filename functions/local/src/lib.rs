//! The local server: every router of every function on one port, on the
//! embedded SQLite store (or on DynamoDB when configured), plus the tools a
//! self-hosting shop needs: key management and demo data.

pub mod demo;
pub mod notifier;
pub mod retention;

use feedback_core::{ApiKey, Scope};
use feedback_http::ratelimit::RateLimiter;
use feedback_http::{AppState, AuthMode, Function, Tenant, router};
use feedback_store::{DynamoStore, SqliteStore, Store, StoreError};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

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
        let store = DynamoStore::from_env().await;
        if endpoint {
            store.create_table().await?;
        }
        tracing::info!(table = store.table(), "using DynamoDB");
        let changes = notifier::Changes::stream(&store);
        return Ok(Backend {
            store: Arc::new(store),
            changes,
        });
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

/// Creates a key with `scopes`; returns it and its secret (shown once).
pub async fn create_key(
    store: &dyn Store,
    scopes: Vec<Scope>,
    name: Option<String>,
) -> Result<(ApiKey, String), StoreError> {
    let (key, secret) = ApiKey::generate(scopes, name, chrono::Utc::now())
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    store.create_key(&key).await?;
    Ok((key, secret))
}

/// On a store without keys, creates the first admin key and returns its
/// secret, so a new installation can be used at once.
pub async fn first_admin_key(store: &dyn Store) -> Result<Option<String>, StoreError> {
    if !store.list_keys().await?.is_empty() {
        return Ok(None);
    }
    let (_, secret) = create_key(store, vec![Scope::Admin], Some("first admin key".into())).await?;
    Ok(Some(secret))
}

/// Serves every function's routes on `listener` until `shutdown` completes,
/// then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    tenant: Tenant,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(
        &Function::ALL,
        AppState::new(store, tenant, AuthMode::Store).with_rate_limits(RateLimiter::default()),
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
