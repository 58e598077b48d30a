//! `feedback`: the local server and its tools.
//!
//! ```text
//! cargo run --release                       # serve on 127.0.0.1:3000
//! cargo run --release -- --demo             # ... with sample data
//! cargo run --release -- keys create --scope scores:read
//! cargo run --release -- keys list
//! cargo run --release -- keys revoke <id>
//! ```

use clap::{Parser, Subcommand};
use feedback_core::Scope;
use feedback_http::Tenant;
use feedback_store::Revocation;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    version,
    about = "Customer feedback backend: the local server and its tools"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "FEEDBACK_ADDR", default_value = "127.0.0.1:3000")]
    addr: String,
    /// Folder of the embedded database.
    #[arg(long, env = "FEEDBACK_DATA", default_value = "./feedback-data")]
    data: PathBuf,
    /// Load sample reps, invitations and 90 days of ratings (once).
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        action: KeyAction,
    },
}

#[derive(Subcommand)]
enum KeyAction {
    /// Create a key and print it (once).
    Create {
        /// A scope the key grants; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// A name to recognise the key by.
        #[arg(long)]
        name: Option<String>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id.
    Revoke { id: String },
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("feedback: {message}");
    ExitCode::FAILURE
}

#[tokio::main]
async fn main() -> ExitCode {
    feedback_telemetry::logs::init_local();
    let cli = Cli::parse();
    let backend = match feedback_local::open_store(&cli.data).await {
        Ok(backend) => backend,
        Err(e) => return fail(e),
    };
    match cli.command {
        Some(Command::Keys { action }) => keys(backend.store.as_ref(), action).await,
        None => serve(cli.addr, cli.demo, backend).await,
    }
}

async fn keys(store: &dyn feedback_store::Store, action: KeyAction) -> ExitCode {
    match action {
        KeyAction::Create { scopes, name } => {
            let mut parsed = Vec::new();
            for s in &scopes {
                match Scope::parse("--scope", s) {
                    Ok(scope) => parsed.push(scope),
                    Err(e) => return fail(e),
                }
            }
            match feedback_app::keys::create(store, parsed, name, chrono::Utc::now()).await {
                Ok((key, secret)) => {
                    println!("{secret}");
                    eprintln!("key {} created; the secret above is shown only now", key.id);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        KeyAction::List => match store.list_keys().await {
            Ok(keys) => {
                for k in keys {
                    let scopes: Vec<_> = k.scopes.iter().map(|s| s.as_str()).collect();
                    let state = if k.is_active() { "active" } else { "revoked" };
                    let used = k
                        .last_used_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "never".into());
                    println!(
                        "{}  {state:7}  {}  last used {used}  {}",
                        k.id,
                        scopes.join(","),
                        k.name.unwrap_or_default()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        KeyAction::Revoke { id } => {
            match feedback_app::keys::revoke(store, &id, chrono::Utc::now()).await {
                Ok(Revocation::Revoked(_)) => {
                    println!("revoked {id}");
                    ExitCode::SUCCESS
                }
                Ok(Revocation::NoSuchKey) => fail(format!("no key with id {id}")),
                Ok(Revocation::LastAdmin) => fail(format!(
                    "{id} is the last active admin key; create another before revoking it"
                )),
                Err(e) => fail(e),
            }
        }
    }
}

async fn serve(addr: String, demo: bool, backend: feedback_local::Backend) -> ExitCode {
    let store = backend.store;
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    let tenant = match Tenant::from_env(&format!("http://{local}")) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    match feedback_local::first_admin_key(store.as_ref()).await {
        Ok(Some(secret)) => {
            println!(
                "First start: created an admin API key. It is shown only now; keep it:\n\n    {secret}\n"
            );
        }
        Ok(None) => {}
        Err(e) => return fail(e),
    }
    if demo {
        match feedback_local::demo::load(store.as_ref(), &tenant).await {
            Ok(true) => eprintln!("loaded the demo data"),
            Ok(false) => {
                eprintln!("demo data already present (the store has reps); not loading it again")
            }
            Err(e) => return fail(e),
        }
    }
    feedback_local::notifier::spawn(
        store.clone(),
        backend.changes,
        feedback_core::webhook::Backoff::DEFAULT,
    );
    let messengers = match feedback_local::sending::messengers_from_env() {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let sending = match feedback_local::sending::replies_token_from_env() {
        Ok(sms_replies_token) => feedback_local::SendSetup {
            media: messengers.media(),
            sms_replies_token,
        },
        Err(e) => return fail(e),
    };
    feedback_local::sending::spawn(store.clone(), Arc::new(messengers), tenant.clone());
    println!("Serving on http://{local} (Ctrl-C to stop)");
    match feedback_local::serve(listener, store, tenant, sending, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
