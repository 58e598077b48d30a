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
    Revocation, Store, StoreError, is_active_admin,
};
use async_trait::async_trait;
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
        invitations: invitations as u32,
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

#[async_trait]
impl Store for SqliteStore {
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        contact: Option<&ContactRule>,
    ) -> Result<InvitationOutcome, StoreError> {
        let invitation = invitation.clone();
        let contact = contact.cloned();
        self.write(move |tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT body FROM invitations WHERE order_id = ?1",
                    [invitation.order_id.as_str()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            if let Some(body) = existing {
                return Ok(InvitationOutcome::Existing(
                    serde_json::from_str(&body).map_err(json_err)?,
                ));
            }
            if let Some(rule) = &contact {
                let last: Option<(String, String)> = tx
                    .query_row(
                        "SELECT code, until FROM contacts WHERE contact = ?1 AND until > ?2",
                        params![rule.key, instant_key(invitation.created_at)],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(sql_err)?;
                if let Some((code, until)) = last.filter(|_| !rule.force) {
                    let last: Invitation = get_body(tx, GET_INVITATION, &code)?
                        .ok_or_else(|| StoreError::internal("throttle names a missing invitation"))?;
                    let until = crate::cursor::parse_instant_key(&until)?;
                    return Ok(InvitationOutcome::Throttled { last, until });
                }
                tx.execute(
                    "INSERT INTO contacts (contact, code, until) VALUES (?1, ?2, ?3)
                     ON CONFLICT (contact) DO UPDATE SET code = excluded.code, until = excluded.until",
                    params![rule.key, invitation.code.as_str(), instant_key(rule.until)],
                )
                .map_err(sql_err)?;
            }
            let body = serde_json::to_string(&invitation).map_err(json_err)?;
            tx.execute(
                "INSERT INTO invitations (code, order_id, body, customer_ref, personal_until)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    invitation.code.as_str(),
                    invitation.order_id.as_str(),
                    body,
                    invitation.customer_ref.as_ref().map(|c| c.as_str()),
                    invitation.personal_until.map(instant_key),
                ],
            )
            .map_err(sql_err)?;
            apply(tx, &rollup::for_invitation(&invitation))?;
            Ok(InvitationOutcome::Created(invitation))
        })
        .await
    }

    async fn get_invitation(&self, code: &Code) -> Result<Option<Invitation>, StoreError> {
        let code = code.to_string();
        self.read(move |conn| get_body(conn, GET_INVITATION, &code))
            .await
    }

    async fn record_response(
        &self,
        response: &Response,
        now: DateTime<Utc>,
        rules: &SubmitRules,
        quotas: &[Quota],
    ) -> Result<Recorded, StoreError> {
        let incoming = response.clone();
        let rules = *rules;
        let quotas = quotas.to_vec();
        self.write(move |tx| {
            let existing: Option<Response> = get_body(tx, GET_RESPONSE, &incoming.id)?;
            if existing.is_none() {
                check_open(tx, &incoming, now)?;
                take_quotas(tx, &quotas)?;
            }
            match decide(existing.as_ref(), &incoming, now, rules.edit_window) {
                Decision::Insert => {
                    write_response(tx, &incoming)?;
                    announce(
                        tx,
                        &Change::Response {
                            before: None,
                            after: Box::new(incoming.clone()),
                        },
                    )?;
                    write_effects(tx, submission::on_insert(&incoming, &rules), None)?;
                    Ok(Recorded::Created(incoming))
                }
                Decision::Replace(current) => {
                    let current = *current;
                    let previous = existing.expect("replace implies an existing response");
                    write_response(tx, &current)?;
                    announce(
                        tx,
                        &Change::Response {
                            before: Some(Box::new(previous.clone())),
                            after: Box::new(current.clone()),
                        },
                    )?;
                    let follow_up: Option<FollowUp> = get_body(tx, GET_FOLLOW_UP, &current.id)?;
                    let effects = submission::on_replace(
                        &previous,
                        &current,
                        follow_up.as_ref(),
                        &rules,
                        now,
                    );
                    write_effects(tx, effects, follow_up)?;
                    Ok(Recorded::Replaced {
                        previous: Box::new(previous),
                        current: Box::new(current),
                    })
                }
                Decision::Unchanged => Ok(Recorded::Unchanged(
                    existing.expect("unchanged implies existing"),
                )),
                Decision::WindowClosed => Err(StoreError::WindowClosed(Box::new(
                    existing.expect("closed implies existing"),
                ))),
            }
        })
        .await
    }

    async fn release_response(
        &self,
        _code: &Code,
        id: &str,
        rules: &SubmitRules,
    ) -> Result<Option<Response>, StoreError> {
        let (id, rules) = (id.to_owned(), *rules);
        self.write(move |tx| {
            let Some(stored) = get_body::<Response>(tx, GET_RESPONSE, &id)? else {
                return Ok(None);
            };
            if stored.flagged.is_none() {
                return Ok(Some(stored));
            }
            let released = stored.released();
            write_response(tx, &released)?;
            announce(
                tx,
                &Change::Response {
                    before: Some(Box::new(stored.clone())),
                    after: Box::new(released.clone()),
                },
            )?;
            write_effects(tx, submission::on_release(&stored, &released, &rules), None)?;
            Ok(Some(released))
        })
        .await
    }

    async fn tally(&self, keys: &[String], until: DateTime<Utc>) -> Result<Vec<u64>, StoreError> {
        let keys = keys.to_vec();
        self.write(move |tx| {
            // Windows end within minutes: what ended a day before this one
            // is long over (DynamoDB's TTL does this there).
            sweep_counters(tx, until - chrono::Duration::days(1))?;
            keys.iter().map(|key| bump(tx, key, until)).collect()
        })
        .await
    }

    async fn secret(&self) -> Result<Secret, StoreError> {
        self.write(|tx| {
            let stored: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM secrets WHERE name = 'tenant'", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(sql_err)?;
            if let Some(bytes) = stored {
                let bytes: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| StoreError::internal("the stored secret is not 32 bytes"))?;
                return Ok(Secret::new(bytes));
            }
            let secret = Secret::generate().map_err(StoreError::internal)?;
            tx.execute(
                "INSERT INTO secrets (name, value) VALUES ('tenant', ?1)",
                [secret.bytes().as_slice()],
            )
            .map_err(sql_err)?;
            Ok(secret)
        })
        .await
    }

    async fn create_link(&self, link: &Link) -> Result<(), StoreError> {
        let body = serde_json::to_string(link).map_err(json_err)?;
        let code = link.code.to_string();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO links (code, body) VALUES (?1, ?2)",
                params![code, body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn get_link(&self, code: &Code) -> Result<Option<Link>, StoreError> {
        let code = code.to_string();
        self.read(move |conn| get_body(conn, GET_LINK, &code)).await
    }

    async fn list_links(&self) -> Result<Vec<Link>, StoreError> {
        self.read(|conn| {
            Ok(crate::sort_links(get_bodies(
                conn,
                "SELECT body FROM links",
                [],
            )?))
        })
        .await
    }

    async fn update_link(&self, previous: &Link, next: &Link) -> Result<(), StoreError> {
        let (revision, next) = (previous.revision, next.clone());
        self.write(move |tx| {
            let stored: Option<Link> = get_body(tx, GET_LINK, next.code.as_str())?;
            if stored.map(|l| l.revision) != Some(revision) {
                return Err(StoreError::Conflict("the link changed meanwhile".into()));
            }
            let body = serde_json::to_string(&next).map_err(json_err)?;
            tx.execute(
                "UPDATE links SET body = ?2 WHERE code = ?1",
                params![next.code.as_str(), body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn get_response(&self, code: &Code) -> Result<Option<Response>, StoreError> {
        let id = code.to_string();
        self.read(move |conn| get_body(conn, GET_RESPONSE, &id))
            .await
    }

    async fn list_responses(
        &self,
        filter: &ResponseFilter,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Response>, StoreError> {
        let limit = limit.clamp(1, crate::MAX_PAGE);
        let f = filter.clone();
        let upper = upper_bound(filter.before, cursor);
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM responses
                     WHERE (?1 IS NULL OR sort_key >= ?1) AND (?2 IS NULL OR sort_key < ?2)
                       AND (?3 IS NULL OR rep_id = ?3) AND (?4 IS NULL OR channel = ?4)
                       AND (?5 IS NULL OR location = ?5) AND (?6 IS NULL OR survey = ?6)
                       AND (?7 IS NULL OR score >= ?7) AND (?8 IS NULL OR score <= ?8)
                       AND (?9 IS NULL OR has_comment = ?9) AND (?11 IS NULL OR flagged = ?11)
                     ORDER BY sort_key DESC LIMIT ?10",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(
                    params![
                        f.from.map(instant_key),
                        upper,
                        f.rep_id.as_ref().map(RepId::as_str),
                        f.channel.map(|c| c.as_str()),
                        f.location.as_ref().map(|l| l.as_str()),
                        f.survey.map(|s| s.as_str()),
                        f.min_score,
                        f.max_score,
                        f.has_comment,
                        limit as i64 + 1,
                        f.flagged,
                    ],
                    |row| row.get::<_, String>(0),
                )
                .map_err(sql_err)?;
            let items: Vec<Response> = decode_rows(rows)?;
            Ok(page(items, limit))
        })
        .await
    }

    async fn get_follow_up(&self, id: &str) -> Result<Option<FollowUp>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| get_body(conn, GET_FOLLOW_UP, &id))
            .await
    }

    async fn list_follow_ups(
        &self,
        filter: &FollowUpFilter,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<FollowUp>, StoreError> {
        let limit = limit.clamp(1, crate::MAX_PAGE);
        let f = filter.clone();
        let upper = upper_bound(None, cursor);
        // Overdue means open: the status index then reads only the queue.
        let status = f
            .overdue_at
            .map(|_| feedback_core::followup::Status::Open)
            .or(f.status);
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM follow_ups
                     WHERE (?1 IS NULL OR sort_key < ?1) AND (?2 IS NULL OR status = ?2)
                       AND (?3 IS NULL OR rep_id = ?3) AND (?4 IS NULL OR channel = ?4)
                       AND (?5 IS NULL OR location = ?5) AND (?6 IS NULL OR due_at <= ?6)
                     ORDER BY sort_key DESC LIMIT ?7",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(
                    params![
                        upper,
                        status.map(|s| s.as_str()),
                        f.rep_id.as_ref().map(RepId::as_str),
                        f.channel.map(|c| c.as_str()),
                        f.location.as_ref().map(|l| l.as_str()),
                        f.overdue_at.map(instant_key),
                        limit as i64 + 1,
                    ],
                    |row| row.get::<_, String>(0),
                )
                .map_err(sql_err)?;
            let items: Vec<FollowUp> = decode_rows(rows)?;
            Ok(page(items, limit))
        })
        .await
    }

    async fn update_follow_up(
        &self,
        previous: &FollowUp,
        next: &FollowUp,
    ) -> Result<(), StoreError> {
        let (previous, next) = (previous.clone(), next.clone());
        self.write(move |tx| {
            let stored: Option<FollowUp> = get_body(tx, GET_FOLLOW_UP, &previous.id)?;
            if stored.as_ref().map(|f| f.revision) != Some(previous.revision) {
                return Err(StoreError::Conflict(
                    "the follow-up changed meanwhile".into(),
                ));
            }
            write_follow_up(tx, &next)?;
            apply(tx, &rollup::for_follow_up(Some(&previous), &next))?;
            announce(
                tx,
                &Change::FollowUp {
                    before: Some(Box::new(previous)),
                    after: Box::new(next),
                },
            )
        })
        .await
    }

    async fn read_rollups(
        &self,
        slice: &Slice,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, Rollup)>, StoreError> {
        let slice = slice.key();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT day, name, value FROM rollups
                     WHERE slice = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day",
                )
                .map_err(sql_err)?;
            let mut rows = stmt
                .query(params![slice, from.to_string(), to.to_string()])
                .map_err(sql_err)?;
            let mut days: Vec<(NaiveDate, Rollup)> = Vec::new();
            while let Some(row) = rows.next().map_err(sql_err)? {
                let day: String = row.get(0).map_err(sql_err)?;
                let day: NaiveDate = day.parse().map_err(StoreError::internal)?;
                let name: String = row.get(1).map_err(sql_err)?;
                if days.last().is_none_or(|(d, _)| *d != day) {
                    days.push((day, Rollup::default()));
                }
                if let Some((_, rollup)) = days.last_mut() {
                    rollup.add_counter(&name, row.get(2).map_err(sql_err)?);
                }
            }
            Ok(days)
        })
        .await
    }

    async fn erase_customer(
        &self,
        customer_ref: &CustomerRef,
        contact: &str,
    ) -> Result<Erased, StoreError> {
        let customer_ref = customer_ref.as_str().to_owned();
        let contact = contact.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM contacts WHERE contact = ?1", [&contact])
                .map_err(sql_err)?;
            let codes: Vec<String> = {
                let mut stmt = tx
                    .prepare_cached("SELECT code FROM invitations WHERE customer_ref = ?1")
                    .map_err(sql_err)?;
                stmt.query_map([&customer_ref], |row| row.get(0))
                    .map_err(sql_err)?
                    .collect::<Result<_, _>>()
                    .map_err(sql_err)?
            };
            let mut erased = Erased::default();
            for code in codes {
                erased += erase_personal(tx, &code)?;
            }
            Ok(erased)
        })
        .await
    }

    async fn erase_invitation(&self, code: &Code) -> Result<Erased, StoreError> {
        let code = code.to_string();
        self.write(move |tx| erase_personal(tx, &code)).await
    }

    async fn put_rep(&self, rep: &Rep) -> Result<bool, StoreError> {
        let rep = rep.clone();
        self.write(move |tx| {
            let body = serde_json::to_string(&rep).map_err(json_err)?;
            let existed: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM reps WHERE id = ?1)", [rep.id.as_str()], |r| r.get(0))
                .map_err(sql_err)?;
            tx.execute(
                "INSERT INTO reps (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                params![rep.id.as_str(), body],
            )
            .map_err(sql_err)?;
            Ok(!existed)
        })
        .await
    }

    async fn get_rep(&self, id: &RepId) -> Result<Option<Rep>, StoreError> {
        let id = id.to_string();
        self.read(move |conn| get_body(conn, "SELECT body FROM reps WHERE id = ?1", &id))
            .await
    }

    async fn list_reps(&self) -> Result<Vec<Rep>, StoreError> {
        self.read(|conn| get_bodies(conn, "SELECT body FROM reps ORDER BY id", []))
            .await
    }

    async fn create_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let key = key.clone();
        self.write(move |tx| write_key(tx, &key)).await
    }

    async fn find_key(&self, hash: &str) -> Result<Option<ApiKey>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| get_body(conn, "SELECT body FROM api_keys WHERE hash = ?1", &hash))
            .await
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.read(|conn| {
            Ok(crate::sort_keys(get_bodies(
                conn,
                "SELECT body FROM api_keys",
                [],
            )?))
        })
        .await
    }

    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<Revocation, StoreError> {
        let id = id.to_owned();
        // One IMMEDIATE transaction: the admin count cannot change under it.
        self.write(move |tx| {
            let keys = get_bodies::<ApiKey>(tx, "SELECT body FROM api_keys", [])?;
            let Some(mut key) = keys.iter().find(|k| k.id == id).cloned() else {
                return Ok(Revocation::NoSuchKey);
            };
            if is_active_admin(&key) && keys.iter().filter(|k| is_active_admin(k)).count() == 1 {
                return Ok(Revocation::LastAdmin);
            }
            key.revoked_at.get_or_insert(at);
            write_key(tx, &key)?;
            Ok(Revocation::Revoked(key))
        })
        .await
    }

    async fn touch_key(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        self.write(move |tx| {
            if let Some(mut key) =
                get_body::<ApiKey>(tx, "SELECT body FROM api_keys WHERE hash = ?1", &hash)?
            {
                key.last_used_at = Some(at);
                write_key(tx, &key)?;
            }
            Ok(())
        })
        .await
    }

    async fn get_settings(&self) -> Result<Option<Settings>, StoreError> {
        self.read(|conn| get_body(conn, "SELECT body FROM settings WHERE singleton = ?1", "1"))
            .await
    }

    async fn put_settings(&self, settings: &Settings) -> Result<(), StoreError> {
        let body = serde_json::to_string(settings).map_err(json_err)?;
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO settings (singleton, body) VALUES (1, ?1)
                 ON CONFLICT (singleton) DO UPDATE SET body = excluded.body",
                [body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }
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
