//! `SqliteStore`: the embedded store for the local server and one-shop
//! self-hosting. One file, WAL mode, bundled SQLite.
//!
//! Writes go through one connection, each in an `IMMEDIATE` transaction, so
//! the response, its rollup counters and the edit-window decision commit or
//! roll back together. Reads use a small pool of their own connections and
//! never wait for a writer (WAL).

use crate::cursor::{Cursor, Listed, instant_key, page, upper_bound};
use crate::{
    ContactRule, Erased, FollowUpFilter, InvitationOutcome, Page, Recorded, ResponseFilter,
    Revocation, StoreError, is_active_admin,
};
use chrono::{DateTime, NaiveDate, Utc};
use feedback_core::abuse::{Quota, Secret};
use feedback_core::rollup::{self, RollupIncrement};
use feedback_core::submission::{self, Decision, Effects, SubmitRules, decide};
use feedback_core::webhook::Change;
use feedback_core::{
    ApiKey, Code, CustomerRef, FollowUp, Invitation, Link, Rep, RepId, Response, Rollup, Settings,
    Slice,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod api_keys;
mod erasure;
mod follow_ups;
mod invitations;
mod links;
mod reps;
mod responses;
mod rollups;
mod sends;
mod settings;
mod webhooks;
use webhooks::announce;

/// Schema migrations, applied in order; `PRAGMA user_version` records how
/// many have run. Append, never edit.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE invitations (
    code     TEXT PRIMARY KEY,
    order_id TEXT NOT NULL UNIQUE,
    body     TEXT NOT NULL
);
CREATE TABLE responses (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL,
    sort_key    TEXT NOT NULL,
    rep_id      TEXT,
    channel     TEXT NOT NULL,
    location    TEXT,
    survey      TEXT NOT NULL,
    score       INTEGER NOT NULL,
    has_comment INTEGER NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX responses_newest_first ON responses (sort_key);
CREATE TABLE rollups (
    slice TEXT NOT NULL,
    day   TEXT NOT NULL,
    name  TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (slice, day, name)
) WITHOUT ROWID;
CREATE TABLE reps (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE api_keys (
    hash TEXT PRIMARY KEY,
    id   TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE TABLE settings (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    body      TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE follow_ups (
    id       TEXT PRIMARY KEY,
    sort_key TEXT NOT NULL,
    status   TEXT NOT NULL,
    rep_id   TEXT,
    channel  TEXT NOT NULL,
    location TEXT,
    due_at   TEXT NOT NULL,
    revision INTEGER NOT NULL,
    body     TEXT NOT NULL
);
CREATE INDEX follow_ups_newest_first ON follow_ups (sort_key);
CREATE INDEX follow_ups_by_status ON follow_ups (status, sort_key);
"#,
    r#"
ALTER TABLE invitations ADD COLUMN customer_ref TEXT;
ALTER TABLE invitations ADD COLUMN personal_until TEXT;
UPDATE invitations SET customer_ref = json_extract(body, '$.customer_ref'),
                       personal_until = json_extract(body, '$.personal_until');
CREATE INDEX invitations_by_customer ON invitations (customer_ref) WHERE customer_ref IS NOT NULL;
CREATE INDEX invitations_by_retention ON invitations (personal_until) WHERE personal_until IS NOT NULL;
"#,
    webhooks::MIGRATION,
    r#"
CREATE TABLE contacts (
    contact TEXT PRIMARY KEY,
    code    TEXT NOT NULL,
    until   TEXT NOT NULL
);
CREATE TABLE links (
    code TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE counters (
    key     TEXT PRIMARY KEY,
    n       INTEGER NOT NULL,
    expires TEXT NOT NULL
);
CREATE INDEX counters_by_expiry ON counters (expires);
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
ALTER TABLE responses ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
"#,
    sends::MIGRATION,
    sends::SUPPRESSION_REASONS,
];

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

fn sql_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        // Another process holds the database longer than the busy timeout.
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::unavailable(e)
        }
        _ => StoreError::internal(e),
    }
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::internal(format!("corrupt stored record: {e}"))
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(sql_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sql_err)?;
    // NORMAL is durable across application crashes in WAL mode; only an OS
    // crash or power loss can lose the last transactions. secure_delete
    // overwrites what an erasure deletes, so it is gone from the file too.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;",
    )
    .map_err(sql_err)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_err)?;
    let done: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sql_err)?;
    let done = usize::try_from(done).map_err(StoreError::internal)?;
    if done > MIGRATIONS.len() {
        return Err(StoreError::Internal(format!(
            "the database was written by a newer version (schema {done}, this build knows {})",
            MIGRATIONS.len()
        )));
    }
    for migration in &MIGRATIONS[done..] {
        tx.execute_batch(migration).map_err(sql_err)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)
        .map_err(sql_err)?;
    tx.commit().map_err(sql_err)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut writer = open_connection(&path)?;
        migrate(&mut writer)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Invitations whose personal data expired by `at` and is still kept,
    /// oldest first, at most `limit`: what the local retention sweeper
    /// erases (on DynamoDB, TTL does it).
    pub async fn personal_data_expired(
        &self,
        at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Code>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT code FROM invitations WHERE personal_until <= ?1
                     ORDER BY personal_until LIMIT ?2",
                )
                .map_err(sql_err)?;
            let codes: Vec<String> = stmt
                .query_map(params![instant_key(at), limit as i64], |row| row.get(0))
                .map_err(sql_err)?
                .collect::<Result<_, _>>()
                .map_err(sql_err)?;
            codes
                .iter()
                .map(|c| Code::parse("code", c).map_err(StoreError::internal))
                .collect()
        })
        .await
    }

    /// Runs `work` on the writer connection inside one IMMEDIATE transaction,
    /// on the blocking pool.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut conn = inner
                .writer
                .lock()
                .map_err(|_| StoreError::internal("writer poisoned"))?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            let value = work(&tx)?;
            tx.commit().map_err(sql_err)?;
            Ok(value)
        })
        .await
    }

    /// Runs `work` on a pooled read connection, on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let pooled = inner
                .readers
                .lock()
                .map_err(|_| StoreError::internal("pool poisoned"))?
                .pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => open_connection(&inner.path)?,
            };
            let value = work(&conn);
            if let Ok(mut pool) = inner.readers.lock() {
                pool.push(conn);
            }
            value
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::internal(format!("store task failed: {e}")))?
}

fn apply(tx: &rusqlite::Transaction<'_>, increments: &[RollupIncrement]) -> Result<(), StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO rollups (slice, day, name, value) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (slice, day, name) DO UPDATE SET value = value + excluded.value",
        )
        .map_err(sql_err)?;
    for inc in increments {
        let (slice, day) = (inc.slice.key(), inc.day.to_string());
        for (name, value) in inc.delta.counters() {
            stmt.execute(params![slice, day, name, value])
                .map_err(sql_err)?;
        }
    }
    Ok(())
}

/// Removes invitation `code`'s customer ref and its responses' comments.
fn erase_personal(tx: &rusqlite::Transaction<'_>, code: &str) -> Result<Erased, StoreError> {
    let invitations = tx
        .execute(
            "UPDATE invitations SET customer_ref = NULL, personal_until = NULL,
                 body = json_remove(body, '$.customer_ref', '$.personal_until')
             WHERE code = ?1 AND (customer_ref IS NOT NULL OR personal_until IS NOT NULL)",
            [code],
        )
        .map_err(sql_err)?;
    let unsent = sends::drop_recipient(tx, code)?;
    let comments = tx
        .execute(
            "UPDATE responses SET has_comment = 0, body = json_remove(body, '$.comment')
             WHERE code = ?1 AND has_comment = 1",
            [code],
        )
        .map_err(sql_err)?;
    // The copies waiting to be sent, and those kept as the delivery log:
    // the comment goes from each, and a delivery's new revision makes a
    // sender holding the old one fail its guarded update.
    tx.execute(
        "UPDATE deliveries SET revision = revision + 1,
             body = json_set(json_set(body, '$.event.data.response.comment', json('null')),
                             '$.revision', revision + 1)
         WHERE json_extract(body, '$.event.data.response.code') = ?1
           AND json_extract(body, '$.event.data.response.comment') IS NOT NULL",
        [code],
    )
    .map_err(sql_err)?;
    tx.execute(
        "UPDATE outbox SET change = json_remove(change, '$.before.comment', '$.after.comment')
         WHERE json_extract(change, '$.after.code') = ?1",
        [code],
    )
    .map_err(sql_err)?;
    Ok(Erased {
        invitations: u32::from(invitations > 0 || unsent),
        comments: comments as u32,
    })
}

/// Writes a submit's follow-up (when it changes, from `before`), moves its
/// rollups and announces the change.
fn write_effects(
    tx: &rusqlite::Transaction<'_>,
    effects: Effects,
    before: Option<FollowUp>,
) -> Result<(), StoreError> {
    if let Some(follow_up) = effects.follow_up {
        write_follow_up(tx, &follow_up)?;
        announce(
            tx,
            &Change::FollowUp {
                before: before.map(Box::new),
                after: Box::new(follow_up),
            },
        )?;
    }
    apply(tx, &effects.increments)
}

fn write_follow_up(tx: &rusqlite::Transaction<'_>, f: &FollowUp) -> Result<(), StoreError> {
    let body = serde_json::to_string(f).map_err(json_err)?;
    let a = &f.attribution;
    tx.prepare_cached(
        "INSERT INTO follow_ups (id, sort_key, status, rep_id, channel, location, due_at, revision, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, revision = excluded.revision, body = excluded.body",
    )
    .map_err(sql_err)?
    .execute(params![
        f.id,
        f.sort_key(),
        f.status.as_str(),
        a.rep_id.as_ref().map(RepId::as_str),
        a.channel.as_str(),
        a.location.as_ref().map(|l| l.as_str()),
        instant_key(f.due_at()),
        f.revision,
        body
    ])
    .map_err(sql_err)?;
    Ok(())
}

fn write_response(tx: &rusqlite::Transaction<'_>, r: &Response) -> Result<(), StoreError> {
    let body = serde_json::to_string(r).map_err(json_err)?;
    let a = &r.attribution;
    tx.prepare_cached(
        "INSERT INTO responses (id, code, sort_key, rep_id, channel, location, survey, score, has_comment, body, flagged)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET score = excluded.score, has_comment = excluded.has_comment,
             body = excluded.body, flagged = excluded.flagged",
    )
    .map_err(sql_err)?
    .execute(params![
        r.id,
        r.code.as_str(),
        r.sort_key(),
        a.rep_id.as_ref().map(RepId::as_str),
        a.channel.as_str(),
        a.location.as_ref().map(|l| l.as_str()),
        a.survey.as_str(),
        r.score,
        r.has_comment(),
        body,
        r.flagged.is_some()
    ])
    .map_err(sql_err)?;
    Ok(())
}

fn get_body<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let body: Option<String> = conn
        .prepare_cached(sql)
        .map_err(sql_err)?
        .query_row([key], |row| row.get(0))
        .optional()
        .map_err(sql_err)?;
    body.map(|b| serde_json::from_str(&b).map_err(json_err))
        .transpose()
}

/// Every row's `body` of a query with `params`, decoded.
fn get_bodies<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(sql_err)?;
    let rows = stmt
        .query_map(params, |row| row.get::<_, String>(0))
        .map_err(sql_err)?;
    decode_rows(rows)
}

/// Decodes rows of JSON bodies.
fn decode_rows<T: serde::de::DeserializeOwned>(
    rows: impl Iterator<Item = rusqlite::Result<String>>,
) -> Result<Vec<T>, StoreError> {
    rows.map(|body| serde_json::from_str(&body.map_err(sql_err)?).map_err(json_err))
        .collect()
}

/// Whether a row's body credits rep `?3` among its other reps; `instr`
/// spares parsing the JSON of the rows that credit one rep or none.
const CREDITS_ALSO: &str = "(instr(body, '\"also_rep_ids\"') > 0 AND EXISTS \
     (SELECT 1 FROM json_each(body, '$.also_rep_ids') WHERE value = ?3))";

const GET_INVITATION: &str = "SELECT body FROM invitations WHERE code = ?1";
const GET_RESPONSE: &str = "SELECT body FROM responses WHERE id = ?1";
const GET_FOLLOW_UP: &str = "SELECT body FROM follow_ups WHERE id = ?1";
const GET_LINK: &str = "SELECT body FROM links WHERE code = ?1";

/// Refuses a first answer to a missing, expired or disabled target.
fn check_open(
    tx: &rusqlite::Transaction<'_>,
    response: &Response,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let code = response.code.as_str();
    if response.reusable {
        let link: Link = get_body(tx, GET_LINK, code)?.ok_or(StoreError::NotFound)?;
        return link.closed(now).map_or(Ok(()), |closed| Err(closed.into()));
    }
    let invitation: Invitation = get_body(tx, GET_INVITATION, code)?.ok_or(StoreError::NotFound)?;
    if invitation.is_expired(now) {
        return Err(StoreError::Expired(invitation.expires_at));
    }
    Ok(())
}

/// Counts one answer against each quota, refusing (before counting any)
/// when one is full.
fn take_quotas(tx: &rusqlite::Transaction<'_>, quotas: &[Quota]) -> Result<(), StoreError> {
    for quota in quotas {
        let used: i64 = tx
            .query_row(
                "SELECT n FROM counters WHERE key = ?1",
                [quota_key(quota)],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql_err)?
            .unwrap_or(0);
        if used >= i64::from(quota.max) {
            return Err(StoreError::OverQuota {
                resets_at: quota.resets_at,
            });
        }
    }
    for quota in quotas {
        bump(tx, &quota_key(quota), quota.resets_at)?;
    }
    Ok(())
}

fn quota_key(quota: &Quota) -> String {
    format!("Q#{}", quota.key)
}

/// Adds one to counter `key` (its key names its window or day, so it never
/// needs resetting) and returns its count.
fn bump(
    tx: &rusqlite::Transaction<'_>,
    key: &str,
    expires: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let n: i64 = tx
        .prepare_cached(
            "INSERT INTO counters (key, n, expires) VALUES (?1, 1, ?2)
             ON CONFLICT (key) DO UPDATE SET n = counters.n + 1, expires = excluded.expires
             RETURNING n",
        )
        .map_err(sql_err)?
        .query_row(params![key, instant_key(expires)], |row| row.get(0))
        .map_err(sql_err)?;
    u64::try_from(n).map_err(StoreError::internal)
}

/// Deletes a few counters that expired by `now`.
fn sweep_counters(tx: &rusqlite::Transaction<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM counters WHERE key IN
             (SELECT key FROM counters WHERE expires <= ?1 ORDER BY expires LIMIT 100)",
        [instant_key(now)],
    )
    .map_err(sql_err)?;
    Ok(())
}

fn write_key(tx: &rusqlite::Transaction<'_>, key: &ApiKey) -> Result<(), StoreError> {
    let body = serde_json::to_string(key).map_err(json_err)?;
    tx.execute(
        "INSERT INTO api_keys (hash, id, body) VALUES (?1, ?2, ?3)
         ON CONFLICT (hash) DO UPDATE SET body = excluded.body",
        params![key.hash, key.id, body],
    )
    .map_err(sql_err)?;
    Ok(())
}
