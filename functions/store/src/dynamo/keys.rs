//! Every item's keys, in one place: its partition key (`pk`), sort key
//! (`sk`) and index keys. The table's layout is in [`super::table`]. The IAM
//! policies in `template.yaml` fence each function to partitions by
//! `dynamodb:LeadingKeys`; the template test holds those patterns to
//! [`PARTITIONS`].

use feedback_core::{Code, CustomerRef, Slice};

/// Each partition as an IAM `dynamodb:LeadingKeys` pattern, with what it
/// holds: the table's partitions, then the indexes'.
pub const PARTITIONS: &[(&str, &str)] = &[
    (
        "INV#*",
        "an invitation, its responses and its retention marker",
    ),
    ("ORDER#*", "an order's claim on its invitation"),
    ("FU#*", "a follow-up"),
    ("ROLL#*", "a slice's daily rollups"),
    ("AGG", "the aggregator's position in each stream shard"),
    ("REP", "the reps"),
    ("KEY", "the API keys"),
    ("SETTINGS", "the settings"),
    ("SECRET", "the tenant's secret"),
    ("LINKS", "the reusable links"),
    ("WEBHOOK", "the webhooks"),
    ("DLV#*", "a webhook's deliveries; gsi2: those due (DLV#due)"),
    ("CONTACT#*", "a contact's invitation throttle"),
    (
        "QUOTA#*",
        "an answer quota: an address's (its answer ids) or a link's daily cap (a count)",
    ),
    ("TALLY#*", "a burst tally"),
    ("SUPPRESS#*", "a contact that opted out of messages"),
    ("CUST#*", "gsi1: a customer's invitations"),
    ("RESP", "gsi1: every response, newest first"),
    ("FU", "gsi1: every follow-up, newest first"),
    ("FU#open", "gsi2: the open follow-ups, oldest first"),
    (
        "SEND#due",
        "gsi2: the invitations with a message due, soonest first",
    ),
];

pub const REPS: &str = "REP";
pub const KEYS: &str = "KEY";
pub const SETTINGS: &str = "SETTINGS";
pub const SECRET: &str = "SECRET";
pub const LINKS: &str = "LINKS";
pub const WEBHOOKS: &str = "WEBHOOK";
/// `gsi1`: every response.
pub const RESPONSES: &str = "RESP";
/// `gsi1`: every follow-up.
pub const FOLLOW_UPS: &str = "FU";
/// `gsi2`: the follow-ups awaiting first contact.
pub const OPEN_FOLLOW_UPS: &str = "FU#open";
/// `gsi2`: the deliveries awaiting an attempt.
pub const DUE_DELIVERIES: &str = "DLV#due";
/// `gsi2`: the invitations with a message to send.
pub const DUE_SENDS: &str = "SEND#due";
/// The aggregator's checkpoints, one per stream shard.
pub const CHECKPOINTS: &str = "AGG";

const INVITATION: &str = "INV";
const RESPONSE: &str = "RESP#";
/// The sort key of an invitation's retention marker.
pub const RETENTION_MARKER: &str = "PII";

pub fn invitation_pk(code: &Code) -> String {
    format!("{INVITATION}#{code}")
}

/// An invitation's own item.
pub fn invitation(code: &Code) -> (String, String) {
    (invitation_pk(code), INVITATION.to_owned())
}

/// A response (`id`) to invitation or link `code`.
pub fn response(code: &Code, id: &str) -> (String, String) {
    (invitation_pk(code), format!("{RESPONSE}{id}"))
}

/// Whether the keys are an invitation's own item.
pub fn is_invitation(pk: &str, sk: &str) -> bool {
    pk.starts_with("INV#") && sk == INVITATION
}

/// Whether the keys are a response's.
pub fn is_response(pk: &str, sk: &str) -> bool {
    pk.starts_with("INV#") && sk.starts_with(RESPONSE)
}

/// The code of the invitation whose retention marker these keys are.
pub fn retention_marker_of(pk: &str, sk: &str) -> Option<Code> {
    let code = pk.strip_prefix("INV#").filter(|_| sk == RETENTION_MARKER)?;
    Code::parse("code", code).ok()
}

/// `gsi1`: the invitations of a customer.
pub fn customer(customer: &CustomerRef) -> String {
    format!("CUST#{}", customer.as_str())
}

pub fn order(order_id: &str) -> (String, String) {
    (format!("ORDER#{order_id}"), "ORDER".to_owned())
}

pub fn follow_up(id: &str) -> (String, String) {
    (format!("FU#{id}"), FOLLOW_UPS.to_owned())
}

/// Whether the keys are a follow-up's.
pub fn is_follow_up(pk: &str, sk: &str) -> bool {
    pk.starts_with("FU#") && sk == FOLLOW_UPS
}

/// A slice's rollups; one item per day (`sk`: the day).
pub fn rollups(slice: &Slice) -> String {
    format!("ROLL#{}", slice.key())
}

/// The optional questions' moments of `slice`, kept apart from its figures
/// (ids hold no `#`, so no slice's own partition is named so).
pub fn question_rollups(slice: &Slice) -> String {
    format!("ROLL#{}#q", slice.key())
}

/// The aggregator's checkpoint in stream shard `shard`.
pub fn checkpoint(shard: &str) -> (String, String) {
    (CHECKPOINTS.to_owned(), shard.to_owned())
}

/// A contact's invitation throttle (`key`: the contact's keyed hash).
pub fn contact(key: &str) -> (String, String) {
    (format!("CONTACT#{key}"), "CONTACT".to_owned())
}

/// A contact on the suppression list, by its keyed hash.
pub fn suppressed(hash: &str) -> (String, String) {
    (format!("SUPPRESS#{hash}"), "SUPPRESS".to_owned())
}

pub fn quota(key: &str) -> (String, String) {
    (format!("QUOTA#{key}"), "QUOTA".to_owned())
}

pub fn tally(key: &str) -> (String, String) {
    (format!("TALLY#{key}"), "TALLY".to_owned())
}

/// A webhook's deliveries.
pub fn deliveries(webhook_id: &str) -> String {
    format!("DLV#{webhook_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key these functions make lies in a partition [`PARTITIONS`]
    /// names (so the IAM patterns, held to that list, cover it).
    #[test]
    fn every_key_lies_in_a_named_partition() {
        let code = Code::parse("c", "c0de0c0de0c0").unwrap();
        let customer_ref = CustomerRef::parse("c", "someone").unwrap();
        let pks = [
            invitation(&code).0,
            response(&code, "r").0,
            customer(&customer_ref),
            order("o").0,
            follow_up("f").0,
            rollups(&Slice::All),
            contact("h").0,
            quota("q").0,
            suppressed("h").0,
            tally("t").0,
            deliveries("wh"),
        ]
        .into_iter()
        .chain(
            [
                REPS,
                KEYS,
                SETTINGS,
                SECRET,
                LINKS,
                WEBHOOKS,
                RESPONSES,
                FOLLOW_UPS,
                OPEN_FOLLOW_UPS,
                DUE_DELIVERIES,
                DUE_SENDS,
                CHECKPOINTS,
            ]
            .map(String::from),
        );
        for pk in pks {
            let named = PARTITIONS
                .iter()
                .any(|(pattern, _)| match pattern.strip_suffix('*') {
                    Some(prefix) => pk.starts_with(prefix),
                    None => pk == *pattern,
                });
            assert!(named, "{pk}");
        }
        assert!(is_response(
            &response(&code, "r").0,
            &response(&code, "r").1
        ));
        assert!(is_follow_up(&follow_up("f").0, &follow_up("f").1));
        assert!(is_invitation(&invitation(&code).0, &invitation(&code).1));
        assert!(!is_invitation(
            &response(&code, "r").0,
            &response(&code, "r").1
        ));
        assert_eq!(
            retention_marker_of(&invitation_pk(&code), RETENTION_MARKER),
            Some(code)
        );
    }
}
