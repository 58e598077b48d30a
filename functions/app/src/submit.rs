//! A customer's answer, once parsed and checked against the form: the
//! response it becomes (its id, the client's keyed hash, a flag when it is
//! part of a burst), the caps it counts against, and its recording, first
//! or as a change inside the edit window (which needs the answer's edit
//! token).

use chrono::{DateTime, Utc};
use feedback_core::Settings;
use feedback_core::abuse::{Flag, Quota, Secret};
use feedback_core::code::random_base62;
use feedback_core::links::Target;
use feedback_core::model::{Answer, Response};
use feedback_core::time::TenantZone;
use feedback_store::{LinkStore, Recorded, ResponseStore, StoreError};
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// One answer to record.
pub struct Submit<'a> {
    pub target: &'a Target,
    pub settings: &'a Settings,
    pub secret: &'a Secret,
    pub zone: &'a TenantZone,
    pub answer: Answer,
    /// The client's address (an IPv4 address or an IPv6 /64), if known.
    pub address: Option<IpAddr>,
    /// A reusable link's answer key (`Idempotency-Key`, or the form's):
    /// the same key is the same answer.
    pub answer_key: Option<&'a str>,
    /// The edit token the sender holds, if any.
    pub edit_token: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub struct Submitted {
    pub recorded: Recorded,
    /// The token that changes this answer, for whoever may have it: the
    /// sender of a first answer or of a change, or one who already holds it.
    pub edit_token: Option<String>,
}

/// Records `s`. The code opens the form once; changing a stored answer
/// needs the edit token that came with it. Without one the edit window is
/// closed, so a code holder (a till, a key that lists responses) cannot
/// rewrite it.
#[tracing::instrument(skip_all, fields(reusable = matches!(s.target, Target::Link(_))))]
pub async fn submit(
    store: &(impl ResponseStore + LinkStore + ?Sized),
    s: Submit<'_>,
) -> Result<Submitted, StoreError> {
    let at = s.at;
    let response = answering(store, &s).await?;
    let quotas = quotas(s.target, s.settings, &response, s.zone);
    let holds_token = s
        .edit_token
        .is_some_and(|t| s.secret.edit_token_ok(&response.id, t));
    let mut rules = s.settings.submit_rules();
    if !holds_token {
        rules.edit_window = chrono::Duration::zero();
    }
    let recorded = store
        .record_response(&response, at, &rules, &quotas)
        .await?;
    let sent = !matches!(recorded, Recorded::Unchanged(_));
    let edit_token = (sent || holds_token).then(|| s.secret.edit_token(&response.id));
    Ok(Submitted {
        recorded,
        edit_token,
    })
}

/// The response a valid answer becomes: its id, the client's keyed hash,
/// and a flag when it is part of a burst.
async fn answering(
    store: &(impl LinkStore + ?Sized),
    s: &Submit<'_>,
) -> Result<Response, StoreError> {
    let id = match s.target {
        Target::Invitation(i) => i.code.to_string(),
        Target::Link(link) => {
            let key = match s.answer_key {
                Some(key) => key.to_owned(),
                None => random_base62(16).map_err(|e| StoreError::Internal(e.to_string()))?,
            };
            link.response_id(&hex::encode(&Sha256::digest(key.as_bytes())[..8]))
        }
    };
    let mut response = Response::answering(s.target, id, s.answer.clone(), s.at, s.zone);
    response.client = s.address.map(|ip| s.secret.client(ip));
    let rules = &s.settings.abuse;
    let (window, until) = rules.burst_window(s.at);
    let mut keys = Vec::new();
    if let Some(client) = &response.client {
        keys.push(format!("A#{client}#{window}"));
    }
    if let Target::Link(link) = s.target {
        keys.push(format!("L#{}#{window}", link.code));
    }
    let counts = match keys.is_empty() {
        true => Vec::new(),
        false => store.tally(&keys, until).await?,
    };
    let from_address = response.client.as_ref().and(counts.first().copied());
    let through_link = matches!(s.target, Target::Link(_))
        .then(|| counts.last().copied())
        .flatten();
    response.flagged = rules
        .flag(from_address.unwrap_or(0), through_link)
        .map(|reason| Flag { reason, at: s.at });
    Ok(response)
}

/// The caps a first answer through a reusable link counts against.
fn quotas(
    target: &Target,
    settings: &Settings,
    response: &Response,
    zone: &TenantZone,
) -> Vec<Quota> {
    let Target::Link(link) = target else {
        return Vec::new();
    };
    let code = link.code.as_str();
    let per_address = settings.abuse.per_address_daily;
    let mut quotas = Vec::new();
    if let Some(client) = response.client.as_deref().filter(|_| per_address > 0) {
        quotas.push(Quota::per_address(
            code,
            client,
            response.day,
            per_address,
            zone,
        ));
    }
    if let Some(cap) = link.daily_cap {
        quotas.push(Quota::per_link(code, response.day, cap, zone));
    }
    quotas
}
